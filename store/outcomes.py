"""Outcomes a conversation settles, contact preferences, and the audit trail."""
from __future__ import annotations

import datetime as dt
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.arrangements import open_for_outcome
from store.consents import record_consent
from store.models import Account, AuditEvent, ContactPreference, Outcome, OutcomeKind, utcnow


def record_outcome(
    session: Session, kind: str, *, account_id: Optional[str], conversation_id: Optional[str],
    phone: Optional[str] = None, details: Optional[dict] = None, actor: str = "bot",
) -> Outcome:
    """Records what a conversation settled; an agreement (promise, plan, deferral, relief)
    opens its arrangement in the same transaction, agreed by `details["by"]` or `actor`."""
    if kind not in OutcomeKind.ALL:
        raise ValueError(f"unknown outcome kind {kind!r}")
    outcome = Outcome(
        kind=kind, account_id=account_id, conversation_id=conversation_id, phone=phone,
        details=details or {}, created_at=utcnow(),
    )
    session.add(outcome)
    if kind == OutcomeKind.HARDSHIP and account_id:
        flag_vulnerable(session, account_id, actor=(details or {}).get("by") or actor, because=kind)
    if kind in OutcomeKind.AGREEMENTS and account_id:
        session.flush()
        open_for_outcome(session, outcome, actor=(details or {}).get("by") or actor)
    return outcome


def flag_vulnerable(session: Session, account_id: str, *, actor: str, because: str) -> None:
    """Marks the account vulnerable (lending/arrangements.py and the gate read the flag)."""
    account = session.get(Account, account_id)
    if account is not None and not account.vulnerable:
        account.vulnerable = True
        audit(session, actor, "flagged_vulnerable", account_id=account_id, details={"because": because})


def outcomes_for(session: Session, account_id: str, kind: Optional[str] = None) -> List[Outcome]:
    query = select(Outcome).where(Outcome.account_id == account_id)
    if kind:
        query = query.where(Outcome.kind == kind)
    return list(session.execute(query.order_by(Outcome.id)).scalars())


def count_since(session: Session, account_id: str, kind: str, since: dt.datetime) -> int:
    query = select(func.count(Outcome.id)).where(
        Outcome.account_id == account_id, Outcome.kind == kind, Outcome.created_at >= since
    )
    return session.execute(query).scalar_one()


def audit(
    session: Session, actor: str, action: str, *, account_id: Optional[str] = None,
    conversation_id: Optional[str] = None, details: Optional[dict] = None,
) -> None:
    session.add(
        AuditEvent(
            actor=actor, action=action, account_id=account_id,
            conversation_id=conversation_id, details=details or {},
        )
    )


def set_opt_out(
    session: Session, phone: str, channel: str, opted_out: bool, *, how: str = "keyword",
    recorded_by: str = "gateway", account_id: Optional[str] = None,
) -> None:
    """Stops (or resumes) a channel for this phone. An opt-out also revokes consent to
    automated contact on the channel in the consent ledger (`how`: keyword,
    plain_language, agent, carrier_21610); resuming (START) is the borrower's own request
    for texts, recorded as a grant."""
    record_consent(session, phone, channel, not opted_out, source=how, recorded_by=recorded_by,
                   account_id=account_id)
    preference = session.get(ContactPreference, (phone, channel))
    if preference is None:
        session.add(ContactPreference(phone=phone, channel=channel, opted_out=opted_out))
    else:
        preference.opted_out = opted_out
        preference.updated_at = utcnow()


def is_opted_out(session: Session, phone: str, channel: str) -> bool:
    preference = session.get(ContactPreference, (phone, channel))
    return bool(preference and preference.opted_out)
