"""Tables. Identity facts (birth date, ID digits) live only in `accounts` and are
never copied into messages, outcomes or the audit trail."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import BigInteger, TypeDecorator

Base = declarative_base()


class Money(TypeDecorator):
    """A Decimal stored as whole cents, exact on SQLite and PostgreSQL alike."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


class AccountStatus:
    ACTIVE = "active"
    DISPUTED = "disputed"  # collection paused until a person resolves it
    LEGAL = "legal"  # attorney or bankruptcy: stop and hand over
    WRONG_NUMBER = "wrong_number"  # the phone does not reach the borrower
    PAID = "paid"
    PAUSED = {DISPUTED, LEGAL, WRONG_NUMBER, PAID}


class Account(Base):
    __tablename__ = "accounts"
    account_id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    phone = Column(String(20), nullable=False, index=True)
    timezone = Column(String(64), nullable=False)
    language = Column(String(16), nullable=False)
    currency = Column(String(3), nullable=False)
    principal = Column(Money, nullable=False)
    interest = Column(Money, nullable=False)
    fees = Column(Money, nullable=False)
    due_date = Column(Date, nullable=False)
    birth_date = Column(Date, nullable=False)
    id_last4 = Column(String(4), nullable=False)
    status = Column(String(20), nullable=False, default=AccountStatus.ACTIVE)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def balance(self):
        return self.principal + self.interest + self.fees

    def days_overdue(self, today: dt.date) -> int:
        return max(0, (today - self.due_date).days)


class Conversation(Base):
    """One thread with one phone; its id is the sender id Rasa sees."""

    __tablename__ = "conversations"
    id = Column(String(40), primary_key=True, default=lambda: f"c-{new_id()}")
    channel = Column(String(10), nullable=False)  # sms | voice
    phone = Column(String(20), nullable=False)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=True)
    handled_by = Column(String(10), nullable=False, default="bot")  # bot | human
    started_at = Column(DateTime, nullable=False, default=utcnow)
    last_activity_at = Column(DateTime, nullable=False, default=utcnow)
    closed_at = Column(DateTime, nullable=True)

    __table_args__ = (Index("ix_conversations_phone_channel", "phone", "channel"),)


class MessageStatus:
    RECEIVED = "received"  # stored, not yet answered by the bot
    ANSWERED = "answered"
    DEFERRED = "deferred"  # the bot was unreachable; a redelivery will answer it
    HANDLED = "handled"  # answered by the gateway itself (keywords, empty messages)
    SENT = "sent"  # outbound, handed to Twilio or the outbox


class Message(Base):
    """Every message in and out: the audit trail of what was said."""

    __tablename__ = "messages"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(40), ForeignKey("conversations.id"), nullable=True)
    direction = Column(String(3), nullable=False)  # in | out
    channel = Column(String(10), nullable=False)
    phone = Column(String(20), nullable=False)
    body = Column(Text, nullable=False, default="")
    provider_sid = Column(String(64), nullable=True)  # Twilio's MessageSid
    status = Column(String(12), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("direction", "provider_sid", name="uq_messages_provider_sid"),
        Index("ix_messages_status", "status"),
    )


class OutcomeKind:
    VERIFIED = "verified"
    IDENTITY_FAILED = "identity_failed"
    PROMISE = "promise"
    PLAN = "plan"
    DEFERRAL = "deferral"
    DISPUTE = "dispute"
    ALREADY_PAID = "already_paid"
    HARDSHIP = "hardship"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    WRONG_NUMBER = "wrong_number"
    CALLBACK = "callback"
    ESCALATION = "escalation"
    PAYMENT_LINK = "payment_link"
    LEGAL = "legal"
    ALL = {
        VERIFIED, IDENTITY_FAILED, PROMISE, PLAN, DEFERRAL, DISPUTE, ALREADY_PAID, HARDSHIP,
        OPT_OUT, OPT_IN, WRONG_NUMBER, CALLBACK, ESCALATION, PAYMENT_LINK, LEGAL,
    }


class Outcome(Base):
    """What a conversation settled: a promise, a plan, an opt-out, a handoff..."""

    __tablename__ = "outcomes"
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(20), nullable=False, index=True)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=True, index=True)
    conversation_id = Column(String(40), ForeignKey("conversations.id"), nullable=True)
    phone = Column(String(20), nullable=True)
    details = Column(JSON, nullable=False, default=dict)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class ContactPreference(Base):
    """Opt-out state per phone and channel (STOP on SMS stops SMS)."""

    __tablename__ = "contact_preferences"
    phone = Column(String(20), primary_key=True)
    channel = Column(String(10), primary_key=True)
    opted_out = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """Outbound SMS recorded instead of sent when no Twilio account is configured."""

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True, autoincrement=True)
    channel = Column(String(10), nullable=False, default="sms")
    to = Column(String(20), nullable=False, index=True)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class AuditEvent(Base):
    """Who did what, when: API imports, handoffs, policy refusals, redeliveries."""

    __tablename__ = "audit_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(40), nullable=False)  # bot | gateway | api | agent:<name>
    action = Column(String(60), nullable=False)
    account_id = Column(String(64), nullable=True, index=True)
    conversation_id = Column(String(40), nullable=True)
    details = Column(JSON, nullable=False, default=dict)
