"""Views of what the store holds after a test: messages, the outbox, contact attempts,
handoffs and the audit trail."""
from __future__ import annotations

import re
from typing import List, Optional

from sqlalchemy import select

from store.db import session_scope
from store.models import AuditEvent, ContactAttempt, Handoff, Message, OutboxMessage
from tests.support.accounts import BORROWER


def stored_messages(phone: str = BORROWER, channel: Optional[str] = None) -> List[Message]:
    with session_scope() as session:
        query = select(Message).where(Message.phone == phone).order_by(Message.id)
        if channel:
            query = query.where(Message.channel == channel)
        return list(session.execute(query).scalars())


def inbound(phone: str = BORROWER) -> List[Message]:
    return [m for m in stored_messages(phone) if m.direction == "in"]


def outbound(phone: str = BORROWER) -> List[Message]:
    return [m for m in stored_messages(phone) if m.direction == "out"]


def outbox(phone: Optional[str] = BORROWER) -> List[OutboxMessage]:
    """What waits to be (or was) sent to `phone`; to everyone with None."""
    with session_scope() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if phone:
            query = query.where(OutboxMessage.to == phone)
        return list(session.execute(query).scalars())


def without_opt_out(texts: List[str]) -> List[str]:
    """What was said, without the opt-out wording every outbound SMS ends with."""
    return [re.sub(r"\nReply STOP to opt out\.$", "", text) for text in texts]


def outbox_bodies(phone: str) -> List[str]:
    return without_opt_out([row.body for row in outbox(phone)])


def attempts(**where) -> List[ContactAttempt]:
    with session_scope() as session:
        query = select(ContactAttempt).order_by(ContactAttempt.id)
        for name, value in where.items():
            query = query.where(getattr(ContactAttempt, name) == value)
        return list(session.execute(query).scalars())


def handoff_row(handoff_id: int) -> Handoff:
    with session_scope() as session:
        return session.get(Handoff, handoff_id)


def audit_trail(action_prefix: str = "", actor: Optional[str] = None) -> List[AuditEvent]:
    """The audit events whose action starts with `action_prefix`, by `actor` if given."""
    with session_scope() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action_prefix:
            query = query.where(AuditEvent.action.startswith(action_prefix))
        if actor:
            query = query.where(AuditEvent.actor == actor)
        return list(session.execute(query).scalars())


def audit_actions(actor: Optional[str] = None) -> List[str]:
    """The audit trail's actions in order (by `actor` if given)."""
    return [event.action for event in audit_trail(actor=actor)]
