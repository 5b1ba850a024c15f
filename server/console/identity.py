"""Identity in the console: who the agent is talking to, and accounts locked after too many
wrong identity answers.

A conversation the bot did not verify is shown without the debt (balance, its parts, due
date, days overdue, what was agreed, the account's arrangements and vulnerability flag) until
the agent verifies the borrower: the agent types the borrower's date of birth and the last 4
digits of the ID document, which are read and matched by the bot's rules (language/identity.py, lending/identity.py),
counted with the bot's answers against the account's lock (store/identity.py), and neither
shown back, stored nor logged. A borrower's messages in the conversation that said those
answers leave the transcript once checked.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from language.identity import read_birth_date, read_id_last4
from lending.identity import birth_date_matches, id_last4_matches
from lending.policy import Policy
from server.console.present import iso, mask_name, mask_phone
from store.identity import (
    LockState,
    active_lock,
    active_locks,
    conversation_verified,
    failures_counted,
    mark_identity_answer,
    record_check,
)
from store.models import Account, Handoff, IdentityCheck, IdentityQuestion, Message

# What an agent may not see of the account before the borrower is verified (nor the
# account's arrangements: views.conversation_api).
DEBT_FIELDS = ("balance", "principal", "interest", "fees", "due_date", "days_overdue", "vulnerable")


class VerificationInputError(ValueError):
    """The agent's entry cannot be read as a date of birth or 4 ID digits (not counted)."""


@dataclass(frozen=True)
class Verification:
    matched: bool
    state: LockState


def verified_by(session: Session, conversation_id: str) -> Optional[str]:
    """"bot" or "agent:<username>" when the borrower was verified in this conversation."""
    if not conversation_verified(session, conversation_id):
        return None
    query = select(IdentityCheck.actor).where(
        IdentityCheck.conversation_id == conversation_id, IdentityCheck.matched.is_(True),
        IdentityCheck.question == IdentityQuestion.BOTH,
    ).order_by(IdentityCheck.id)
    return session.execute(query.limit(1)).scalar() or "bot"


def identity_view(session: Session, handoff: Handoff, policy: Policy, now: dt.datetime) -> dict:
    """What the conversation page says about identity, never an answer."""
    by = verified_by(session, handoff.conversation_id)
    lock = active_lock(session, handoff.account_id, now)
    failures = failures_counted(session, handoff.account_id, policy.identity, now) if handoff.account_id else 0
    return {
        "verified": by is not None,
        "verified_by": by,
        "locked": lock is not None,
        "locked_until": iso(lock.locked_until) if lock else None,
        "attempts_left": 0 if lock else max(0, policy.identity.max_attempts - failures),
    }


def without_debt(account: Optional[dict]) -> Optional[dict]:
    if account is None:
        return None
    return {key: value for key, value in account.items() if key not in DEBT_FIELDS}


def lock_alerts(session: Session, now: dt.datetime) -> List[dict]:
    """Accounts locked now, for every agent's queue page: masked like the queue."""
    alerts = []
    for lock in active_locks(session, now):
        account = session.get(Account, lock.account_id)
        alerts.append({
            "account_id": lock.account_id,
            "borrower": mask_name(account.name if account else None),
            "phone": mask_phone(account.phone if account else None),
            "channel": lock.channel,
            "failures": lock.failures,
            "locked_at": iso(lock.locked_at),
            "locked_until": iso(lock.locked_until),
        })
    return alerts


def verify(
    session: Session, handoff: Handoff, birth_date: str, id_last4: str, actor: str,
    policy: Policy, now: dt.datetime,
) -> Verification:
    """Checks what the agent typed against the account; a mismatch counts against the lock.
    Raises VerificationInputError when an entry cannot be read (nothing is counted)."""
    account = session.get(Account, handoff.account_id)
    today = now.astimezone(ZoneInfo(account.timezone)).date()
    born = read_birth_date(birth_date, jurisdiction=policy.jurisdiction, today=today,
                           language=account.language)
    if born is None:
        raise VerificationInputError("the date of birth could not be read: type it with the year")
    digits = read_id_last4(id_last4, language=account.language)
    if digits is None:
        raise VerificationInputError("type exactly the last 4 characters of the ID document")
    matched = birth_date_matches(born, account.birth_date) and id_last4_matches(digits, account.id_last4)
    state = record_check(
        session, account.account_id, question=IdentityQuestion.BOTH, matched=matched,
        channel=handoff.channel, actor=actor, rules=policy.identity, now=now,
        conversation_id=handoff.conversation_id,
    )
    _forget_answers(session, handoff, born, digits, account, policy, today)
    return Verification(matched and not state.locked, state)


def _forget_answers(session: Session, handoff: Handoff, born: dt.date, digits: str,
                    account: Account, policy: Policy, today: dt.date) -> None:
    """The borrower's messages in this conversation that said what the agent typed (the
    agent read them to type them) leave the transcript: the answers are not kept."""
    query = select(Message).where(
        Message.conversation_id == handoff.conversation_id, Message.direction == "in",
    )
    for message in session.execute(query).scalars():
        said_date = read_birth_date(message.body, jurisdiction=policy.jurisdiction, today=today,
                                    language=account.language)
        said_digits = read_id_last4(message.body, language=account.language)
        if said_date == born or id_last4_matches(said_digits, digits):
            mark_identity_answer(session, message.id, handoff.conversation_id)
