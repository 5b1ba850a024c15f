"""The handoff queue: conversations a person answers instead of the bot.

The bot (actions/handoff.py) enqueues a conversation when it hands over; agents claim,
release and finish queue items from the console (server/console/). Every change of
state is one conditional UPDATE, so any number of gateway processes on SQLite or
PostgreSQL agree on who holds what: of two agents claiming the same item at once,
exactly one UPDATE matches the `queued` row.
"""
from __future__ import annotations

import datetime as dt
from typing import List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import (
    Account,
    AccountStatus,
    Conversation,
    Handoff,
    HandoffResolution,
    HandoffStatus,
    Outcome,
    OutcomeKind,
    utcnow,
)
from store.types import iso_utc

# Lower goes first. Vulnerable borrowers and legal cases before everything else,
# then disputes (collection is paused until a person resolves them), then the rest.
URGENT, DISPUTE, ROUTINE = 1, 2, 3
PRIORITY_BY_REASON = {
    "legal_protection": URGENT,
    "hardship": URGENT,
    "dispute_debt": DISPUTE,
    "already_paid": DISPUTE,
    "abuse_after_deescalation": ROUTINE,
    "outside_policy": ROUTINE,
    "not_understood_twice": ROUTINE,
    "request_human": ROUTINE,
}
PRIORITY_NAMES = {URGENT: "urgent", DISPUTE: "dispute", ROUTINE: "routine"}
# Outcomes that are bookkeeping rather than something settled with the borrower.
NOT_AGREEMENTS = {OutcomeKind.ESCALATION, OutcomeKind.VERIFIED, OutcomeKind.IDENTITY_FAILED}


def is_vulnerable(session: Session, account_id: Optional[str]) -> bool:
    """The account is flagged vulnerable, or a hardship was ever recorded for it."""
    if not account_id:
        return False
    account = session.get(Account, account_id)
    if account is not None and account.vulnerable:
        return True
    query = select(Outcome.id).where(
        Outcome.account_id == account_id, Outcome.kind == OutcomeKind.HARDSHIP
    )
    return session.execute(query.limit(1)).first() is not None


def priority_for(reason: str, *, vulnerable: bool, legal: bool) -> int:
    if vulnerable or legal:
        return URGENT
    return PRIORITY_BY_REASON.get(reason, ROUTINE)


def account_summary(account: Account, now: dt.datetime) -> dict:
    """What an agent needs to know about the account; no identity facts (birth date,
    ID digits), which stay in the accounts table for the bot's check only."""
    today = now.astimezone(ZoneInfo(account.timezone)).date()
    return {
        "account_id": account.account_id,
        "name": account.name,
        "timezone": account.timezone,
        "language": account.language,
        "currency": account.currency,
        "principal": str(account.principal),
        "interest": str(account.interest),
        "fees": str(account.fees),
        "balance": str(account.balance),
        "due_date": account.due_date.isoformat(),
        "days_overdue": account.days_overdue(today),
        "status": account.status,
    }


def conversation_outcomes(session: Session, conversation_id: str) -> List[Outcome]:
    query = select(Outcome).where(Outcome.conversation_id == conversation_id).order_by(Outcome.id)
    return list(session.execute(query).scalars())


def outcome_entry(outcome: Outcome) -> dict:
    return {
        "kind": outcome.kind,
        "details": outcome.details,
        "at": iso_utc(outcome.created_at, timespec="seconds"),
    }


def build_summary(
    session: Session, conversation: Conversation, reason: str, now: dt.datetime
) -> dict:
    account = session.get(Account, conversation.account_id) if conversation.account_id else None
    outcomes = conversation_outcomes(session, conversation.id)
    return {
        "reason": reason,
        "account": account_summary(account, now) if account is not None else None,
        "verified": any(o.kind == OutcomeKind.VERIFIED for o in outcomes),
        "vulnerable": reason == "hardship" or is_vulnerable(session, conversation.account_id),
        "agreed": [outcome_entry(o) for o in outcomes if o.kind not in NOT_AGREEMENTS],
    }


def open_handoff(session: Session, conversation_id: str) -> Optional[Handoff]:
    query = select(Handoff).where(
        Handoff.conversation_id == conversation_id, Handoff.status.in_(HandoffStatus.OPEN)
    )
    return session.execute(query).scalars().first()


def enqueue(
    session: Session, conversation: Conversation, reason: str, now: Optional[dt.datetime] = None
) -> Handoff:
    """Puts the conversation in the queue (or returns the item already open for it) and
    marks it as answered by a person, so the gateway stops passing it to the bot."""
    now = now or dt.datetime.now(dt.timezone.utc)
    conversation.handled_by = "human"
    existing = open_handoff(session, conversation.id)
    if existing is not None:
        return existing
    summary = build_summary(session, conversation, reason, now)
    account = summary["account"]
    handoff = Handoff(
        conversation_id=conversation.id,
        account_id=conversation.account_id,
        channel=conversation.channel,
        reason=reason,
        priority=priority_for(
            reason, vulnerable=summary["vulnerable"],
            legal=bool(account and account["status"] == AccountStatus.LEGAL),
        ),
        summary=summary,
    )
    try:
        with session.begin_nested():  # another process enqueued it a moment ago
            session.add(handoff)
    except IntegrityError:
        return open_handoff(session, conversation.id)
    return handoff


def queued(session: Session) -> List[Handoff]:
    """Waiting items: by priority; within one, live calls first (someone is on the line),
    then the longest waiting."""
    query = (
        select(Handoff)
        .where(Handoff.status == HandoffStatus.QUEUED)
        .order_by(
            Handoff.priority,
            case((Handoff.channel == "voice", 0), else_=1),
            Handoff.queued_at,
            Handoff.id,
        )
    )
    return list(session.execute(query).scalars())


def claimed(session: Session, username: Optional[str] = None) -> List[Handoff]:
    """Items held by agents: one agent's (`username`), or everyone's."""
    query = select(Handoff).where(Handoff.status == HandoffStatus.CLAIMED)
    if username is not None:
        query = query.where(Handoff.claimed_by == username)
    return list(session.execute(query.order_by(Handoff.claimed_at, Handoff.id)).scalars())


def claim(session: Session, handoff_id: int, username: str) -> bool:
    """Takes a queued item for `username`; False when it is not queued any more (another
    agent was first, or it was closed)."""
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.QUEUED)
        .values(status=HandoffStatus.CLAIMED, claimed_by=username, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, handoff_id: int, holder: str) -> bool:
    """Puts a claimed item back in the queue (the agent cannot finish it)."""
    result = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id, Handoff.status == HandoffStatus.CLAIMED,
            Handoff.claimed_by == holder,
        )
        .values(status=HandoffStatus.QUEUED, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, handoff_id: int, holder: str, resolution: str) -> bool:
    """Ends a claimed item. Handed back: the bot answers the conversation's next message.
    Closed: the conversation is closed too, and a later message starts a new one."""
    result = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id, Handoff.status == HandoffStatus.CLAIMED,
            Handoff.claimed_by == holder,
        )
        .values(status=HandoffStatus.CLOSED, resolution=resolution, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    handoff = session.get(Handoff, handoff_id)
    session.refresh(handoff)
    conversation = session.get(Conversation, handoff.conversation_id)
    if resolution == HandoffResolution.HANDED_BACK:
        conversation.handled_by = "bot"
        conversation.last_activity_at = utcnow()  # the thread goes on from here
    else:
        conversation.closed_at = utcnow()
    return True
