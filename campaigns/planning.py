"""Which accounts a campaign reaches on the borrower's day, when, and what the gate says.

Preview and run walk the same plans, so the numbers a preview shows are the ones a run
acts on. For each account in the segment and in a stage today (its own local day):

    already_scheduled  an attempt with the same idempotency key exists
    skipped            not a sending day, the send window is over, a promise is pending...
    eligible           the gate allows it at the planned time
    deferred           the gate blocks the planned time but allows a later one within
                       `reschedule_days` (e.g. an inconvenient hour, a callback request)
    blocked            nothing within reach is allowed (opt-out, dispute, caps...)
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterator, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns import promises
from campaigns.config import Campaign, Schedule
from campaigns.facts import (
    AccountFacts,
    PromiseFacts,
    broken_promises,
    iter_accounts,
    load_tags,
    open_promises,
)
from campaigns.gate import GateInputs
from campaigns.templates import base_language
from lending.compliance import UTC, Blocked, Decision, local_start, zone
from lending.policy import Policy
from store.models import ContactAttempt

ELIGIBLE, DEFERRED, BLOCKED, SKIPPED, ALREADY = (
    "eligible", "deferred", "blocked", "skipped", "already_scheduled",
)


def idempotency_key(campaign: str, account_id: str, stage: str, local_date: dt.date) -> str:
    key = f"{campaign}:{stage}:{local_date.isoformat()}:{account_id}"
    if len(key) > 200:
        key = f"{campaign[:40]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


@dataclass(frozen=True)
class Plan:
    facts: AccountFacts
    stage: str
    local_date: dt.date
    key: str
    outcome: str
    send_at: Optional[dt.datetime] = None  # eligible, deferred: when it would go
    expires_at: Optional[dt.datetime] = None
    rule: Optional[str] = None  # skipped: why; deferred, blocked: the gate's rule
    reason: Optional[str] = None
    promise: Optional[PromiseFacts] = None


def in_segment(campaign: Campaign, facts: AccountFacts) -> bool:
    """Something owed, and the segment's balance, language and tag filters."""
    segment = campaign.segment
    if facts.balance <= 0:
        return False
    if segment.balance.min is not None and facts.balance < segment.balance.min:
        return False
    if segment.balance.max is not None and facts.balance > segment.balance.max:
        return False
    if segment.languages is not None and base_language(facts.language) not in segment.languages:
        return False
    if segment.tags.include and not facts.tags.intersection(segment.tags.include):
        return False
    return not facts.tags.intersection(segment.tags.exclude)


def fit_window(t: dt.datetime, tz, schedule: Schedule) -> Optional[dt.datetime]:
    """The first instant from `t` inside the campaign's window on a sending day."""
    local = t.astimezone(tz)
    window = schedule.send_window
    weekdays = schedule.weekday_numbers
    for ahead in range(8):
        day = local.date() + dt.timedelta(days=ahead)
        if day.weekday() not in weekdays or not _in_dates(day, schedule):
            continue
        start, end = local_start(day, window.start, tz), local_start(day, window.end, tz)
        if t < start:
            return start
        if t < end:
            return t
    return None


def _in_dates(day: dt.date, schedule: Schedule) -> bool:
    return (schedule.start_date is None or day >= schedule.start_date) and (
        schedule.end_date is None or day <= schedule.end_date
    )


def next_slot(
    gate: Callable[[dt.datetime], Decision], start: dt.datetime,
    fit: Callable[[dt.datetime], Optional[dt.datetime]], expires: Optional[dt.datetime],
) -> Tuple[Optional[dt.datetime], Optional[Blocked]]:
    """The first instant from `start` that the window (`fit`) and the gate both allow,
    no later than `expires`; and the first Blocked met on the way."""
    t, first = start, None
    for _ in range(16):
        t = fit(t)
        if t is None or (expires is not None and t > expires):
            return None, first
        decision = gate(t)
        if decision.allowed:
            return t, first
        if first is None:
            first = decision
        if decision.retry_at is None:
            return None, first
        t = max(decision.retry_at, t + dt.timedelta(seconds=1))
    return None, first


class Planner:
    """Plans one campaign at one instant (`now`, aware)."""

    def __init__(
        self, session: Session, campaign: Campaign, policy: Policy, now: dt.datetime,
        only_accounts: Optional[Sequence[str]] = None,
    ):
        self.session, self.campaign, self.policy = session, campaign, policy
        self.now = now.astimezone(UTC)
        self.only_accounts = only_accounts
        self.checks = 0  # compliance checks made

    # -- what the store holds ---------------------------------------------------------
    def _load(self) -> None:
        campaign, session = self.campaign, self.session
        kinds = [stage.about_promise for stage in campaign.stages.values()]
        needs_promises = any(kinds) or campaign.segment.skip_open_promises
        if needs_promises:
            promises.sync(session)  # promises the bot recorded since the last run
        self.open: Dict[str, PromiseFacts] = open_promises(session) if needs_promises else {}
        self.broken: Dict[str, PromiseFacts] = broken_promises(session) if any(kinds) else {}
        segment = campaign.segment
        uses_tags = bool(segment.tags.include or segment.tags.exclude)
        self.tags: Dict[str, FrozenSet[str]] = load_tags(session) if uses_tags else {}
        today = self.now.date()
        self.existing = set(session.execute(
            select(ContactAttempt.idempotency_key).where(
                ContactAttempt.campaign == campaign.id,
                ContactAttempt.local_date >= today - dt.timedelta(days=1),
                ContactAttempt.local_date <= today + dt.timedelta(days=1),
            )
        ).scalars())
        self.inputs = GateInputs.load(session, campaign.channel, self.policy, self.now)

    def _accounts(self) -> Iterator[AccountFacts]:
        campaign, today = self.campaign, self.now.date()
        ids = self.only_accounts
        due_between = None
        if all(stage.about_promise for stage in campaign.stages.values()):
            promised = set(self.open) | set(self.broken)
            ids = sorted(promised if ids is None else promised.intersection(ids))
        elif not any(stage.about_promise for stage in campaign.stages.values()):
            spans = [stage.span() for stage in campaign.stages.values()]
            # Local days run from UTC-12 to UTC+14: one day of slack either side.
            earliest, latest = min(s[0] for s in spans), max(s[1] for s in spans)
            due_between = (today - dt.timedelta(days=latest + 1), today - dt.timedelta(days=earliest - 1))
        balance = campaign.segment.balance
        return iter_accounts(
            self.session, due_between=due_between, min_balance=balance.min,
            max_balance=balance.max, account_ids=ids, tags=self.tags,
        )

    # -- per account ------------------------------------------------------------------
    def stage_for(self, facts: AccountFacts, today: dt.date) -> Tuple[Optional[str], Optional[PromiseFacts]]:
        days_from_due = (today - facts.due_date).days
        open_promise = self.open.get(facts.account_id)
        broken = self.broken.get(facts.account_id)
        for name, stage in self.campaign.stages.items():
            if stage.days_before_promise is not None:
                if open_promise and (open_promise.promised_on - today).days in stage.days_before_promise:
                    return name, open_promise
            elif stage.days_after_broken_promise is not None:
                if broken and (today - broken.promised_on).days in stage.days_after_broken_promise:
                    return name, broken
            elif stage.matches_due(days_from_due):
                return name, None
        return None, None

    def plans(self) -> Iterator[Plan]:
        self._load()
        for facts in self._accounts():
            if not in_segment(self.campaign, facts):
                continue
            today = self.now.astimezone(zone(facts.timezone)).date()
            stage, promise = self.stage_for(facts, today)
            if stage is not None:
                yield self.plan(facts, stage, today, promise)

    def plan(self, facts: AccountFacts, stage: str, today: dt.date, promise: Optional[PromiseFacts]) -> Plan:
        campaign, schedule = self.campaign, self.campaign.schedule
        key = idempotency_key(campaign.id, facts.account_id, stage, today)
        base = dict(facts=facts, stage=stage, local_date=today, key=key, promise=promise)
        if key in self.existing:
            return Plan(outcome=ALREADY, **base)
        tz = zone(facts.timezone)
        if not campaign.stages[stage].about_promise and campaign.segment.skip_open_promises:
            pending = self.open.get(facts.account_id)
            if pending is not None and pending.promised_on >= today:
                return Plan(outcome=SKIPPED, rule="promise_pending", **base)
        if not _in_dates(today, schedule):
            return Plan(outcome=SKIPPED, rule="outside_campaign_dates", **base)
        if today.weekday() not in schedule.weekday_numbers:
            return Plan(outcome=SKIPPED, rule="not_a_sending_day", **base)
        window_end = local_start(today, schedule.send_window.end, tz)
        if self.now >= window_end:
            return Plan(outcome=SKIPPED, rule="send_window_over", **base)
        planned = max(self.now, local_start(today, schedule.send_window.start, tz))
        expires = local_start(
            today + dt.timedelta(days=schedule.reschedule_days), schedule.send_window.end, tz
        )

        def gate(at: dt.datetime) -> Decision:
            self.checks += 1
            return self.inputs.check(facts, campaign.channel, at, self.policy)

        when, first = next_slot(gate, planned, lambda t: fit_window(t, tz, schedule), expires)
        if when is not None and first is None:
            return Plan(outcome=ELIGIBLE, send_at=when, expires_at=expires, **base)
        if when is not None:
            return Plan(outcome=DEFERRED, send_at=when, expires_at=expires, rule=first.rule,
                        reason=first.reason, **base)
        return Plan(outcome=BLOCKED, expires_at=expires,
                    rule=first.rule if first is not None else "no_slot",
                    reason=first.reason if first is not None else "no sending slot before it expires",
                    **base)
