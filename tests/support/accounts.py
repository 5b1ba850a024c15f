"""Borrowers for tests: the demo accounts' phones, accounts made up for a test (due a
given number of days ago in their own time zone), and time zones where it is early
afternoon whenever the tests run."""
from __future__ import annotations

import datetime as dt
import itertools
from typing import Dict, List, Optional

from language import local_today
from store.accounts import import_records
from store.db import session_scope

BORROWER = "+15550100001"  # DEMO-1001 in lender/demo_accounts.csv
STRANGER = "+15550199999"  # reaches no account
CONSENT_GIVEN = "2026-01-05T10:00:00Z"
# An account as the accounts API takes it.
API_ACCOUNT = {
    "account_id": "API-1", "name": "Ana Example", "phone": "+15550109001",
    "timezone": "America/Denver", "language": "en", "currency": "USD",
    "principal": "500.00", "interest": "12.00", "fees": "0", "due_date": "2026-12-01",
    "birth_date": "1990-02-03", "id_last4": "1234",
}


def afternoon_zone(hour: int = 13, now: Optional[dt.datetime] = None) -> str:
    """A fixed-offset zone where it is about `hour` o'clock `now` (default: now), so tests
    that send for real stay inside contact hours whenever they run. (Etc/GMT signs are
    inverted.)"""
    now = now or dt.datetime.now(dt.timezone.utc)
    offset = hour - now.hour
    if offset > 14:
        offset -= 24
    if offset < -12:
        offset += 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def in_contact_hours(account_id: str) -> None:
    """Moves an account to a zone where it is early afternoon now, for a test about something
    other than contact hours (the gate holds texts in the borrower's night: China allows
    no answer 22:00-08:00)."""
    from store.models import Account

    with session_scope() as session:
        session.get(Account, account_id).timezone = afternoon_zone()


_phones = itertools.count(1)


def account(account_id: str, *, days_past_due: int = 3, zone: Optional[str] = None, **fields) -> Dict:
    """An account row due `days_past_due` days ago in its own time zone."""
    zone = zone or afternoon_zone()
    due = local_today(zone) - dt.timedelta(days=days_past_due)
    row = {
        "account_id": account_id, "name": "Test Borrower", "phone": f"+1555{next(_phones):07d}",
        "timezone": zone, "language": "en", "currency": "USD", "principal": "400.00",
        "interest": "20.00", "fees": "10.00", "due_date": due.isoformat(),
        "birth_date": "1988-03-14", "id_last4": "4821",
        # The borrower agreed to automated texts and calls when taking the loan.
        "consent_sms": CONSENT_GIVEN, "consent_voice": CONSENT_GIVEN,
    }
    row.update(fields)
    return row


def load_accounts(rows: List[Dict]) -> None:
    with session_scope() as session:
        report = import_records(session, rows)
        assert not report.errors, report.errors
