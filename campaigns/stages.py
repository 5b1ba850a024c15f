"""Which stage of a campaign an account is in on the borrower's day, read from its
arrangements through lending.arrangements.standing (the one place that says what they mean):

    days_before_due, days_after_due, days_past_due
                              counted from the effective due date (a deferral moves it);
                              skipped while a promise or plan is in good standing
    days_before_promise       to the date of the active promise (0: the date itself)
    days_after_broken_promise from the promise's last day of grace (1: the day it broke)
    days_before_instalment    to the next unpaid instalment of the active plan (or reduced plan)
    days_after_broken_plan    from the day the plan broke (0: that day)

Standing is read as of the day asked, so a day whose grace has run out sees the plan
broken even before a review has written it down. The planner asks for every account of a
run, the worker again at send time, so an agreement or a payment in between counts.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Optional, Sequence, Tuple

from campaigns.config import DUE, PROMISE, Campaign, Stage
from lending.arrangements import (
    PLAN_KINDS,
    ArrangementFacts,
    Instalment,
    Standing,
    broke_on,
    last_grace_day,
)
from store.models import ArrangementKind as Kind
from store.models import ArrangementStatus as Status

IN_GOOD_STANDING = "arrangement_in_good_standing"


class Subject(NamedTuple):
    """What a stage's message speaks of: the effective due date and, in a promise or plan
    stage, the arrangement and its instalment (the next one, or the one missed)."""

    due_date: dt.date
    arrangement: Optional[ArrangementFacts] = None
    instalment: Optional[Instalment] = None


class Match(NamedTuple):
    stage: Optional[str] = None  # None: in no stage today
    subject: Optional[Subject] = None
    skip: Optional[str] = None  # in the stage, but its message must not go: the rule


def _kinds(stage: Stage) -> Sequence[str]:
    return (Kind.PROMISE,) if stage.about == PROMISE else PLAN_KINDS


def _active(standing: Standing, kinds: Sequence[str], today: dt.date) -> Optional[ArrangementFacts]:
    """The latest arrangement of these kinds that is active on `today`."""
    found = None
    for arrangement in standing.arrangements:
        if arrangement.kind in kinds and arrangement.status_on(today) == Status.ACTIVE:
            found = arrangement
    return found


def _broken(standing: Standing, kinds: Sequence[str], today: dt.date) -> Optional[ArrangementFacts]:
    """The latest schedule, when it is broken on `today` and of these kinds (a newer promise
    or plan, kept or running, takes over from a broken one)."""
    schedules = [a for a in standing.arrangements if a.kind in Kind.WITH_SCHEDULE]
    latest = schedules[-1] if schedules else None
    if latest is not None and latest.kind in kinds and latest.status_on(today) == Status.BROKEN:
        return latest
    return None


def subject_for(stage: Stage, standing: Standing, today: dt.date) -> Optional[Subject]:
    """What the stage's message would speak of on `today` (None: the stage does not match)."""
    if stage.about == DUE:
        return Subject(standing.due_date) if stage.matches_due((today - standing.due_date).days) else None
    kinds = _kinds(stage)
    if stage.kind in ("days_before_promise", "days_before_instalment"):
        arrangement = _active(standing, kinds, today)
        instalment = arrangement.next_instalment(today) if arrangement else None
        if instalment is not None and (instalment.due_on - today).days in stage.days:
            return Subject(standing.due_date, arrangement, instalment)
        return None
    arrangement = _broken(standing, kinds, today)
    missed = arrangement.missed(today) if arrangement else None
    if missed is None:
        return None
    if stage.about == PROMISE:
        since = (today - last_grace_day(missed.due_on, arrangement.grace_days)).days
    else:
        since = (today - broke_on(missed.due_on, arrangement.grace_days)).days
    return Subject(standing.due_date, arrangement, missed) if since in stage.days else None


def match(campaign: Campaign, standing: Standing, today: dt.date) -> Match:
    """The first stage that matches; a due-date stage of an account in good standing only
    when no other stage does, and then skipped."""
    skipped = Match()
    for name, stage in campaign.stages.items():
        subject = subject_for(stage, standing, today)
        if subject is None:
            continue
        if stage.about == DUE and standing.good_standing is not None:
            skipped = skipped if skipped.stage else Match(name, subject, IN_GOOD_STANDING)
            continue
        return Match(name, subject)
    return skipped


def still_due(stage: Stage, standing: Standing, day: dt.date) -> Tuple[Optional[Subject], Optional[str]]:
    """At send time, for a message planned for `day`: (what it speaks of, None), or (None,
    why it should no longer go)."""
    subject = subject_for(stage, standing, day)
    if stage.about == DUE:
        if standing.good_standing is not None:
            return None, IN_GOOD_STANDING
        return (subject, None) if subject is not None else (None, "due_date_moved")
    if subject is not None:
        return subject, None
    plan = _active(standing, PLAN_KINDS, day) if stage.kind == "days_before_instalment" else None
    if plan is not None:
        paid = any(i.paid >= i.amount and (i.due_on - day).days in stage.days for i in plan.instalments)
        return None, "instalment_paid" if paid else "instalment_moved"
    return None, f"{stage.about}_settled"


SKIP_REASONS = {
    "vulnerable": "the borrower is flagged vulnerable; the policy leaves them out of automated "
                  "campaigns (vulnerability.exclude_from_campaigns)",
    "outside_campaign_dates": "the day is outside the campaign's start and end dates",
    "not_a_sending_day": "the campaign does not send on this weekday",
    "send_window_over": "the campaign's send window is over for the day in the borrower's time zone",
}


def skip_reason(rule: str, standing: Standing) -> str:
    """Why a stage's message is skipped, in words an operator reads."""
    if rule == IN_GOOD_STANDING and standing.good_standing is not None:
        good = standing.good_standing
        return (f"the {good.kind.replace('_', ' ')} agreed on {good.starts_on.isoformat()} is in good "
                "standing: no due-date messages while it lasts")
    return SKIP_REASONS.get(rule, rule)
