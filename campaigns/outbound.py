"""Contact that is not a campaign's: an agent's text, a call an agent placed by hand.

An agent's SMS becomes an attempt like any other (source "agent"), queued for a worker,
and passes the same gate when it is sent: an opted-out phone, a disputed account or the
borrower's night never get it. A call an agent dialled is recorded as an attempt too, so
the jurisdiction's call caps count it. `check_now` answers "may I contact them now?".
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Optional

from sqlalchemy.orm import Session

from campaigns.attempts import audit_attempt, utc_now
from campaigns.gate import check_account
from campaigns.messages import one_off_sms
from campaigns.queueing import push
from campaigns.runtime import Runtime
from lending.compliance import AGENT, Decision, Request, zone
from store.db import session_scope
from store.models import Account, AttemptState, ContactAttempt

AGENT_CONTACT = Request(AGENT)
ONE_OFF_VALID_HOURS = 24  # an agent's text not allowed within this long is blocked


def check_now(session: Session, rt: Runtime, account_id: str, channel: str) -> Optional[Decision]:
    return check_account(session, account_id, channel, utc_now(), rt.policy, AGENT_CONTACT)


def queue_sms(
    rt: Runtime, *, account_id: str, text: str, requested_by: str,
    key: Optional[str] = None, now: Optional[dt.datetime] = None,
) -> int:
    """Queues an agent's SMS; returns the attempt id. `key` (e.g. the console form's
    token) makes a double submit queue it once."""
    now = now or utc_now()
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise LookupError(f"no account {account_id}")
        attempt = ContactAttempt(
            idempotency_key=f"agent:{key or uuid.uuid4().hex}", source="agent", campaign=None,
            stage="one_off", account_id=account_id, phone=account.phone, channel="sms",
            language=account.language, local_date=now.astimezone(zone(account.timezone)).date(),
            state=AttemptState.SCHEDULED, not_before=now,
            expires_at=now + dt.timedelta(hours=ONE_OFF_VALID_HOURS),
            body=one_off_sms(text, rt.policy, account.language), enqueues=1, enqueued_at=now,
        )
        session.add(attempt)
        session.flush()
        audit_attempt(session, attempt, "attempt_requested", actor=requested_by)
        attempt_id = attempt.id
    push(rt.queue, [(attempt_id, 1, now)], now)
    return attempt_id


def record_call(
    session: Session, *, account_id: str, answered: bool, placed_by: str,
    at: Optional[dt.datetime] = None,
) -> ContactAttempt:
    """A call an agent placed themselves, counted by the call caps from now on."""
    at = at or utc_now()
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account {account_id}")
    attempt = ContactAttempt(
        idempotency_key=f"call:{uuid.uuid4().hex}", source="agent", campaign=None, stage="manual_call",
        account_id=account_id, phone=account.phone, channel="voice", language=account.language,
        local_date=at.astimezone(zone(account.timezone)).date(), state=AttemptState.SENT,
        not_before=at, sent_at=at, answered=answered,
        delivery="completed" if answered else "no-answer", claimed_by=placed_by,
    )
    session.add(attempt)
    session.flush()
    audit_attempt(session, attempt, "call_recorded", actor=placed_by, answered=answered)
    return attempt
