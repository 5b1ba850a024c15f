"""Which accounts a campaign reaches on the borrower's day, when, and what the gate says.

Preview and run walk the same plans, so the numbers a preview shows are the ones a run
acts on. For each account in the segment and in a stage today (its own local day, read
with its arrangements: campaigns/stages.py):

    already_scheduled  an attempt with the same idempotency key exists
    skipped            vulnerable, an arrangement in good standing, not a sending day,
                       the send window is over...
    eligible           the gate allows it at the planned time
    deferred           the gate blocks the planned time but allows a later one within
                       `reschedule_days` (e.g. an inconvenient hour, a callback request)
    blocked            nothing within reach is allowed (opt-out, dispute, caps...)

A preview of one account (`explain`) also says when it is in no stage ("no_stage") or
outside the segment (skipped, rule "out_of_segment").
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.config import DUE, PLAN, PROMISE, Campaign, Schedule
from campaigns.facts import AccountFacts, iter_accounts, load_tags
from campaigns.gate import GateInputs
from campaigns.stages import Match, Subject, match, skip_reason
from campaigns.templates import base_language
from lending.arrangements import PLAN_KINDS, ArrangementFacts, Standing, standing
from lending.compliance import UTC, Blocked, Decision, local_start, zone
from lending.policy import Policy
from store.arrangements import facts as arrangement_facts
from store.models import ArrangementKind, ContactAttempt

ELIGIBLE, DEFERRED, BLOCKED, SKIPPED, ALREADY = (
    "eligible", "deferred", "blocked", "skipped", "already_scheduled",
)
NO_STAGE = "no_stage"
CHUNK = 5000  # account ids per query


def idempotency_key(campaign: str, account_id: str, stage: str, local_date: dt.date) -> str:
    key = f"{campaign}:{stage}:{local_date.isoformat()}:{account_id}"
    if len(key) > 200:
        key = f"{campaign[:40]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


@dataclass(frozen=True)
class Plan:
    facts: AccountFacts
    stage: Optional[str]  # None: in no stage (a preview of one account)
    local_date: dt.date
    key: Optional[str]
    outcome: str
    send_at: Optional[dt.datetime] = None  # eligible, deferred: when it would go
    expires_at: Optional[dt.datetime] = None
    rule: Optional[str] = None  # skipped: why; deferred, blocked: the gate's rule
    reason: Optional[str] = None
    subject: Optional[Subject] = None  # what the message speaks of
    standing: Optional[Standing] = None


def out_of_segment(campaign: Campaign, facts: AccountFacts) -> Optional[str]:
    """Why the segment leaves the account out (something owed, the segment's balance,
    language and tag filters); None: it is in."""
    segment = campaign.segment
    if facts.balance <= 0:
        return "nothing is owed"
    if segment.balance.min is not None and facts.balance < segment.balance.min:
        return f"the balance is below the segment's minimum of {segment.balance.min}"
    if segment.balance.max is not None and facts.balance > segment.balance.max:
        return f"the balance is above the segment's maximum of {segment.balance.max}"
    if segment.languages is not None and base_language(facts.language) not in segment.languages:
        return f"the segment speaks {', '.join(segment.languages)}, not {base_language(facts.language)}"
    if segment.tags.include and not facts.tags.intersection(segment.tags.include):
        return f"the account has none of the tags {', '.join(segment.tags.include)}"
    excluded = facts.tags.intersection(segment.tags.exclude)
    return f"the account is tagged {', '.join(sorted(excluded))}" if excluded else None


def in_segment(campaign: Campaign, facts: AccountFacts) -> bool:
    return out_of_segment(campaign, facts) is None


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
        self.arrangements: Dict[str, List[ArrangementFacts]] = {}
        self.checks = 0  # compliance checks made

    # -- what the store holds ---------------------------------------------------------
    def _load(self) -> None:
        campaign, session = self.campaign, self.session
        self.arrangements = arrangement_facts(session, self.policy.grace_days, self.only_accounts)
        segment = campaign.segment
        uses_tags = bool(segment.tags.include or segment.tags.exclude)
        self.tags: Dict[str, FrozenSet[str]] = load_tags(session, self.only_accounts) if uses_tags else {}
        today = self.now.date()
        self.existing = set(session.execute(
            select(ContactAttempt.idempotency_key).where(
                ContactAttempt.campaign == campaign.id,
                ContactAttempt.local_date >= today - dt.timedelta(days=1),
                ContactAttempt.local_date <= today + dt.timedelta(days=1),
            )
        ).scalars())

    def _accounts(self) -> Iterator[AccountFacts]:
        """Due-date stages: the accounts whose due date is near today (in SQL); and by id,
        those whose arrangements may place them elsewhere: a deferral moves the due date,
        promise and plan stages count from their own dates."""
        about = {stage.about for stage in self.campaign.stages.values()}
        kinds = set()
        if DUE in about:
            kinds.add(ArrangementKind.DEFERRAL)
        if PROMISE in about:
            kinds.add(ArrangementKind.PROMISE)
        if PLAN in about:
            kinds.update(PLAN_KINDS)
        seen = set()
        if DUE in about:
            today = self.now.date()
            spans = [stage.span() for stage in self.campaign.stages.values() if stage.about == DUE]
            # Local days run from UTC-12 to UTC+14: one day of slack either side.
            earliest, latest = min(s[0] for s in spans), max(s[1] for s in spans)
            due_between = (today - dt.timedelta(days=latest + 1), today - dt.timedelta(days=earliest - 1))
            for facts in self._iter(due_between=due_between, account_ids=self.only_accounts):
                seen.add(facts.account_id)
                yield facts
        rest = sorted(account_id for account_id, found in self.arrangements.items()
                      if account_id not in seen and any(a.kind in kinds for a in found))
        for start in range(0, len(rest), CHUNK):
            yield from self._iter(account_ids=rest[start:start + CHUNK])

    def _iter(self, **where) -> Iterator[AccountFacts]:
        balance = self.campaign.segment.balance
        return iter_accounts(self.session, min_balance=balance.min, max_balance=balance.max,
                             tags=self.tags, **where)

    # -- per account ------------------------------------------------------------------
    def standing_of(self, facts: AccountFacts, today: dt.date) -> Standing:
        return standing(facts.due_date, self.arrangements.get(facts.account_id, ()), today)

    def stage_for(self, facts: AccountFacts, today: dt.date) -> Match:
        return match(self.campaign, self.standing_of(facts, today), today)

    def plans(self) -> Iterator[Plan]:
        self._load()
        self.inputs = GateInputs.load(self.session, self.campaign.channel, self.policy, self.now)
        for facts in self._accounts():
            if not in_segment(self.campaign, facts):
                continue
            today = self.now.astimezone(zone(facts.timezone)).date()
            found = self.standing_of(facts, today)
            matched = match(self.campaign, found, today)
            if matched.stage is not None:
                yield self.plan(facts, matched, today, found)

    def explain(self, account_id: str) -> Optional[Plan]:
        """What a run would make of one account, also when it is in no stage or outside
        the segment (None: no such account)."""
        self.only_accounts = [account_id]  # everything is read for this account only
        self._load()
        facts = next(iter_accounts(self.session, account_ids=[account_id], tags=self.tags), None)
        if facts is None:
            return None
        self.inputs = GateInputs.load(self.session, self.campaign.channel, self.policy, self.now, [facts])
        today = self.now.astimezone(zone(facts.timezone)).date()
        found = self.standing_of(facts, today)
        matched = match(self.campaign, found, today)
        base = dict(facts=facts, stage=matched.stage, local_date=today, key=None, subject=matched.subject,
                    standing=found)
        why = out_of_segment(self.campaign, facts)
        if why is not None:
            return Plan(outcome=SKIPPED, rule="out_of_segment", reason=why, **base)
        if matched.stage is None:
            return Plan(outcome=NO_STAGE, **base)
        return self.plan(facts, matched, today, found)

    def plan(self, facts: AccountFacts, matched: Match, today: dt.date, found: Standing) -> Plan:
        campaign, schedule = self.campaign, self.campaign.schedule
        key = idempotency_key(campaign.id, facts.account_id, matched.stage, today)
        base = dict(facts=facts, stage=matched.stage, local_date=today, key=key, subject=matched.subject,
                    standing=found)
        if key in self.existing:
            return Plan(outcome=ALREADY, **base)
        tz = zone(facts.timezone)
        skip = matched.skip
        if facts.vulnerable and self.policy.vulnerability.exclude_from_campaigns:
            skip = "vulnerable"
        elif skip is None and not _in_dates(today, schedule):
            skip = "outside_campaign_dates"
        elif skip is None and today.weekday() not in schedule.weekday_numbers:
            skip = "not_a_sending_day"
        elif skip is None and self.now >= local_start(today, schedule.send_window.end, tz):
            skip = "send_window_over"
        if skip is not None:
            return Plan(outcome=SKIPPED, rule=skip, reason=skip_reason(skip, found), **base)
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
