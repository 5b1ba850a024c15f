"""Tables. Identity facts (birth date, ID digits) live only in `accounts` and are
never copied into messages, outcomes or the audit trail.

Every text column is a StoredString/StoredText (whatever a borrower or Twilio sends can
be stored on SQLite and PostgreSQL alike) and every instant a UTCDateTime (store/types.py)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import Float

from store.types import Money, StoredString, StoredText, UTCDateTime

Base = declarative_base()

# The longest CallSid, MessageSid or address (From, To) the store keeps. Twilio's sids
# are 34 characters and its addresses ("+15551234567", "whatsapp:+15551234567",
# "messenger:<page id>") far shorter; the bound keeps every index entry within
# PostgreSQL's limit (a b-tree entry holds about 2,700 bytes: 512 characters of up to
# 4 bytes each fit). The gateway refuses longer ones with a 400 (server/webhook_input.py).
TWILIO_FIELD_LENGTH = 512


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


def one_of(table: str, column: str, values) -> CheckConstraint:
    """The database refuses any value of `column` outside `values` (a class's ALL below:
    one source of truth). A change to `values` needs a migration (tests/store/test_schema.py)."""
    assert all(re.fullmatch("[a-z0-9_]+", value) for value in values)
    listed = ", ".join(f"'{value}'" for value in sorted(values))
    return CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{column}")


class AccountStatus:
    ACTIVE = "active"
    DISPUTED = "disputed"  # collection paused until a person resolves it
    LEGAL = "legal"  # attorney or bankruptcy: stop and hand over
    WRONG_NUMBER = "wrong_number"  # the phone does not reach the borrower
    PAID = "paid"
    PAUSED = {DISPUTED, LEGAL, WRONG_NUMBER, PAID}
    ALL = (ACTIVE, DISPUTED, LEGAL, WRONG_NUMBER, PAID)


class Account(Base):
    __tablename__ = "accounts"
    account_id = Column(StoredString(64), primary_key=True)
    name = Column(StoredString(200), nullable=False)
    phone = Column(StoredString(20), nullable=False, index=True)
    timezone = Column(StoredString(64), nullable=False)
    language = Column(StoredString(16), nullable=False)
    currency = Column(StoredString(3), nullable=False)
    principal = Column(Money, nullable=False)
    interest = Column(Money, nullable=False)
    fees = Column(Money, nullable=False)
    due_date = Column(Date, nullable=False)
    birth_date = Column(Date, nullable=False)
    id_last4 = Column(StoredString(4), nullable=False)
    status = Column(StoredString(20), nullable=False, default=AccountStatus.ACTIVE)
    # The jurisdiction profile the account is contacted under (lender/jurisdictions/<name>.yml);
    # None: the policy's own.
    jurisdiction = Column(StoredString(16), nullable=True)
    # A borrower in a vulnerable situation (the lender's flag in the accounts file, an
    # agent's, or the bot's after a hardship): no automated campaigns when the policy says
    # so, and conversations go to a person (lending/arrangements.py).
    vulnerable = Column(Boolean, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (one_of("accounts", "status", AccountStatus.ALL),)

    @property
    def balance(self):
        return self.principal + self.interest + self.fees

    def days_overdue(self, today: dt.date) -> int:
        return max(0, (today - self.due_date).days)


class Conversation(Base):
    """One thread with one phone; its id is the sender id Rasa sees."""

    __tablename__ = "conversations"
    id = Column(StoredString(40), primary_key=True, default=lambda: f"c-{new_id()}")
    channel = Column(StoredString(10), nullable=False)  # sms | voice
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=True)
    handled_by = Column(StoredString(10), nullable=False, default="bot")  # bot | human
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_activity_at = Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_conversations_phone_channel", "phone", "channel"),)


class MessageStatus:
    RECEIVED = "received"  # stored, not yet answered by the bot
    ANSWERED = "answered"
    DEFERRED = "deferred"  # the bot was unreachable; a redelivery will answer it
    HANDLED = "handled"  # answered by the gateway itself (keywords, empty messages)
    SENT = "sent"  # outbound, handed to Twilio or the outbox
    # No CHECK on messages.status: an outbound message takes Twilio's delivery status too.


class Message(Base):
    """Every message in and out: the audit trail of what was said."""

    __tablename__ = "messages"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True)
    direction = Column(StoredString(3), nullable=False)  # in | out
    channel = Column(StoredString(10), nullable=False)
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False)
    body = Column(StoredText, nullable=False, default="")
    provider_sid = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=True)  # Twilio's MessageSid
    status = Column(StoredString(12), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

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
    RELIEF = "relief"  # hardship relief: details["relief"] is a reduced plan, fee waiver or breathing space
    ALL = {
        VERIFIED, IDENTITY_FAILED, PROMISE, PLAN, DEFERRAL, DISPUTE, ALREADY_PAID, HARDSHIP,
        OPT_OUT, OPT_IN, WRONG_NUMBER, CALLBACK, ESCALATION, PAYMENT_LINK, LEGAL, RELIEF,
    }
    # Agreements: recording one opens an Arrangement (store/arrangements.py).
    AGREEMENTS = (PROMISE, PLAN, DEFERRAL, RELIEF)


class Outcome(Base):
    """What a conversation settled: a promise, a plan, an opt-out, a handoff..."""

    __tablename__ = "outcomes"
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(StoredString(20), nullable=False, index=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=True, index=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True)
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=True)
    details = Column(JSON, nullable=False, default=dict)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (one_of("outcomes", "kind", OutcomeKind.ALL),)


class ContactPreference(Base):
    """Opt-out state per phone and channel (STOP on SMS stops SMS)."""

    __tablename__ = "contact_preferences"
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), primary_key=True)
    channel = Column(StoredString(10), primary_key=True)
    opted_out = Column(Boolean, nullable=False, default=False)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ConsentEvent(Base):
    """The consent ledger, one row per grant or revocation of consent to automated contact
    on a channel (sms: automated texts; voice: automated or AI-voice calls) for one phone.
    Never updated: the latest row per phone and channel is the state, the rest its history."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_phone_channel", "phone", "channel", "id"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False)
    channel = Column(StoredString(10), nullable=False)  # sms | voice
    granted = Column(Boolean, nullable=False)  # False: revoked
    at = Column(UTCDateTime, nullable=False)  # when the borrower gave or revoked it
    # Grants: where it came from (accounts_file, api, keyword, agent...); revocations: how
    # (keyword, plain_language, agent, carrier_21610, api).
    source = Column(StoredString(40), nullable=False)
    account_id = Column(StoredString(64), nullable=True)
    recorded_by = Column(StoredString(40), nullable=False)
    recorded_at = Column(UTCDateTime, nullable=False, default=utcnow)


class OutboxMessage(Base):
    """Outbound SMS recorded instead of sent when no Twilio account is configured."""

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True, autoincrement=True)
    channel = Column(StoredString(10), nullable=False, default="sms")
    to = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False, index=True)
    body = Column(StoredText, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class AuditEvent(Base):
    """Who did what, when: API imports, handoffs, policy refusals, redeliveries."""

    __tablename__ = "audit_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor = Column(StoredString(40), nullable=False)  # bot | gateway | api | agent:<name>
    action = Column(StoredString(60), nullable=False)
    account_id = Column(StoredString(64), nullable=True, index=True)
    conversation_id = Column(StoredString(40), nullable=True)
    details = Column(JSON, nullable=False, default=dict)


# --- the agent console (issue 4): people who take conversations over from the bot ---


class HandoffStatus:
    QUEUED = "queued"  # waiting for an agent
    CLAIMED = "claimed"  # one agent holds it
    CLOSED = "closed"  # handed back to the bot, or the conversation closed
    OPEN = (QUEUED, CLAIMED)
    ALL = (QUEUED, CLAIMED, CLOSED)


class HandoffResolution:
    HANDED_BACK = "handed_back"  # the bot answers this conversation again
    CLOSED = "closed"  # the conversation is over; a later message starts a new one
    ALL = (HANDED_BACK, CLOSED)


class Handoff(Base):
    """A conversation the bot handed to a person: the console's queue. At most one is
    open per conversation; `summary` is what the agent reads first (the account, whether
    the bot verified the borrower, what the bot already recorded)."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=False, index=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=True)
    channel = Column(StoredString(10), nullable=False)  # sms | voice (a voice handoff is a live call)
    reason = Column(StoredString(40), nullable=False)
    priority = Column(Integer, nullable=False)  # 1 first: vulnerable borrowers and legal cases
    status = Column(StoredString(10), nullable=False, default=HandoffStatus.QUEUED)
    claimed_by = Column(StoredString(64), nullable=True)  # an Agent's username
    summary = Column(JSON, nullable=False, default=dict)
    resolution = Column(StoredString(20), nullable=True)
    queued_at = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at = Column(UTCDateTime, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_handoffs_status_priority", "status", "priority", "queued_at"),
        Index(
            "uq_handoffs_open_conversation", "conversation_id", unique=True,
            sqlite_where=status != HandoffStatus.CLOSED,
            postgresql_where=status != HandoffStatus.CLOSED,
        ),
        one_of("handoffs", "status", HandoffStatus.ALL),
        one_of("handoffs", "resolution", HandoffResolution.ALL),
    )


class AgentRole:
    AGENT = "agent"  # takes conversations from the queue
    SUPERVISOR = "supervisor"  # sees every conversation, approves exceptions to the policy
    TRAINER = "trainer"  # reads what borrowers wrote to improve the NLU (a later release)
    ANALYST = "analyst"  # reads the results only (read-only: no conversation, no queue)
    ALL = (AGENT, SUPERVISOR, TRAINER, ANALYST)


class Agent(Base):
    """A person who signs in to the console. Only a salted hash of the password is kept."""

    __tablename__ = "agents"
    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(StoredString(32), nullable=False, unique=True)
    password_hash = Column(StoredString(255), nullable=False)
    role = Column(StoredString(12), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (one_of("agents", "role", AgentRole.ALL),)


class ConsoleSession(Base):
    """A signed-in console session. The cookie carries a random token; only its SHA-256
    is kept here, so a copy of the table signs nobody in. Ending a session deletes its row:
    the cookie that named it is refused by every gateway process from then on."""

    __tablename__ = "console_sessions"
    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ApprovalStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = (PENDING, APPROVED, REJECTED)


class ApprovalRequest(Base):
    """Something the policy's checks refused, which an agent asked a supervisor to approve:
    an outcome (recorded as an Outcome only once approved), or a change to an arrangement
    (kind arrangement_cancel or instalment_move, made only once approved)."""

    __tablename__ = "approval_requests"
    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=False)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=True)
    kind = Column(StoredString(20), nullable=False)
    details = Column(JSON, nullable=False, default=dict)  # the outcome as it would be recorded
    refusal_rule = Column(StoredString(40), nullable=False)
    refusal_reason = Column(StoredText, nullable=False)
    requested_by = Column(StoredString(32), nullable=False)
    status = Column(StoredString(10), nullable=False, default=ApprovalStatus.PENDING, index=True)
    decided_by = Column(StoredString(32), nullable=True)
    decided_at = Column(UTCDateTime, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (one_of("approval_requests", "status", ApprovalStatus.ALL),)


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
    ALL = (SCHEDULED, SENDING) + FINAL


class ContactAttempt(Base):
    """One outbound SMS or call, whoever asked for it (campaign, follow-up, agent).

    `idempotency_key` (campaign, account, stage, borrower's local date) makes scheduling
    repeatable; a worker sends only after moving `state` from scheduled to sending (or
    straight to sent with the outbox) with a conditional UPDATE, so two workers holding
    the same job never send twice."""

    __tablename__ = "contact_attempts"
    id = Column(Integer, primary_key=True, autoincrement=True)
    idempotency_key = Column(StoredString(200), nullable=False, unique=True)
    source = Column(StoredString(12), nullable=False)  # campaign | follow_up | agent
    campaign = Column(StoredString(64), nullable=True)
    stage = Column(StoredString(64), nullable=False)
    run_id = Column(StoredString(40), nullable=True, index=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=False)
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False)
    channel = Column(StoredString(10), nullable=False)  # sms | voice
    language = Column(StoredString(16), nullable=False)
    local_date = Column(Date, nullable=False)  # the borrower's day it belongs to
    state = Column(StoredString(12), nullable=False, default=AttemptState.SCHEDULED)
    not_before = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=True)  # no rescheduling past this instant
    body = Column(StoredText, nullable=True)  # the text sent (an agent's text is set up front)
    enqueues = Column(Integer, nullable=False, default=0)  # jobs handed to the queue
    enqueued_at = Column(UTCDateTime, nullable=True)
    tries = Column(Integer, nullable=False, default=0)  # times a worker claimed it
    claimed_at = Column(UTCDateTime, nullable=True)
    claimed_by = Column(StoredString(80), nullable=True)  # host:pid of the worker
    sent_at = Column(UTCDateTime, nullable=True)
    provider_sid = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=True, index=True)
    delivery = Column(StoredString(16), nullable=True)  # Twilio's status: queued, sent, delivered...
    answered = Column(Boolean, nullable=True)  # calls: connected to a person
    rule = Column(StoredString(40), nullable=True)  # the gate rule that last blocked or deferred it
    reason = Column(StoredText, nullable=True)
    error_code = Column(StoredString(16), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_contact_attempts_state_due", "state", "not_before"),
        Index("ix_contact_attempts_account", "account_id", "channel", "sent_at"),
        Index("ix_contact_attempts_phone", "phone", "channel", "sent_at"),
        Index("ix_contact_attempts_campaign", "campaign", "local_date"),
        one_of("contact_attempts", "state", AttemptState.ALL),
    )


class AccountTag(Base):
    """Labels a lender gives accounts (optional `tags` column of the accounts file);
    campaign segments include or exclude them."""

    __tablename__ = "account_tags"
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), primary_key=True)
    tag = Column(StoredString(40), primary_key=True)


class InconvenientTime(Base):
    """A weekly time the borrower said is inconvenient (their local time)."""

    __tablename__ = "inconvenient_times"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=False, index=True)
    weekdays = Column(StoredString(27), nullable=False)  # "mon,tue,wed"
    start = Column(Time, nullable=False)
    end = Column(Time, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Payment(Base):
    """A payment the lender reports (POST /api/payments or a CSV import); `reference`
    makes a second import of the same file harmless."""

    __tablename__ = "payments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(StoredString(64), nullable=False, unique=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=False, index=True)
    amount = Column(Money, nullable=False)
    currency = Column(StoredString(3), nullable=False)
    paid_on = Column(Date, nullable=False)
    source = Column(StoredString(12), nullable=False)  # api | csv
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ArrangementKind:
    """What the borrower agreed (lending/arrangements.py says what each does to contact)."""

    PROMISE = "promise"  # one payment by a date
    PLAN = "plan"  # monthly instalments that add up to the balance
    DEFERRAL = "deferral"  # the due date moves; no overdue contact before the new one
    REDUCED_PLAN = "reduced_plan"  # hardship: smaller instalments for a while
    FEE_WAIVER = "fee_waiver"  # hardship: the fees are written off (complete at once)
    BREATHING_SPACE = "breathing_space"  # hardship: no automated contact for N days
    ALL = (PROMISE, PLAN, DEFERRAL, REDUCED_PLAN, FEE_WAIVER, BREATHING_SPACE)
    WITH_SCHEDULE = (PROMISE, PLAN, REDUCED_PLAN)  # expected payments to meet


class ArrangementStatus:
    ACTIVE = "active"  # in good standing
    COMPLETED = "completed"  # paid as agreed, or its time ran out (deferral, breathing space)
    BROKEN = "broken"  # an expected payment missed past the grace days
    CANCELLED = "cancelled"  # by an agent, or replaced by a newer arrangement
    ALL = (ACTIVE, COMPLETED, BROKEN, CANCELLED)
    FINAL = (COMPLETED, BROKEN, CANCELLED)


class InstalmentStatus:
    DUE = "due"  # not yet paid in full, grace not over
    PAID = "paid"
    PART_PAID = "part_paid"  # something paid, grace not over
    MISSED = "missed"  # not paid in full by the end of the grace days
    CANCELLED = "cancelled"  # its arrangement ended before it fell due
    ALL = (DUE, PAID, PART_PAID, MISSED, CANCELLED)


class Arrangement(Base):
    """What the borrower agreed with the bot or an agent, through its life. Opened in the
    transaction that records the agreement's Outcome; every transition is in the audit trail
    (store/arrangements.py). `ends_on`: a deferral's new due date, the last day of breathing
    space, or the last instalment's due date."""

    __tablename__ = "arrangements"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=False, index=True)
    kind = Column(StoredString(20), nullable=False)
    status = Column(StoredString(12), nullable=False, default=ArrangementStatus.ACTIVE)
    outcome_id = Column(Integer, ForeignKey("outcomes.id"), nullable=True, unique=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True)
    agreed_by = Column(StoredString(64), nullable=False)  # bot | agent:<name> | supervisor:<name>
    approved_by = Column(StoredString(64), nullable=True)  # the supervisor, where the policy asks one
    agreed_at = Column(UTCDateTime, nullable=False, default=utcnow)
    starts_on = Column(Date, nullable=False)  # the borrower's local day it was agreed
    ends_on = Column(Date, nullable=True)
    currency = Column(StoredString(3), nullable=False)
    total = Column(Money, nullable=True)  # what the schedule expects in all
    details = Column(JSON, nullable=False, default=dict)
    status_reason = Column(StoredString(60), nullable=True)  # why it last changed status
    status_changed_at = Column(UTCDateTime, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_arrangements_status_account", "status", "account_id"),
        one_of("arrangements", "kind", ArrangementKind.ALL),
        one_of("arrangements", "status", ArrangementStatus.ALL),
    )


class ArrangementInstalment(Base):
    """One expected payment of an arrangement (a promise has one)."""

    __tablename__ = "arrangement_instalments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    arrangement_id = Column(Integer, ForeignKey("arrangements.id", ondelete="CASCADE"), nullable=False)
    number = Column(Integer, nullable=False)  # 1, 2, ...
    due_on = Column(Date, nullable=False)
    amount = Column(Money, nullable=False)
    paid = Column(Money, nullable=False, default=Decimal(0))
    status = Column(StoredString(12), nullable=False, default=InstalmentStatus.DUE)
    settled_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("arrangement_id", "number", name="uq_arrangement_instalments_number"),
        Index("ix_arrangement_instalments_due", "due_on", "status"),
        one_of("arrangement_instalments", "status", InstalmentStatus.ALL),
    )


class PaymentAllocation(Base):
    """How much of a payment went to which instalment (a payment may pay several)."""

    __tablename__ = "payment_allocations"
    id = Column(Integer, primary_key=True, autoincrement=True)
    payment_id = Column(Integer, ForeignKey("payments.id"), nullable=False, index=True)
    instalment_id = Column(Integer, ForeignKey("arrangement_instalments.id"), nullable=False, index=True)
    amount = Column(Money, nullable=False)


# --- voice calls (issue 3): the same conversation on the phone ---


class CallOutcome:
    """How a call ended, as the status callback reports it."""

    COMPLETED = "completed"  # a conversation took place (or the caller hung up during it)
    VOICEMAIL = "voicemail"  # a machine answered and got the limited-content message
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELED = "canceled"
    ALL = (COMPLETED, VOICEMAIL, BUSY, NO_ANSWER, FAILED, CANCELED)


class VoiceCall(Base):
    """One phone call, inbound or outbound. The conversation is keyed by the call (its
    CallSid) and bound to an account: on an outbound call `From` is the lender's own
    number, so the caller ID alone cannot say whom the call is about. An outbound call's
    row exists before Twilio is asked to dial (its id travels in the webhook URLs), and
    gets its CallSid once Twilio answers the request."""

    __tablename__ = "voice_calls"
    id = Column(Integer, primary_key=True, autoincrement=True)
    call_sid = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=True, unique=True)  # Twilio's CallSid
    direction = Column(StoredString(10), nullable=False)  # inbound | outbound
    phone = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False)  # the borrower's side of the call
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=True, index=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True)
    attempt_id = Column(Integer, ForeignKey("contact_attempts.id"), nullable=True)
    via = Column(StoredString(10), nullable=False, default="twilio")  # twilio | outbox
    placed_by = Column(StoredString(40), nullable=True)  # api | cli | ... (outbound only)
    status = Column(StoredString(16), nullable=False, default="queued")  # Twilio's CallStatus
    answered_by = Column(StoredString(64), nullable=True)  # human, machine_end_beep, ... (AMD)
    outcome = Column(StoredString(12), nullable=True)  # CallOutcome, once the call ended
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    answered_at = Column(UTCDateTime, nullable=True)
    ended_at = Column(UTCDateTime, nullable=True)
    # The gateway's state of the live call between webhooks (server/voice/prompts.CallState,
    # as JSON): on the row, so any gateway process carries the call, with or without Redis.
    live_state = Column(StoredText, nullable=True)

    __table_args__ = (one_of("voice_calls", "outcome", CallOutcome.ALL),)


class CallWebhookReply(Base):
    """What one voice webhook answered, kept so that a retry of it gets the same TwiML
    and nothing happens twice (server/voice/replay.py). `step` names the webhook within
    its call: "answer", or "turn:<id>" / "dial:<id>" where <id> is the row of the reply
    that asked the question (it travels in the <Gather>/<Dial> action URL). A row
    without `twiml` is a webhook still being worked on."""

    __tablename__ = "call_webhook_replies"
    id = Column(Integer, primary_key=True, autoincrement=True)
    call_sid = Column(StoredString(TWILIO_FIELD_LENGTH), nullable=False)
    step = Column(StoredString(80), nullable=False)
    twiml = Column(StoredText, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("call_sid", "step", name="uq_call_webhook_replies_step"),)


# --- the NLU review inbox (issue 6): what borrowers wrote, for trainers ---


class ReviewStatus:
    PENDING = "pending"  # waiting for a trainer
    APPROVED = "approved"  # an example was written into the NLU data (or was there already)
    DISCARDED = "discarded"  # not worth an example (gibberish, a duplicate, ...)
    ALL = (PENDING, APPROVED, DISCARDED)


class ReviewReason:
    FALLBACK = "fallback"  # the FallbackClassifier took over (too unsure, or two intents too close)
    LOW_CONFIDENCE = "low_confidence"  # below NLU_REVIEW_CONFIDENCE
    SAMPLE = "sample"  # one of the NLU_REVIEW_SAMPLE_RATE share of confident messages
    ALL = (FALLBACK, LOW_CONFIDENCE, SAMPLE)


class ReviewItem(Base):
    """A borrower's message as the model classified it, redacted before it is stored
    (language/redaction.py): the text never holds a phone, card, ID, birth date, e-mail or the
    account holder's name. The same redacted sentence while it waits counts `seen` times."""

    __tablename__ = "nlu_review_items"
    id = Column(Integer, primary_key=True, autoincrement=True)
    message_id = Column(Integer, ForeignKey("messages.id"), nullable=True, unique=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True, index=True)
    channel = Column(StoredString(10), nullable=False)
    language = Column(StoredString(16), nullable=False, default="en")
    text = Column(StoredText, nullable=False)  # redacted
    normalised = Column(StoredString(400), nullable=False, index=True)  # for counting repeats
    intent = Column(StoredString(64), nullable=True)  # the model's best intent (under a fallback too)
    confidence = Column(Float, nullable=False)
    fell_back = Column(Boolean, nullable=False, default=False)
    alternatives = Column(JSON, nullable=False, default=list)  # [{"intent", "confidence"}]
    reason = Column(StoredString(16), nullable=False)
    seen = Column(Integer, nullable=False, default=1)
    status = Column(StoredString(10), nullable=False, default=ReviewStatus.PENDING)
    reviewed_by = Column(StoredString(32), nullable=True)
    reviewed_at = Column(UTCDateTime, nullable=True)
    decided_intent = Column(StoredString(64), nullable=True)
    example = Column(StoredText, nullable=True)  # the line written, with entity markup
    written_to = Column(StoredString(300), nullable=True)  # "data/nlu/hardship.yml, line 109"
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_nlu_review_items_status", "status", "id"),
        one_of("nlu_review_items", "status", ReviewStatus.ALL),
        one_of("nlu_review_items", "reason", ReviewReason.ALL),
    )


# --- right-party verification across conversations: answers counted per account ---


class IdentityQuestion:
    """What an identity check asked: one question, or both at once (a full verification,
    by the bot when its form ends or by an agent in the console)."""

    BIRTH_DATE = "birth_date"
    ID_LAST4 = "id_last4"
    BOTH = "both"
    ASKED = (BIRTH_DATE, ID_LAST4)  # what a conversation can be waiting for
    ALL = (BIRTH_DATE, ID_LAST4, BOTH)


# What the transcript keeps of a borrower's identity answer, by SMS and on calls alike.
IDENTITY_ANSWER_PLACEHOLDER = "[identity answer, not stored]"


class IdentityCheck(Base):
    """One identity answer checked: that it was given, by which channel, and whether it
    matched; never the answer. Wrong answers within the policy's window lock the account
    (IdentityLock); a full verification that matched starts the count afresh."""

    __tablename__ = "identity_checks"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=False)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True)
    channel = Column(StoredString(10), nullable=False)  # sms | voice | console
    actor = Column(StoredString(40), nullable=False)  # bot | agent:<username>
    question = Column(StoredString(12), nullable=False)  # IdentityQuestion
    matched = Column(Boolean, nullable=False)
    message_id = Column(Integer, ForeignKey("messages.id"), nullable=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_identity_checks_account_at", "account_id", "at"),
        one_of("identity_checks", "question", IdentityQuestion.ALL),
    )


class IdentityLock(Base):
    """An account locked after too many wrong identity answers: until `locked_until` every
    channel only gives the lender's phone number, and agents see an alert."""

    __tablename__ = "identity_locks"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=False)
    locked_at = Column(UTCDateTime, nullable=False)
    locked_until = Column(UTCDateTime, nullable=False)
    failures = Column(Integer, nullable=False)
    channel = Column(StoredString(10), nullable=False)  # where the last wrong answer came from
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=True)

    __table_args__ = (Index("ix_identity_locks_account_until", "account_id", "locked_until"),)


class PendingIdentityQuestion(Base):
    """The identity question the bot last asked in a conversation (from the `identity_question`
    payload of its reply), so the gateway stores the borrower's next message as an identity
    answer: a placeholder in the transcript, the text held apart only until the bot read it."""

    __tablename__ = "pending_identity_questions"
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), primary_key=True)
    question = Column(StoredString(12), nullable=False)
    asked_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (one_of("pending_identity_questions", "question", IdentityQuestion.ASKED),)


class HeldIdentityAnswer(Base):
    """The text of a message sent while an identity question waited, kept apart until the
    bot has read it (received or deferred: a redelivery needs it). When the bot's turn ends
    the row goes: the transcript keeps the placeholder if the actions read an identity answer
    from the message (`read_as_answer`), and gets the text back if they did not ("I want to
    talk to a person" is not an answer). Settled without the bot, the placeholder stays."""

    __tablename__ = "held_identity_answers"
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    body = Column(StoredText, nullable=False)
    read_as_answer = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


# --- A/B tests of message content: which variant each account gets ---


class ExperimentAssignment(Base):
    """The variant of one experiment an account was given, written the first time a run
    schedules it (campaigns/experiments.py). The stored row, not the hash, decides later
    sends: changing the weights never moves an account that already has a variant."""

    __tablename__ = "experiment_assignments"
    experiment = Column(StoredString(64), primary_key=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), primary_key=True)
    variant = Column(StoredString(20), nullable=False)
    campaign = Column(StoredString(64), nullable=False)
    stage = Column(StoredString(64), nullable=False)
    assigned_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_experiment_assignments_campaign", "campaign", "stage"),)


# --- the borrower's word: one question after an agreement ---


class FeedbackStatus:
    ASKED = "asked"  # the question went out; a rating may come within the window
    ANSWERED = "answered"
    PASSED = "passed"  # the borrower wrote something else: the question is closed
    NOT_SENT = "not_sent"  # the sender refused (an opt-out, the gate)
    ALL = (ASKED, ANSWERED, PASSED, NOT_SENT)


class FeedbackRequest(Base):
    """At most one question per conversation (the unique conversation id makes a second
    turn racing this one ask nothing). The comment is redacted before it is stored."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(StoredString(40), ForeignKey("conversations.id"), nullable=False, unique=True)
    account_id = Column(StoredString(64), ForeignKey("accounts.account_id"), nullable=True, index=True)
    campaign = Column(StoredString(64), nullable=True)  # the campaign whose message led here
    channel = Column(StoredString(10), nullable=False)
    outcome = Column(StoredString(20), nullable=False)  # the agreement that earned the question
    status = Column(StoredString(10), nullable=False, default=FeedbackStatus.ASKED)
    reason = Column(StoredString(40), nullable=True)  # not_sent: why
    score = Column(Integer, nullable=True)  # 1-5
    comment = Column(StoredText, nullable=True)
    asked_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    answered_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (one_of("feedback", "status", FeedbackStatus.ALL),)
