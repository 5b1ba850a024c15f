"""Hardship relief within the policy (`hardship:` in lender/policy.yml): a reduced
instalment plan, a fee waiver, breathing space. The bot and the console offer the same
options through these functions, as lending/plans.py does for plans.

Each returns the outcome details to record (OutcomeKind.RELIEF, details["relief"] naming
the arrangement kind) or a Refusal that says why.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from typing import List, Union

from dateutil.relativedelta import relativedelta

from lending.money import CENT, to_money
from lending.plans import Refusal
from lending.policy import Policy

REDUCED_PLAN, FEE_WAIVER, BREATHING_SPACE = "reduced_plan", "fee_waiver", "breathing_space"


def options(policy: Policy, fees: Decimal) -> List[str]:
    """The relief the policy offers this account, in the order the bot lists them."""
    found = []
    if policy.hardship.reduced_payment_percent > 0:
        found.append(REDUCED_PLAN)
    if policy.hardship.fee_waiver and fees > 0:
        found.append(FEE_WAIVER)
    if policy.hardship.breathing_space_days > 0:
        found.append(BREATHING_SPACE)
    return found


def reduced_plan(balance: Decimal, months: int, today: dt.date, policy: Policy) -> Union[dict, Refusal]:
    """`months` monthly instalments smaller than a plan's by the policy's percentage. They do
    not add up to the balance: what is left is reviewed when the relief ends. The minimum
    instalment does not apply (relief is for borrowers who cannot meet it)."""
    percent = policy.hardship.reduced_payment_percent
    rules = policy.instalments
    balance = to_money(balance)
    if percent <= 0:
        return Refusal("relief_not_offered", "The policy offers no reduced instalments.")
    if balance <= 0:
        return Refusal("nothing_owed", "There is no balance to spread over a plan.")
    if not rules.min_months <= months <= rules.max_months:
        return Refusal("months_out_of_range",
                       f"Plans run {rules.min_months} to {rules.max_months} months; {months} was asked.")
    regular = (balance / months).quantize(CENT, rounding=ROUND_DOWN)
    amount = (regular * (100 - percent) / 100).quantize(CENT, rounding=ROUND_DOWN)
    if amount <= 0:
        return Refusal("relief_too_small", "The reduced instalment would be nothing.")
    first_due = today + dt.timedelta(days=rules.first_instalment_in_days)
    instalments = [
        {"number": n + 1, "due": (first_due + relativedelta(months=n)).isoformat(), "amount": str(amount)}
        for n in range(months)
    ]
    return {"relief": REDUCED_PLAN, "months": months, "percent": percent, "regular": str(regular),
            "total": str(amount * months), "instalments": instalments}


def fee_waiver(fees: Decimal, policy: Policy) -> Union[dict, Refusal]:
    if not policy.hardship.fee_waiver:
        return Refusal("relief_not_offered", "The policy does not waive fees.")
    if fees <= 0:
        return Refusal("no_fees", "The account has no fees to waive.")
    return {"relief": FEE_WAIVER, "amount": str(to_money(fees))}


def breathing_space(today: dt.date, policy: Policy, days: int = 0) -> Union[dict, Refusal]:
    """No automated contact from today through the last day (`days`: the policy's when 0)."""
    longest = policy.hardship.breathing_space_days
    if longest <= 0:
        return Refusal("relief_not_offered", "The policy offers no breathing space.")
    days = days or longest
    if not 1 <= days <= longest:
        return Refusal("breathing_space_too_long", f"Breathing space lasts at most {longest} days.")
    return {"relief": BREATHING_SPACE, "days": days,
            "until": (today + dt.timedelta(days=days - 1)).isoformat()}
