"""The whole service as a borrower meets it: Rasa, the action server and the gateway
run as real processes; conversations arrive as signed Twilio webhooks."""
from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from language import local_today
from settings.service import DEV_TWILIO_AUTH_TOKEN
from store.accounts import import_records
from store.models import Account, OutboxMessage, Outcome

_phones = itertools.count(200)
# Gateway, Rasa (English, Chinese) and action server listen on BASE, BASE+5, BASE+6 and
# BASE+55; another checkout
# running its tests on the same machine picks another base.
PORT_BASE = int(os.environ.get("REPAY_E2E_PORT_BASE", "15000"))
E2E_API_KEY = "e2e-api-key"  # the operations API (e.g. POST /api/calls)
AGENT_PHONE = "+18005550142"  # the agents' line calls are put through to


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    var = Path(tmp_path_factory.mktemp("e2e"))
    config = StackConfig(
        rasa_port=PORT_BASE + 5, actions_port=PORT_BASE + 55, gateway_port=PORT_BASE,
        database_url=f"sqlite:///{var / 'repay.db'}", tracker_db=str(var / "tracker.db"),
        log_dir=var / "log",
        extra_env={"REDELIVERY_INTERVAL_SECONDS": "1", **OFFLINE_TWILIO,
                   "API_KEY": E2E_API_KEY, "AGENT_PHONE": AGENT_PHONE},
    )
    store.db.connect(config.database_url)
    with Stack(config) as running:
        yield running


@pytest.fixture
def twilio(stack):
    return SimulatedTwilio(stack.config.gateway_url, DEV_TWILIO_AUTH_TOKEN)


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


@pytest.fixture
def borrower(stack):
    """A fresh account, 14 days overdue, with its own phone number."""
    phone = f"+1555020{next(_phones):04d}"
    return load_borrower(stack.config.database_url, f"E2E-{phone[-4:]}", phone)


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
