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
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import BigInteger, Float, TypeDecorator

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


# --- the agent console (issue 4): people who take conversations over from the bot ---


class HandoffStatus:
    QUEUED = "queued"  # waiting for an agent
    CLAIMED = "claimed"  # one agent holds it
    CLOSED = "closed"  # handed back to the bot, or the conversation closed
    OPEN = (QUEUED, CLAIMED)


class HandoffResolution:
    HANDED_BACK = "handed_back"  # the bot answers this conversation again
    CLOSED = "closed"  # the conversation is over; a later message starts a new one


class Handoff(Base):
    """A conversation the bot handed to a person: the console's queue. At most one is
    open per conversation; `summary` is what the agent reads first (the account, whether
    the bot verified the borrower, what the bot already recorded)."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(40), ForeignKey("conversations.id"), nullable=False, index=True)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=True)
    channel = Column(String(10), nullable=False)  # sms | voice (a voice handoff is a live call)
    reason = Column(String(40), nullable=False)
    priority = Column(Integer, nullable=False)  # 1 first: vulnerable borrowers and legal cases
    status = Column(String(10), nullable=False, default=HandoffStatus.QUEUED)
    claimed_by = Column(String(64), nullable=True)  # an Agent's username
    summary = Column(JSON, nullable=False, default=dict)
    resolution = Column(String(20), nullable=True)
    queued_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_handoffs_status_priority", "status", "priority", "queued_at"),
        Index(
            "uq_handoffs_open_conversation", "conversation_id", unique=True,
            sqlite_where=status != HandoffStatus.CLOSED,
            postgresql_where=status != HandoffStatus.CLOSED,
        ),
    )


class AgentRole:
    AGENT = "agent"  # takes conversations from the queue
    SUPERVISOR = "supervisor"  # sees every conversation, approves exceptions to the policy
    TRAINER = "trainer"  # reads what borrowers wrote to improve the NLU (a later release)
    ALL = (AGENT, SUPERVISOR, TRAINER)


class Agent(Base):
    """A person who signs in to the console. Only a salted hash of the password is kept."""

    __tablename__ = "agents"
    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(32), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(12), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ApprovalStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalRequest(Base):
    """An outcome the policy's checks refused, which an agent asked a supervisor to approve;
    it is recorded as an Outcome only once approved."""

    __tablename__ = "approval_requests"
    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    conversation_id = Column(String(40), ForeignKey("conversations.id"), nullable=False)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=True)
    kind = Column(String(20), nullable=False)
    details = Column(JSON, nullable=False, default=dict)  # the outcome as it would be recorded
    refusal_rule = Column(String(40), nullable=False)
    refusal_reason = Column(Text, nullable=False)
    requested_by = Column(String(32), nullable=False)
    status = Column(String(10), nullable=False, default=ApprovalStatus.PENDING, index=True)
    decided_by = Column(String(32), nullable=True)
    decided_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


# --- outbound campaigns (issue 5): contact attempts, payments, promise follow-up ---


class AttemptState:
    SCHEDULED = "scheduled"  # waiting for its time and a worker
    SENDING = "sending"  # claimed by a worker that is handing it to Twilio
    SENT = "sent"  # handed to Twilio (or written to the outbox); `delivery` follows it
    BLOCKED = "blocked"  # the compliance gate said no; `rule` and `reason` say why
    CANCELLED = "cancelled"  # the account left the segment before its time came
    FAILED = "failed"  # Twilio refused it for good, or transient errors outlasted the retries
    IN_DOUBT = "in_doubt"  # a worker died after claiming it: never re-sent automatically
    FINAL = (SENT, BLOCKED, CANCELLED, FAILED, IN_DOUBT)


class ContactAttempt(Base):
    """One outbound SMS or call, whoever asked for it (campaign, follow-up, agent).

    `idempotency_key` (campaign, account, stage, borrower's local date) makes scheduling
    repeatable; a worker sends only after moving `state` from scheduled to sending (or
    straight to sent with the outbox) with a conditional UPDATE, so two workers holding
    the same job never send twice."""

    __tablename__ = "contact_attempts"
    id = Column(Integer, primary_key=True, autoincrement=True)
    idempotency_key = Column(String(200), nullable=False, unique=True)
    source = Column(String(12), nullable=False)  # campaign | follow_up | agent
    campaign = Column(String(64), nullable=True)
    stage = Column(String(64), nullable=False)
    run_id = Column(String(40), nullable=True, index=True)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=False)
    phone = Column(String(20), nullable=False)
    channel = Column(String(10), nullable=False)  # sms | voice
    language = Column(String(16), nullable=False)
    local_date = Column(Date, nullable=False)  # the borrower's day it belongs to
    state = Column(String(12), nullable=False, default=AttemptState.SCHEDULED)
    not_before = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=True)  # no rescheduling past this instant
    body = Column(Text, nullable=True)  # the text sent (an agent's text is set up front)
    enqueues = Column(Integer, nullable=False, default=0)  # jobs handed to the queue
    enqueued_at = Column(DateTime, nullable=True)
    tries = Column(Integer, nullable=False, default=0)  # times a worker claimed it
    claimed_at = Column(DateTime, nullable=True)
    claimed_by = Column(String(80), nullable=True)  # host:pid of the worker
    sent_at = Column(DateTime, nullable=True)
    provider_sid = Column(String(64), nullable=True, index=True)
    delivery = Column(String(16), nullable=True)  # Twilio's status: queued, sent, delivered...
    answered = Column(Boolean, nullable=True)  # calls: connected to a person
    rule = Column(String(40), nullable=True)  # the gate rule that last blocked or deferred it
    reason = Column(Text, nullable=True)
    error_code = Column(String(16), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_contact_attempts_state_due", "state", "not_before"),
        Index("ix_contact_attempts_account", "account_id", "channel", "sent_at"),
        Index("ix_contact_attempts_phone", "phone", "channel", "sent_at"),
        Index("ix_contact_attempts_campaign", "campaign", "local_date"),
    )


class AccountTag(Base):
    """Labels a lender gives accounts (optional `tags` column of the accounts file);
    campaign segments include or exclude them."""

    __tablename__ = "account_tags"
    account_id = Column(String(64), ForeignKey("accounts.account_id"), primary_key=True)
    tag = Column(String(40), primary_key=True)


class InconvenientTime(Base):
    """A weekly time the borrower said is inconvenient (their local time)."""

    __tablename__ = "inconvenient_times"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=False, index=True)
    weekdays = Column(String(27), nullable=False)  # "mon,tue,wed"
    start = Column(Time, nullable=False)
    end = Column(Time, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Payment(Base):
    """A payment the lender reports (POST /api/payments or a CSV import); `reference`
    makes a second import of the same file harmless."""

    __tablename__ = "payments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(64), nullable=False, unique=True)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=False, index=True)
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    paid_on = Column(Date, nullable=False)
    source = Column(String(12), nullable=False)  # api | csv
    created_at = Column(DateTime, nullable=False, default=utcnow)


class PromiseState:
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    REPLACED = "replaced"  # a newer promise on the same account took its place


class PaymentPromise(Base):
    """Follow-up of a promise to pay (an Outcome of kind "promise"): kept once payments
    since it was made cover its amount, broken when its date passes without them."""

    __tablename__ = "payment_promises"
    id = Column(Integer, primary_key=True, autoincrement=True)
    outcome_id = Column(Integer, ForeignKey("outcomes.id"), nullable=False, unique=True)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=False, index=True)
    promised_on = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    made_at = Column(DateTime, nullable=False)
    state = Column(String(10), nullable=False, default=PromiseState.OPEN, index=True)
    paid = Column(Money, nullable=True)
    settled_at = Column(DateTime, nullable=True)


# --- voice calls (issue 3): the same conversation on the phone ---


class CallOutcome:
    """How a call ended, as the status callback reports it."""

    COMPLETED = "completed"  # a conversation took place (or the caller hung up during it)
    VOICEMAIL = "voicemail"  # a machine answered and got the limited-content message
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELED = "canceled"


class VoiceCall(Base):
    """One phone call, inbound or outbound. The conversation is keyed by the call (its
    CallSid) and bound to an account: on an outbound call `From` is the lender's own
    number, so the caller ID alone cannot say whom the call is about. An outbound call's
    row exists before Twilio is asked to dial (its id travels in the webhook URLs), and
    gets its CallSid once Twilio answers the request."""

    __tablename__ = "voice_calls"
    id = Column(Integer, primary_key=True, autoincrement=True)
    call_sid = Column(String(64), nullable=True, unique=True)  # Twilio's CallSid
    direction = Column(String(10), nullable=False)  # inbound | outbound
    phone = Column(String(20), nullable=False)  # the borrower's side of the call
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=True, index=True)
    conversation_id = Column(String(40), ForeignKey("conversations.id"), nullable=True)
    attempt_id = Column(Integer, ForeignKey("contact_attempts.id"), nullable=True)
    via = Column(String(10), nullable=False, default="twilio")  # twilio | outbox
    placed_by = Column(String(40), nullable=True)  # api | cli | ... (outbound only)
    status = Column(String(16), nullable=False, default="queued")  # Twilio's CallStatus
    answered_by = Column(String(24), nullable=True)  # human, machine_end_beep, ... (AMD)
    outcome = Column(String(12), nullable=True)  # CallOutcome, once the call ended
    created_at = Column(DateTime, nullable=False, default=utcnow)
    answered_at = Column(DateTime, nullable=True)
    ended_at = Column(DateTime, nullable=True)


# --- the NLU review inbox (issue 6): what borrowers wrote, for trainers ---


class ReviewStatus:
    PENDING = "pending"  # waiting for a trainer
    APPROVED = "approved"  # an example was written into the NLU data (or was there already)
    DISCARDED = "discarded"  # not worth an example (gibberish, a duplicate, ...)


class ReviewReason:
    FALLBACK = "fallback"  # the FallbackClassifier took over (too unsure, or two intents too close)
    LOW_CONFIDENCE = "low_confidence"  # below NLU_REVIEW_CONFIDENCE
    SAMPLE = "sample"  # one of the NLU_REVIEW_SAMPLE_RATE share of confident messages


class ReviewItem(Base):
    """A borrower's message as the model classified it, redacted before it is stored
    (bot/redaction.py): the text never holds a phone, card, ID, birth date, e-mail or the
    account holder's name. The same redacted sentence while it waits counts `seen` times."""

    __tablename__ = "nlu_review_items"
    id = Column(Integer, primary_key=True, autoincrement=True)
    message_id = Column(Integer, ForeignKey("messages.id"), nullable=True, unique=True)
    conversation_id = Column(String(40), ForeignKey("conversations.id"), nullable=True, index=True)
    channel = Column(String(10), nullable=False)
    language = Column(String(16), nullable=False, default="en")
    text = Column(Text, nullable=False)  # redacted
    normalised = Column(String(400), nullable=False, index=True)  # for counting repeats
    intent = Column(String(64), nullable=True)  # the model's best intent (under a fallback too)
    confidence = Column(Float, nullable=False)
    fell_back = Column(Boolean, nullable=False, default=False)
    alternatives = Column(JSON, nullable=False, default=list)  # [{"intent", "confidence"}]
    reason = Column(String(16), nullable=False)
    seen = Column(Integer, nullable=False, default=1)
    status = Column(String(10), nullable=False, default=ReviewStatus.PENDING)
    reviewed_by = Column(String(32), nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    decided_intent = Column(String(64), nullable=True)
    example = Column(Text, nullable=True)  # the line written, with entity markup
    written_to = Column(String(300), nullable=True)  # "data/nlu/hardship.yml, line 109"
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_nlu_review_items_status", "status", "id"),)
