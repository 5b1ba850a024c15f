"""Conversations: which thread a phone's message belongs to, and who answers it."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.accounts import find_by_phone
from store.models import Account, Conversation, utcnow


def current_conversation(
    session: Session, phone: str, channel: str, expiry: dt.timedelta
) -> Conversation:
    """The open thread for this phone and channel, or a new one once it went idle.

    A thread a person holds (handled_by human) never goes idle: it stays with the
    person until they hand it back or close it, however long the borrower waits.
    A new thread is bound to the account the phone reaches (or to none: the bot
    then says nothing about any debt)."""
    now = utcnow()
    query = (
        select(Conversation)
        .where(
            Conversation.phone == phone,
            Conversation.channel == channel,
            Conversation.closed_at.is_(None),
        )
        .order_by(Conversation.last_activity_at.desc())
    )
    latest = session.execute(query).scalars().first()
    if latest is not None and (
        latest.handled_by == "human" or now - latest.last_activity_at <= expiry
    ):
        latest.last_activity_at = now
        return latest
    if latest is not None:
        latest.closed_at = now
    account = find_by_phone(session, phone)
    conversation = Conversation(
        channel=channel, phone=phone, account_id=account.account_id if account else None
    )
    session.add(conversation)
    session.flush()
    return conversation


def get_conversation(session: Session, conversation_id: str) -> Optional[Conversation]:
    return session.get(Conversation, conversation_id)


def conversation_language(session: Session, conversation_id: str) -> Optional[str]:
    """The language of the account a conversation reaches (None: no account)."""
    query = (
        select(Account.language)
        .join(Conversation, Conversation.account_id == Account.account_id)
        .where(Conversation.id == conversation_id)
    )
    return session.execute(query).scalar_one_or_none()
