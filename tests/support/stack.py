"""What tests of whole processes share (devtools/stack.py's Stack): their ports, the
borrowers they load, views of the store they share, and a browser to drive them."""
from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import store.db
from language import local_today
from store.accounts import import_records
from store.models import Account, OutboxMessage, Outcome
from tests.support.paths import ROOT

# Gateway, Rasa (English, Chinese) and action server listen on PORT_BASE, +5, +6 and +55
# (a test module's own stack on another hundred); another checkout running its tests on the
# same machine picks another base.
PORT_BASE = int(os.environ.get("REPAY_E2E_PORT_BASE", "15000"))
E2E_API_KEY = "e2e-api-key"  # the operations API (e.g. POST /api/calls)
SCREENSHOTS = ROOT / "build" / "screenshots"
_numbers = itertools.count(200)


def new_phone(prefix: str = "+1555020") -> str:
    """A phone number no other borrower of this test run has (`prefix` + 4 digits)."""
    return f"{prefix}{next(_numbers):04d}"


def chromium_path() -> str:
    """Debian's Chromium (scripts/services.sh installs it), or CHROMIUM_PATH."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path or not Path(path).exists():
        pytest.fail("Chromium not found: run scripts/services.sh (apt-get install chromium) "
                    "or set CHROMIUM_PATH")
    return path


def replace_the_gateway_worker(stack, name: str = "gateway", timeout: float = 30) -> None:
    """SIGKILLs the gateway's gunicorn worker and waits for gunicorn to start another;
    nothing is sent to the gateway meanwhile."""
    [dead] = stack.children(name)
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while stack.children(name) in ([], [dead]):
        assert time.monotonic() < deadline, "gunicorn did not replace its worker"
        time.sleep(0.2)


def load_borrower(database_url: str, account_id: str, phone: str, zone: str = "America/New_York") -> dict:
    """Dana Rivers (born 1988-03-14, ID ending 4821), $453.50 and 14 days overdue, loaded into
    the store at `database_url` (another module's stack may have pointed this process at its
    own store since)."""
    store.db.connect(database_url)
    account = {
        "account_id": account_id, "name": "Dana Rivers", "phone": phone,
        "timezone": zone, "language": "en", "currency": "USD",
        "principal": "420.00", "interest": "18.50", "fees": "15.00",
        # 14 days by the borrower's calendar, which the bot counts in (not the machine's UTC date)
        "due_date": (local_today(zone) - dt.timedelta(days=14)).isoformat(),
        "birth_date": "1988-03-14", "id_last4": "4821",
        # Consent to automated texts and calls, as given with the loan application.
        "consent_sms": "2026-01-05T10:00:00Z", "consent_voice": "2026-01-05T10:00:00Z",
    }
    with store.db.session_scope() as session:
        assert import_records(session, [account]).errors == []
    return account


def outbox_for(phone: str, after_id: int = 0):
    with store.db.session_scope() as session:
        return session.execute(
            select(OutboxMessage).where(OutboxMessage.to == phone, OutboxMessage.id > after_id)
            .order_by(OutboxMessage.id)
        ).scalars().all()


def wait_for_outbox(phone: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = outbox_for(phone)
        if rows:
            return rows
        time.sleep(0.5)
    return []


def outcomes(account_id, kind):
    """The outcomes of one kind the service recorded for an account."""
    with store.db.session_scope() as session:
        return session.execute(
            select(Outcome).where(Outcome.account_id == account_id, Outcome.kind == kind)
        ).scalars().all()


def account_status(account_id):
    with store.db.session_scope() as session:
        return session.get(Account, account_id).status
