"""Right-party verification across conversations: identity answers counted per account, the
lock they lead to, and identity answers kept out of the transcript.

Every identity answer checked (by the bot on SMS or a call, by an agent in the console) is an
IdentityCheck row: that an answer was given, where, and whether it matched; never the answer.
Wrong answers within the policy's `identity.window_minutes` count together whatever the
conversation or channel; at `identity.max_attempts` the account is locked for
`identity.lockout_minutes`. A full verification that matched, or a lock, starts the count
afresh (a lock that ended gives the borrower their tries again, not one).

Identity answers never stay in the transcript in clear: the gateway stores the borrower's
message that answers the bot's pending identity question as a placeholder and holds the text
apart (HeldIdentityAnswer) only until the bot has read it; the action server replaces any
other message it read an identity answer from (mark_identity_answer).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lending.policy import Identity as IdentityRules
from store.models import (
    IDENTITY_ANSWER_PLACEHOLDER,
    Account,
    HeldIdentityAnswer,
    IdentityCheck,
    IdentityLock,
    IdentityQuestion,
    Message,
    MessageStatus,
    Outcome,
    OutcomeKind,
    PendingIdentityQuestion,
    utcnow,
)
from store.outcomes import audit
from store.types import iso_utc


@dataclass(frozen=True)
class LockState:
    failures: int  # wrong answers that count now
    locked_until: Optional[dt.datetime]  # naive UTC; None: not locked
    just_locked: bool = False  # this check locked the account

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def active_lock(session: Session, account_id: Optional[str],
                now: Optional[dt.datetime] = None) -> Optional[IdentityLock]:
    """The account's lock in force at `now`, if any."""
    if not account_id:
        return None
    query = (
        select(IdentityLock)
        .where(IdentityLock.account_id == account_id, IdentityLock.locked_until > (now or utcnow()))
        .order_by(IdentityLock.locked_until.desc())
    )
    return session.execute(query.limit(1)).scalars().first()


def active_locks(session: Session, now: Optional[dt.datetime] = None) -> List[IdentityLock]:
    """Every lock in force, newest first (the console's alerts)."""
    query = (
        select(IdentityLock)
        .where(IdentityLock.locked_until > (now or utcnow()))
        .order_by(IdentityLock.locked_at.desc(), IdentityLock.id.desc())
    )
    return list(session.execute(query).scalars())


def _count_from(session: Session, account_id: str, rules: IdentityRules, now: dt.datetime) -> dt.datetime:
    """Wrong answers after this instant count: inside the window, after the last full
    verification that matched and after the last lock began."""
    start = now - dt.timedelta(minutes=rules.window_minutes)
    last_match = session.execute(
        select(func.max(IdentityCheck.at)).where(
            IdentityCheck.account_id == account_id, IdentityCheck.matched.is_(True),
            IdentityCheck.question == IdentityQuestion.BOTH,
        )
    ).scalar_one()
    last_lock = session.execute(
        select(func.max(IdentityLock.locked_at)).where(IdentityLock.account_id == account_id)
    ).scalar_one()
    return max([moment for moment in (start, last_match, last_lock) if moment is not None])


def failures_counted(session: Session, account_id: str, rules: IdentityRules,
                     now: Optional[dt.datetime] = None) -> int:
    now = now or utcnow()
    since = _count_from(session, account_id, rules, now)
    query = select(func.count(IdentityCheck.id)).where(
        IdentityCheck.account_id == account_id, IdentityCheck.matched.is_(False),
        IdentityCheck.at > since, IdentityCheck.at <= now,
    )
    return session.execute(query).scalar_one()


def lock_state(session: Session, account_id: Optional[str], rules: IdentityRules,
               now: Optional[dt.datetime] = None) -> LockState:
    if not account_id:
        return LockState(0, None)
    lock = active_lock(session, account_id, now)
    return LockState(failures_counted(session, account_id, rules, now),
                     lock.locked_until if lock else None)


def record_check(
    session: Session, account_id: str, *, question: str, matched: bool, channel: str,
    actor: str, rules: IdentityRules, now: Optional[dt.datetime] = None,
    conversation_id: Optional[str] = None, message_id: Optional[int] = None,
) -> LockState:
    """Records one identity answer checked and locks the account when it was one wrong
    answer too many. The account's row is locked first (PostgreSQL), so two channels failing
    at once count each other's answers and lock once."""
    now = now or utcnow()
    session.execute(select(Account.account_id).where(Account.account_id == account_id).with_for_update())
    if message_id is not None:  # only a message of this conversation is named
        message = session.get(Message, message_id)
        if message is None or message.conversation_id != conversation_id:
            message_id = None
    session.add(IdentityCheck(
        account_id=account_id, conversation_id=conversation_id, channel=channel, actor=actor,
        question=question, matched=matched, message_id=message_id, at=now,
    ))
    session.flush()
    lock = active_lock(session, account_id, now)
    if lock is not None:
        return LockState(failures_counted(session, account_id, rules, now), lock.locked_until)
    failures = 0 if matched else failures_counted(session, account_id, rules, now)
    if failures < rules.max_attempts:
        return LockState(failures, None)
    until = now + dt.timedelta(minutes=rules.lockout_minutes)
    session.add(IdentityLock(
        account_id=account_id, locked_at=now, locked_until=until, failures=failures,
        channel=channel, conversation_id=conversation_id,
    ))
    audit(session, actor, "identity_locked", account_id=account_id, conversation_id=conversation_id,
          details={"failures": failures, "channel": channel,
                   "locked_until": iso_utc(until, timespec="seconds")})
    return LockState(failures, until, just_locked=True)


def conversation_verified(session: Session, conversation_id: str) -> bool:
    """Whether the borrower was verified in this conversation, by the bot or an agent."""
    by_check = select(IdentityCheck.id).where(
        IdentityCheck.conversation_id == conversation_id, IdentityCheck.matched.is_(True),
        IdentityCheck.question == IdentityQuestion.BOTH,
    )
    if session.execute(by_check.limit(1)).first() is not None:
        return True
    by_outcome = select(Outcome.id).where(
        Outcome.conversation_id == conversation_id, Outcome.kind == OutcomeKind.VERIFIED,
    )
    return session.execute(by_outcome.limit(1)).first() is not None


# --- identity answers out of the transcript ---------------------------------------------------


NOT_READ = object()  # set_pending_question's `waiting`: the caller did not read it


def set_pending_question(session: Session, conversation_id: str, question: Optional[str],
                         *, waiting=NOT_READ) -> None:
    """What the bot's last reply asked (None: no identity question is waiting). `waiting`:
    what pending_question read in this conversation's lock, which spares reading it again."""
    if waiting is None and question not in IdentityQuestion.ASKED:
        return  # nothing was waiting and nothing is asked
    row = session.get(PendingIdentityQuestion, conversation_id)
    if question not in IdentityQuestion.ASKED:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(PendingIdentityQuestion(conversation_id=conversation_id, question=question))
    else:
        row.question, row.asked_at = question, utcnow()


def pending_question(session: Session, conversation_id: str) -> Optional[str]:
    row = session.get(PendingIdentityQuestion, conversation_id)
    return row.question if row is not None else None


def hold_answer(session: Session, message: Message, text: str) -> None:
    """Stores `message` as an identity answer: the placeholder in the transcript, the text
    apart until the bot has read it (release_held)."""
    message.body = IDENTITY_ANSWER_PLACEHOLDER
    session.flush()
    session.add(HeldIdentityAnswer(message_id=message.id, body=text))


def text_for_bot(session: Session, message: Message) -> str:
    """What the bot must read for a stored message: the held text of an identity answer."""
    held = session.get(HeldIdentityAnswer, message.id)
    return held.body if held is not None else message.body


def release_held(session: Session, message_id: int) -> None:
    session.execute(delete(HeldIdentityAnswer).where(HeldIdentityAnswer.message_id == message_id))


def mark_identity_answer(session: Session, message_id: int, conversation_id: str) -> bool:
    """Replaces a borrower's message of this conversation the bot read an identity answer
    from with the placeholder; False when the conversation has no such message. Text held
    for it stays until the bot's turn ends (a redelivery may still need it)."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "in" or message.conversation_id != conversation_id:
        return False
    held = session.get(HeldIdentityAnswer, message.id)
    if held is not None:
        held.read_as_answer = True  # the placeholder stays when the turn ends
        return True
    if message.body == IDENTITY_ANSWER_PLACEHOLDER:
        return True
    if message.status in (MessageStatus.RECEIVED, MessageStatus.DEFERRED):
        # Should this turn fail, a redelivery sends the text again; it goes once answered.
        session.add(HeldIdentityAnswer(message_id=message.id, body=message.body, read_as_answer=True))
    message.body = IDENTITY_ANSWER_PLACEHOLDER
    return True


def is_identity_answer(message: Message) -> bool:
    return message.direction == "in" and message.body == IDENTITY_ANSWER_PLACEHOLDER
