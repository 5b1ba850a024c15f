"""What the policy allows: instalment schedules, deferrals and promises to pay.

Every function returns either an offer or a Refusal that says why, in words an
agent can read; the bot hands refusals to a person instead of improvising.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import List, Optional, Union

from dateutil.relativedelta import relativedelta

from lending.money import CENT, to_money
from lending.policy import Policy


@dataclass(frozen=True)
class Refusal:
    rule: str  # a stable key for reports, e.g. "instalment_below_minimum"
    reason: str


@dataclass(frozen=True)
class Instalment:
    number: int
    due: dt.date
    amount: Decimal


@dataclass(frozen=True)
class PlanOffer:
    months: int
    total: Decimal
    down_payment: Decimal
    instalments: List[Instalment]

    def as_dict(self) -> dict:
        return {
            "months": self.months,
            "total": str(self.total),
            "down_payment": str(self.down_payment),
            "instalments": [
                {"number": i.number, "due": i.due.isoformat(), "amount": str(i.amount)}
                for i in self.instalments
            ],
        }


def max_months_for(balance: Decimal, policy: Policy) -> int:
    """The longest plan whose regular instalment still meets the minimum."""
    rules = policy.instalments
    financed = balance - down_payment_for(balance, policy)
    by_minimum = int(financed // rules.min_instalment)
    return min(rules.max_months, by_minimum)


def down_payment_for(balance: Decimal, policy: Policy) -> Decimal:
    share = Decimal(policy.instalments.down_payment_percent) / 100
    return to_money(balance * share)


def instalment_plan(
    balance: Decimal, months: int, today: dt.date, policy: Policy, active_plans: int = 0
) -> Union[PlanOffer, Refusal]:
    """Splits the balance into equal monthly instalments, rounded down to the cent;
    the last instalment carries the remainder so the plan adds up exactly."""
    rules = policy.instalments
    balance = to_money(balance)
    if balance <= 0:
        return Refusal("nothing_owed", "There is no balance to spread over a plan.")
    if active_plans >= rules.max_active_plans:
        return Refusal("plan_limit", "The account already has the most plans the policy allows.")
    if not rules.min_months <= months <= rules.max_months:
        return Refusal(
            "months_out_of_range",
            f"Plans run {rules.min_months} to {rules.max_months} months; {months} was asked.",
        )
    down = down_payment_for(balance, policy)
    financed = balance - down
    regular = (financed / months).quantize(CENT, rounding=ROUND_DOWN)
    if regular < rules.min_instalment:
        return Refusal(
            "instalment_below_minimum",
            f"{months} instalments would be {regular}, below the minimum {rules.min_instalment}.",
        )
    last = financed - regular * (months - 1)
    first_due = today + dt.timedelta(days=rules.first_instalment_in_days)
    instalments = [
        Instalment(n + 1, first_due + relativedelta(months=n), regular if n < months - 1 else last)
        for n in range(months)
    ]
    return PlanOffer(months=months, total=balance, down_payment=down, instalments=instalments)


def deferral(
    due_date: dt.date,
    days: int,
    today: dt.date,
    policy: Policy,
    deferrals_last_12_months: int,
) -> Union[dt.date, Refusal]:
    """The new due date, counted from today for an overdue account."""
    rules = policy.deferral
    overdue = max(0, (today - due_date).days)
    if overdue > rules.max_days_overdue:
        return Refusal(
            "deferral_too_overdue",
            f"The account is {overdue} days overdue; deferral stops at {rules.max_days_overdue}.",
        )
    if deferrals_last_12_months >= rules.max_per_12_months:
        return Refusal("deferral_limit", "A deferral was already granted in the last 12 months.")
    if not 1 <= days <= rules.max_days:
        return Refusal("deferral_too_long", f"A deferral can be at most {rules.max_days} days.")
    return max(due_date, today) + dt.timedelta(days=days)


def promise_date(promised: dt.date, today: dt.date, policy: Policy) -> Optional[Refusal]:
    """None when the promised date is acceptable."""
    if promised < today:
        return Refusal("promise_in_past", "That date has already passed.")
    limit = policy.promise.max_days_ahead
    if (promised - today).days > limit:
        return Refusal("promise_too_far", f"Promises can be at most {limit} days ahead.")
    return None
