"""Messages in and out. An inbound message is stored before anything else happens
to it, so a crash or an unreachable bot never loses what a borrower wrote."""
from __future__ import annotations

import datetime as dt
from typing import List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import HeldIdentityAnswer, Message, MessageStatus, utcnow


def record_inbound(
    session: Session, *, provider_sid: str, phone: str, channel: str, body: str,
    conversation_id: Optional[str],
) -> Optional[Message]:
    """Stores a new inbound message; None when this provider id was seen before."""
    message = Message(
        direction="in", provider_sid=provider_sid, phone=phone, channel=channel, body=body,
        conversation_id=conversation_id, status=MessageStatus.RECEIVED,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


def inbound_stored(session: Session, provider_sid: str) -> bool:
    """Whether an inbound message with this provider id is stored."""
    return session.execute(select(Message.id).where(
        Message.direction == "in", Message.provider_sid == provider_sid).limit(1)).first() is not None


def record_outbound(
    session: Session, *, phone: str, channel: str, body: str,
    conversation_id: Optional[str], provider_sid: Optional[str] = None,
) -> Message:
    message = Message(
        direction="out", phone=phone, channel=channel, body=body,
        conversation_id=conversation_id, provider_sid=provider_sid, status=MessageStatus.SENT,
    )
    session.add(message)
    return message


def set_status(session: Session, message_id: int, status: str, *,
               held_apart: Optional[bool] = None) -> None:
    """`held_apart`: whether the message was held apart as an identity answer, when the caller
    knows (None: looked up)."""
    session.execute(update(Message).where(Message.id == message_id).values(status=status))
    if status in (MessageStatus.ANSWERED, MessageStatus.HANDLED) and held_apart is not False:
        held = session.get(HeldIdentityAnswer, message_id)
        if held is None:
            return
        if status == MessageStatus.ANSWERED and not held.read_as_answer:
            # The bot read it and found no identity answer in it: the transcript gets it back.
            session.execute(update(Message).where(Message.id == message_id).values(body=held.body))
        session.delete(held)


def defer_until(session: Session, message_id: int, when: dt.datetime, *, give_back_try: bool = False) -> None:
    """Deferred, and left alone by redelivery until `when` (its passes pick deferred messages
    by `updated_at`). `give_back_try`: the bot was not asked this time, so the try is not spent."""
    values = {"status": MessageStatus.DEFERRED, "updated_at": when}
    if give_back_try:
        values["attempts"] = Message.attempts - 1
    session.execute(update(Message).where(Message.id == message_id).values(**values))


def claim_deferred(session: Session, message_id: int) -> bool:
    """Takes a deferred message for redelivery; False when another worker has it."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.DEFERRED)
        .values(status=MessageStatus.RECEIVED, attempts=Message.attempts + 1, updated_at=utcnow())
    )
    return result.rowcount == 1


def deferred_messages(session: Session, older_than: dt.timedelta, limit: int = 50) -> List[Message]:
    """Messages waiting for the bot, oldest first, left alone for `older_than`."""
    cutoff = utcnow() - older_than
    query = (
        select(Message)
        .where(Message.status == MessageStatus.DEFERRED, Message.updated_at <= cutoff)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def stale_received(session: Session, older_than: dt.timedelta, limit: int = 50) -> List[Message]:
    """Inbound messages a crashed process took but never answered."""
    cutoff = utcnow() - older_than
    query = (
        select(Message)
        .where(
            Message.direction == "in",
            Message.status == MessageStatus.RECEIVED,
            Message.updated_at <= cutoff,
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def transcript(session: Session, conversation_id: str) -> List[Message]:
    query = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    return list(session.execute(query).scalars())


def claim_stale(session: Session, message_id: int, older_than: dt.timedelta) -> bool:
    """Takes an inbound message a crashed process left RECEIVED; False when it is
    no longer stale (someone is working on it, or another worker took it)."""
    cutoff = utcnow() - older_than
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.RECEIVED,
            Message.updated_at <= cutoff,
        )
        .values(attempts=Message.attempts + 1, updated_at=utcnow())
    )
    return result.rowcount == 1


def has_deferred_before(session: Session, conversation_id: str, message_id: int) -> bool:
    """True while an earlier message of this conversation waits for redelivery:
    a newer one must then wait too, so the bot reads them in order."""
    query = select(Message.id).where(
        Message.conversation_id == conversation_id,
        Message.id < message_id,
        Message.status == MessageStatus.DEFERRED,
    )
    return session.execute(query.limit(1)).first() is not None
