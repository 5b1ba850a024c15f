"""The compliance gate (lending/compliance.py) fed from the store.

`GateInputs.load()` reads, in a handful of queries, everything the rules look at: opt-outs
per channel, recent calls (attempts and voice conversations), inconvenient times,
callback requests and the arrangements in force (breathing space); the account's facts
carry its vulnerability flag. A run loads them once for every account; a worker loads them
for one account at the moment it sends, so what changed since scheduling (an opt-out, a
call an agent made, breathing space agreed) counts.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from campaigns.facts import AccountFacts, account_facts
from lending.arrangements import ArrangementFacts, standing
from lending.compliance import (
    AUTOMATED,
    AUTOMATED_CONTACT,
    REPLY,
    Blocked,
    Borrower,
    CallbackRequest,
    Contact,
    Decision,
    Preferences,
    Request,
    Window,
    check,
    zone,
)
from lending.policy import WEEKDAYS, Jurisdiction, Policy
from store import arrangements as arrangement_store
from store.consents import consented_phones
from store.models import (
    ArrangementStatus,
    AttemptState,
    ContactAttempt,
    ContactPreference,
    Conversation,
    InconvenientTime,
    Message,
    Outcome,
    OutcomeKind,
    VoiceCall,
)
from store.outcomes import audit

# Attempts that count as contact made: handed over, or possibly handed over.
CONTACTED = (AttemptState.SENT, AttemptState.SENDING, AttemptState.IN_DOUBT)
CALLBACK_MEMORY_DAYS = 60
# Attempts whose texts are automated (an agent's one-off text is a person's).
AUTOMATED_SOURCES = ("campaign", "follow_up")


def history_days(policy: Policy) -> int:
    """How far back the call and SMS rules look, with a day to spare for time zones."""
    quiet = max((p.frequency.quiet_days_after_conversation or 0) for p in policy.all_profiles().values())
    return max(7, quiet) + 2


@dataclass
class GateInputs:
    opted_out: Set[str] = field(default_factory=set)  # phones opted out of the channel
    consented: Set[str] = field(default_factory=set)  # phones with consent to automated contact
    calls_by_account: Dict[str, List[Contact]] = field(default_factory=dict)
    calls_by_phone: Dict[str, List[Contact]] = field(default_factory=dict)
    inconvenient: Dict[str, tuple] = field(default_factory=dict)
    callbacks: Dict[str, tuple] = field(default_factory=dict)
    arrangements: Dict[str, List[ArrangementFacts]] = field(default_factory=dict)  # active ones
    now: Optional[dt.datetime] = None  # when they were read: the borrower's day they are read on

    def preferences(self, facts: AccountFacts, channel: str) -> Preferences:
        return Preferences(
            opted_out=frozenset((channel,)) if facts.phone in self.opted_out else frozenset(),
            consented=frozenset((channel,)) if facts.phone in self.consented else frozenset(),
            inconvenient=self.inconvenient.get(facts.account_id, ()),
            callbacks=self.callbacks.get(facts.account_id, ()),
        )

    def history(self, facts: AccountFacts) -> List[Contact]:
        by_account = self.calls_by_account.get(facts.account_id, [])
        by_phone = self.calls_by_phone.get(facts.phone, [])
        if not by_phone:
            return by_account
        seen = {id(c) for c in by_account}
        return by_account + [c for c in by_phone if id(c) not in seen]

    def borrower(self, facts: AccountFacts, policy: Policy) -> Borrower:
        """The account as the gate reads it: its state, the breathing space in force on the
        borrower's day (lending.arrangements.standing), the vulnerability flag and the
        policy's switch for it."""
        until = None
        arrangements = self.arrangements.get(facts.account_id)
        if arrangements and self.now is not None:
            today = self.now.astimezone(zone(facts.timezone)).date()
            until = standing(facts.due_date, arrangements, today).breathing_space_until
        return dataclasses.replace(
            facts.borrower, breathing_space_until=until, vulnerable=facts.vulnerable,
            exclude_vulnerable=policy.vulnerability.exclude_from_campaigns,
        )

    def check(self, facts: AccountFacts, channel: str, at: dt.datetime, policy: Policy,
              request: Request = AUTOMATED_CONTACT) -> Decision:
        """The gate for this account, under the account's own jurisdiction profile."""
        return check(
            self.borrower(facts, policy), channel, at, self.history(facts),
            policy.profile_for(facts.jurisdiction), self.preferences(facts, channel), request,
        )

    @classmethod
    def load(
        cls, session: Session, channel: str, policy: Policy, now: dt.datetime,
        accounts: Optional[Iterable[AccountFacts]] = None, exclude_attempt: Optional[int] = None,
    ) -> "GateInputs":
        """For every account (accounts=None) or for the ones given; `exclude_attempt` is
        the attempt being sent, which is not yet a contact made."""
        accounts = list(accounts) if accounts is not None else None
        ids = [a.account_id for a in accounts] if accounts is not None else None
        phones = sorted({a.phone for a in accounts}) if accounts is not None else None
        inputs = cls()
        inputs.opted_out = _opted_out(session, channel, phones)
        inputs.consented = consented_phones(session, channel, phones)
        since = now - dt.timedelta(days=history_days(policy))
        if channel == "voice":
            contacts = _calls(session, since, ids, phones, exclude_attempt)
        else:
            contacts = _texts(session, since, ids, exclude_attempt)
        for contact in contacts:
            if contact.account_id:
                inputs.calls_by_account.setdefault(contact.account_id, []).append(contact)
            if channel == "voice":
                inputs.calls_by_phone.setdefault(contact.phone, []).append(contact)
        inputs.inconvenient = _inconvenient(session, ids)
        inputs.callbacks = _callbacks(session, now - dt.timedelta(days=CALLBACK_MEMORY_DAYS), ids)
        inputs.arrangements = _arrangements(session, policy, ids)
        inputs.now = now
        return inputs


def _arrangements(session: Session, policy: Policy, ids: Optional[Sequence[str]]):
    """Active arrangements (what stops contact while it runs) per account, in bulk."""
    if ids is not None and not ids:
        return {}
    return arrangement_store.facts(session, policy.grace_days, ids, statuses=(ArrangementStatus.ACTIVE,))


def _opted_out(session: Session, channel: str, phones: Optional[List[str]]) -> Set[str]:
    query = select(ContactPreference.phone).where(
        ContactPreference.channel == channel, ContactPreference.opted_out.is_(True)
    )
    if phones is not None:
        query = query.where(ContactPreference.phone.in_(phones))
    return set(session.execute(query).scalars())


def _calls(session: Session, since: dt.datetime, ids, phones, exclude: Optional[int] = None) -> List[Contact]:
    """Outbound calls (attempts) and voice conversations since `since`."""
    sent_at = ContactAttempt.sent_at
    query = select(
        ContactAttempt.account_id, ContactAttempt.phone, ContactAttempt.sent_at,
        ContactAttempt.claimed_at, ContactAttempt.answered,
    ).where(
        ContactAttempt.channel == "voice",
        ContactAttempt.state.in_(CONTACTED),
        or_(sent_at >= since, and_(sent_at.is_(None), ContactAttempt.claimed_at >= since)),
    )
    if ids is not None:
        query = query.where(or_(ContactAttempt.account_id.in_(ids), ContactAttempt.phone.in_(phones)))
    if exclude is not None:
        query = query.where(ContactAttempt.id != exclude)
    contacts = [
        Contact(
            at=sent or claimed, channel="voice", account_id=account_id, phone=phone,
            answered=answered, conversation=bool(answered),
        )
        for account_id, phone, sent, claimed, answered in session.execute(query)
    ]
    # Calls the borrower made (a voice conversation with no attempt behind it) do not
    # count against the caps, but a conversation is a conversation (US quiet period).
    talks = select(Conversation.account_id, Conversation.phone, Conversation.started_at).where(
        Conversation.channel == "voice", Conversation.started_at >= since
    )
    if ids is not None:
        talks = talks.where(or_(Conversation.account_id.in_(ids), Conversation.phone.in_(phones)))
    contacts += [
        Contact(at=started, channel="voice", account_id=account_id, phone=phone,
                answered=True, conversation=True, by_borrower=True)
        for account_id, phone, started in session.execute(talks)
    ]
    return contacts


def _texts(session: Session, since: dt.datetime, ids, exclude: Optional[int] = None) -> List[Contact]:
    """Automated texts (campaign and follow-up attempts) since `since`: what the SMS caps count."""
    sent_at = ContactAttempt.sent_at
    query = select(
        ContactAttempt.account_id, ContactAttempt.phone, ContactAttempt.sent_at, ContactAttempt.claimed_at,
    ).where(
        ContactAttempt.channel == "sms",
        ContactAttempt.source.in_(AUTOMATED_SOURCES),
        ContactAttempt.state.in_(CONTACTED),
        or_(sent_at >= since, and_(sent_at.is_(None), ContactAttempt.claimed_at >= since)),
    )
    if ids is not None:
        query = query.where(ContactAttempt.account_id.in_(ids))
    if exclude is not None:
        query = query.where(ContactAttempt.id != exclude)
    return [
        Contact(at=sent or claimed, channel="sms", account_id=account_id, phone=phone)
        for account_id, phone, sent, claimed in session.execute(query)
    ]


def _inconvenient(session: Session, ids) -> Dict[str, tuple]:
    query = select(InconvenientTime.account_id, InconvenientTime.weekdays, InconvenientTime.start,
                   InconvenientTime.end)
    if ids is not None:
        query = query.where(InconvenientTime.account_id.in_(ids))
    found = defaultdict(list)
    for account_id, weekdays, start, end in session.execute(query):
        found[account_id].append(Window(weekday_set(weekdays), start, end))
    return {key: tuple(value) for key, value in found.items()}


def weekday_set(text: str) -> FrozenSet[int]:
    return frozenset(WEEKDAYS.index(day) for day in text.split(",") if day in WEEKDAYS)


def _callbacks(session: Session, since: dt.datetime, ids) -> Dict[str, tuple]:
    query = select(Outcome.account_id, Outcome.created_at, Outcome.details).where(
        Outcome.kind == OutcomeKind.CALLBACK, Outcome.created_at >= since,
        Outcome.account_id.isnot(None),
    )
    if ids is not None:
        query = query.where(Outcome.account_id.in_(ids))
    found = defaultdict(list)
    for account_id, created_at, details in session.execute(query):
        day = (details or {}).get("date")
        if not day:
            continue  # "later" with no day we could read: nothing to wait for
        try:
            on = dt.date.fromisoformat(day)
        except ValueError:
            continue
        clock = (details or {}).get("time")
        found[account_id].append(
            CallbackRequest(created_at, on, dt.time.fromisoformat(clock) if clock else None)
        )
    return {key: tuple(value) for key, value in found.items()}


def check_account(
    session: Session, account_id: str, channel: str, now: dt.datetime, policy: Policy,
    request: Request = AUTOMATED_CONTACT,
) -> Optional[Decision]:
    """The gate for one account now (None: no such account)."""
    facts = account_facts(session, account_id)
    if facts is None:
        return None
    return GateInputs.load(session, channel, policy, now, [facts]).check(facts, channel, now, policy, request)


# -- the one question every sender asks ---------------------------------------------------

@dataclass(frozen=True)
class Override:
    """A supervisor lets a refused contact through, where the profile allows it for the rule."""

    by: str
    reason: str


@dataclass
class Verdict:
    decision: Decision
    facts: AccountFacts
    inputs: GateInputs
    profile: Jurisdiction
    overridden: bool = False
    # The audit row of this decision, when the caller writes it (decide(..., audit_now=False)).
    audit_entry: Optional[dict] = None

    @property
    def allowed(self) -> bool:
        return bool(self.decision) or self.overridden

    def overridable(self) -> bool:
        return not self.decision and self.decision.rule in self.profile.supervisor_may_override


def _no_account(phone: str, policy: Policy) -> AccountFacts:
    """A number no account reaches (e.g. a wrong number answering): the gate still applies
    opt-outs and, in the lender's time zone, the default profile's hours."""
    return AccountFacts(
        account_id="", name="", phone=phone, timezone=policy.lender.agent_hours.timezone,
        language="en", currency="", balance=Decimal(0), due_date=dt.date.min, status="active",
    )


def last_inbound(session: Session, conversation_id: Optional[str]) -> Optional[dt.datetime]:
    """When the borrower last wrote (or spoke) in this conversation; a call they made counts
    from when it was answered, before they have said a word."""
    if not conversation_id:
        return None
    times = union_all(
        select(func.max(Message.created_at).label("at")).where(
            Message.conversation_id == conversation_id, Message.direction == "in"
        ),
        select(func.max(VoiceCall.answered_at).label("at")).where(
            VoiceCall.conversation_id == conversation_id, VoiceCall.direction == "inbound"
        ),
    ).subquery()
    return session.execute(select(func.max(times.c.at))).scalar()


def decide(
    session: Session, policy: Policy, now: dt.datetime, *, channel: str, kind: str, actor: str,
    account_id: Optional[str] = None, phone: Optional[str] = None,
    conversation_id: Optional[str] = None, override: Optional[Override] = None,
    exclude_attempt: Optional[int] = None, path: Optional[str] = None, audit_now: bool = True,
) -> Verdict:
    """May this leave now? Asked by every sender (campaign workers, the bot's late answers,
    agents' replies, the hand-back notice, texts during a call, calls) and written to the
    audit trail, with the supervisor's override when one was given and the profile allows it.

    `kind` is lending.compliance's AUTOMATED, AGENT or REPLY; a REPLY in a conversation
    the borrower never wrote in is an AGENT's contact (a person) or AUTOMATED (the service).

    `audit_now=False`: the audit row is left in `verdict.audit_entry` for the caller to write
    (write_audit) in the transaction that records the contact itself, so that a gate asked in
    a transaction that only reads keeps it read-only (the SMS webhook: SQLite's one writer)."""
    facts = account_facts(session, account_id) if account_id else None
    if facts is None:
        if phone is None:
            raise LookupError(f"no account {account_id}")
        facts = _no_account(phone, policy)
    profile = policy.profile_for(facts.jurisdiction)
    request = Request(kind)
    if kind == REPLY:
        replying_to = last_inbound(session, conversation_id)
        if replying_to is None:
            request = Request(AUTOMATED if actor in ("gateway", "bot", "campaigns") else "agent")
        else:
            request = Request(REPLY, replying_to)
    inputs = GateInputs.load(session, channel, policy, now, [facts], exclude_attempt=exclude_attempt)
    decision = inputs.check(facts, channel, now, policy, request)
    verdict = Verdict(decision, facts, inputs, profile)
    details = {"channel": channel, "kind": request.kind, "path": path}
    if decision:
        action = "gate_allowed"
    elif override is not None and verdict.overridable() and override.reason.strip():
        verdict.overridden, action = True, "gate_overridden"
        details.update(rule=decision.rule, supervisor=override.by, reason=override.reason.strip()[:500])
    else:
        action = "gate_refused"
        details.update(rule=decision.rule,
                       retry_at=decision.retry_at.isoformat() if decision.retry_at else None)
    entry = dict(actor=actor, action=action, account_id=facts.account_id or None,
                 conversation_id=conversation_id, details=details)
    if audit_now:
        audit(session, **entry)
    else:
        verdict.audit_entry = entry
    return verdict


def write_audit(session: Session, verdict: Verdict) -> None:
    """Writes the audit row a decide(..., audit_now=False) left to its caller."""
    if verdict.audit_entry is not None:
        audit(session, **verdict.audit_entry)
        verdict.audit_entry = None


def refusal_json(verdict: Verdict) -> dict:
    """What the API and the console show of a refusal: the rule, why, and the first allowed time."""
    decision: Blocked = verdict.decision
    return {
        "rule": decision.rule, "reason": decision.reason,
        "retry_at": decision.retry_at.isoformat() if decision.retry_at else None,
        "overridable": verdict.overridable(),
    }
