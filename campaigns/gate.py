"""The compliance gate (lending/compliance.py) fed from the store.

`GateInputs.load()` reads, in a handful of queries, everything the rules look at: opt-outs
per channel, recent calls (attempts and voice conversations), inconvenient times and
callback requests. A run loads them once for every account; a worker loads them for
one account at the moment it sends, so what changed since scheduling (an opt-out, a
call an agent made) counts.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Set

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from campaigns.facts import AccountFacts, account_facts, aware, naive
from lending.compliance import (
    CallbackRequest,
    Contact,
    Decision,
    Preferences,
    Window,
    check,
)
from lending.policy import WEEKDAYS, Jurisdiction
from store.models import (
    AttemptState,
    ContactAttempt,
    ContactPreference,
    Conversation,
    InconvenientTime,
    Outcome,
    OutcomeKind,
)

# Attempts that count as contact made: handed over, or possibly handed over.
CONTACTED = (AttemptState.SENT, AttemptState.SENDING, AttemptState.IN_DOUBT)
CALLBACK_MEMORY_DAYS = 60


def history_days(profile: Jurisdiction) -> int:
    """How far back the call rules look, with a day to spare for time zones."""
    return max(7, profile.frequency.quiet_days_after_conversation or 0) + 2


@dataclass
class GateInputs:
    opted_out: Set[str] = field(default_factory=set)  # phones opted out of the channel
    calls_by_account: Dict[str, List[Contact]] = field(default_factory=dict)
    calls_by_phone: Dict[str, List[Contact]] = field(default_factory=dict)
    inconvenient: Dict[str, tuple] = field(default_factory=dict)
    callbacks: Dict[str, tuple] = field(default_factory=dict)

    def preferences(self, facts: AccountFacts, channel: str) -> Preferences:
        return Preferences(
            opted_out=frozenset((channel,)) if facts.phone in self.opted_out else frozenset(),
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

    def check(self, facts: AccountFacts, channel: str, at: dt.datetime, profile: Jurisdiction) -> Decision:
        return check(
            facts.borrower, channel, at, self.history(facts), profile, self.preferences(facts, channel)
        )

    @classmethod
    def load(
        cls, session: Session, channel: str, profile: Jurisdiction, now: dt.datetime,
        accounts: Optional[Iterable[AccountFacts]] = None, exclude_attempt: Optional[int] = None,
    ) -> "GateInputs":
        """For every account (accounts=None) or for the ones given; `exclude_attempt` is
        the attempt being sent, which is not yet a contact made."""
        accounts = list(accounts) if accounts is not None else None
        ids = [a.account_id for a in accounts] if accounts is not None else None
        phones = sorted({a.phone for a in accounts}) if accounts is not None else None
        inputs = cls()
        inputs.opted_out = _opted_out(session, channel, phones)
        if channel == "voice":
            since = naive(now) - dt.timedelta(days=history_days(profile))
            calls = _calls(session, since, ids, phones, exclude_attempt)
            for contact in calls:
                if contact.account_id:
                    inputs.calls_by_account.setdefault(contact.account_id, []).append(contact)
                inputs.calls_by_phone.setdefault(contact.phone, []).append(contact)
        inputs.inconvenient = _inconvenient(session, ids)
        inputs.callbacks = _callbacks(session, naive(now) - dt.timedelta(days=CALLBACK_MEMORY_DAYS), ids)
        return inputs


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
            at=aware(sent or claimed), channel="voice", account_id=account_id, phone=phone,
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
        Contact(at=aware(started), channel="voice", account_id=account_id, phone=phone,
                answered=True, conversation=True, by_borrower=True)
        for account_id, phone, started in session.execute(talks)
    ]
    return contacts


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
            CallbackRequest(aware(created_at), on, dt.time.fromisoformat(clock) if clock else None)
        )
    return {key: tuple(value) for key, value in found.items()}


def check_account(
    session: Session, account_id: str, channel: str, now: dt.datetime, profile: Jurisdiction
) -> Optional[Decision]:
    """The gate for one account now (None: no such account): what an agent's console
    asks before a call or a text."""
    facts = account_facts(session, account_id)
    if facts is None:
        return None
    return GateInputs.load(session, channel, profile, now, [facts]).check(facts, channel, now, profile)
