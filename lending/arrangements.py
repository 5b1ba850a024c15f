"""What an agreement does next: the one place that says what an account owes and when.

Pure functions of the arrangement's schedule, the payments allocated to it, the borrower's
local day and the policy. The store (store/arrangements.py) keeps the rows and the audit
trail; campaigns, the gate, the bot and the console ask here.

    active --every instalment paid----------> completed
           --an instalment missed past grace--> broken
           --an agent cancels it, or a newer promise or plan replaces a promise--> cancelled
    deferral, breathing space: active --their last day passes--> completed
    fee waiver: completed as soon as it is recorded

An instalment is paid once payments cover it, part-paid while something short of it is
paid, and missed when it is not paid in full by the end of its due date plus the policy's
grace days, counted in the borrower's own days (so daylight saving never moves it).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from store.models import ArrangementKind as Kind
from store.models import ArrangementStatus as Status
from store.models import InstalmentStatus

# Allowed transitions; anything else is a programming error, refused loudly.
TRANSITIONS: Dict[str, Tuple[str, ...]] = {
    Status.ACTIVE: (Status.COMPLETED, Status.BROKEN, Status.CANCELLED),
    Status.BROKEN: (),
    Status.COMPLETED: (),
    Status.CANCELLED: (),
}
# Arrangements that, while active, stop the overdue ladder for their account (a deferral
# moves the due date the ladder counts from instead; breathing space is the gate's).
STOPS_OVERDUE = Kind.WITH_SCHEDULE
# Arrangements that stand in for a plan ("one plan at a time" counts these).
PLAN_KINDS = (Kind.PLAN, Kind.REDUCED_PLAN)


class TransitionError(ValueError):
    """An arrangement cannot move from its status to the one asked."""


def check_transition(current: str, to: str) -> None:
    if to not in TRANSITIONS.get(current, ()):
        raise TransitionError(f"an arrangement that is {current} cannot become {to}")


@dataclass(frozen=True)
class Instalment:
    """One expected payment as it stands."""

    number: int
    due_on: dt.date
    amount: Decimal
    paid: Decimal = Decimal(0)

    @property
    def outstanding(self) -> Decimal:
        return max(Decimal(0), self.amount - self.paid)


def last_grace_day(due_on: dt.date, grace_days: int) -> dt.date:
    """The last day a payment still counts as on time."""
    return due_on + dt.timedelta(days=grace_days)


def broke_on(due_on: dt.date, grace_days: int) -> dt.date:
    """The borrower's day an instalment unpaid since `due_on` is missed (and its plan broken)."""
    return last_grace_day(due_on, grace_days) + dt.timedelta(days=1)


def instalment_status(instalment: Instalment, today: dt.date, grace_days: int) -> str:
    if instalment.paid >= instalment.amount:
        return InstalmentStatus.PAID
    if today > last_grace_day(instalment.due_on, grace_days):
        return InstalmentStatus.MISSED
    return InstalmentStatus.PART_PAID if instalment.paid > 0 else InstalmentStatus.DUE


def allocate(instalments: Sequence[Instalment], amount: Decimal) -> Tuple[List[Tuple[int, Decimal]], Decimal]:
    """Splits a payment over the schedule, earliest unpaid instalment first (a payment
    before an instalment is due pays it in advance). Returns (instalment number, amount
    taken) pairs and what is left over once the whole schedule is paid."""
    left, taken = Decimal(amount), []
    for instalment in sorted(instalments, key=lambda i: (i.due_on, i.number)):
        if left <= 0:
            break
        share = min(instalment.outstanding, left)
        if share > 0:
            taken.append((instalment.number, share))
            left -= share
    return taken, left


def verdict(kind: str, instalments: Sequence[Instalment], today: dt.date, grace_days: int,
            ends_on: Optional[dt.date]) -> Optional[str]:
    """The status an active arrangement moves to on `today` (None: it stays active)."""
    if kind == Kind.FEE_WAIVER:
        return Status.COMPLETED
    if kind in (Kind.DEFERRAL, Kind.BREATHING_SPACE):
        return Status.COMPLETED if ends_on is not None and today > ends_on else None
    statuses = [instalment_status(i, today, grace_days) for i in instalments]
    if statuses and all(s == InstalmentStatus.PAID for s in statuses):
        return Status.COMPLETED
    if InstalmentStatus.MISSED in statuses:
        return Status.BROKEN
    return None


@dataclass(frozen=True)
class ArrangementFacts:
    """An arrangement as contact decisions read it."""

    id: int
    account_id: str
    kind: str
    status: str
    starts_on: dt.date
    ends_on: Optional[dt.date]
    currency: str
    instalments: Tuple[Instalment, ...] = ()
    grace_days: int = 0

    def next_instalment(self, today: dt.date) -> Optional[Instalment]:
        """The first instalment not yet paid in full (due today or later, or in grace)."""
        for instalment in sorted(self.instalments, key=lambda i: (i.due_on, i.number)):
            if instalment.paid < instalment.amount:
                return instalment
        return None

    def status_on(self, today: dt.date) -> str:
        """The status on `today`: what a review on that day would make of it."""
        if self.status != Status.ACTIVE:
            return self.status
        return verdict(self.kind, self.instalments, today, self.grace_days, self.ends_on) or Status.ACTIVE

    def missed(self, today: dt.date) -> Optional[Instalment]:
        """The first instalment missed by `today`."""
        for instalment in sorted(self.instalments, key=lambda i: (i.due_on, i.number)):
            if instalment_status(instalment, today, self.grace_days) == InstalmentStatus.MISSED:
                return instalment
        return None

    def paid_count(self) -> int:
        return sum(1 for i in self.instalments if i.paid >= i.amount)


@dataclass(frozen=True)
class Standing:
    """What an account's arrangements say about contact on the borrower's `today`."""

    due_date: dt.date  # the effective due date (a deferral moves it)
    good_standing: Optional[ArrangementFacts] = None  # stops the overdue ladder
    breathing_space_until: Optional[dt.date] = None  # no automated contact through this day
    broken: Optional[ArrangementFacts] = None  # the latest broken one with a schedule
    arrangements: Tuple[ArrangementFacts, ...] = field(default_factory=tuple)

    @property
    def stops_overdue(self) -> bool:
        return self.good_standing is not None


def standing(due_date: dt.date, arrangements: Iterable[ArrangementFacts], today: dt.date) -> Standing:
    """Reads the arrangements as of `today` (an arrangement whose grace has run out is read as
    broken even before a review has written it down, so a preview of a later day is right)."""
    arrangements = tuple(sorted(arrangements, key=lambda a: a.id))
    effective, good, breathing, broken = due_date, None, None, None
    for arrangement in arrangements:
        status = arrangement.status_on(today)
        # A deferral moves the due date for good: once its day has come, the ladder counts
        # from it (only cancelling it gives the old date back).
        if arrangement.kind == Kind.DEFERRAL and status in (Status.ACTIVE, Status.COMPLETED):
            effective = max(effective, arrangement.ends_on or effective)
        if arrangement.kind == Kind.BREATHING_SPACE and status == Status.ACTIVE and arrangement.ends_on:
            if arrangement.starts_on <= today <= arrangement.ends_on:
                breathing = max(breathing or arrangement.ends_on, arrangement.ends_on)
        if status == Status.ACTIVE and arrangement.kind in STOPS_OVERDUE:
            good = arrangement  # the latest schedule
        if status == Status.BROKEN and arrangement.kind in Kind.WITH_SCHEDULE:
            broken = arrangement
    if good is not None and broken is not None and broken.id < good.id:
        broken = None  # a newer agreement took over from the broken one
    return Standing(effective, good, breathing, broken, arrangements)


def date_move(due_on: dt.date, new_date: dt.date, today: dt.date, policy, moves_so_far: int):
    """None when an instalment due `due_on` may move to `new_date`; else the Refusal."""
    from lending.plans import Refusal

    rules = policy.instalments
    if moves_so_far >= rules.max_date_moves:
        return Refusal("date_move_limit", f"A plan's dates can be moved {rules.max_date_moves} time(s).")
    if new_date <= max(due_on, today - dt.timedelta(days=1)) or new_date < today:
        return Refusal("date_move_not_later", "The new date must be later than the current one and not past.")
    if (new_date - due_on).days > rules.max_date_move_days:
        return Refusal("date_move_too_far", f"A date can move at most {rules.max_date_move_days} days.")
    return None


def deferral_ends(due_date: dt.date, days: int, today: dt.date) -> dt.date:
    """A deferral's new due date, counted from the due date or from today once it passed."""
    return max(due_date, today) + dt.timedelta(days=days)
