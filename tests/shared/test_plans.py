"""Plan arithmetic against the policy: rounding, the last instalment, the limits."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lending.money import format_money, to_money
from lending.plans import (
    PlanOffer,
    Refusal,
    deferral,
    instalment_plan,
    max_months_for,
    promise_date,
)
from lending.policy import load_policy

TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.mark.parametrize(
    "balance, months, regular, last",
    [
        ("453.50", 3, "151.16", "151.18"),
        ("100.00", 3, "33.33", "33.34"),
        ("300.00", 3, "100.00", "100.00"),
        ("1342.40", 12, "111.86", "111.94"),
        ("50.01", 2, "25.00", "25.01"),
    ],
)
def test_instalments_add_up_and_the_last_one_carries_the_cents(policy, balance, months, regular, last):
    offer = instalment_plan(Decimal(balance), months, TODAY, policy)
    assert isinstance(offer, PlanOffer)
    amounts = [i.amount for i in offer.instalments]
    assert amounts[:-1] == [Decimal(regular)] * (months - 1)
    assert amounts[-1] == Decimal(last)
    assert sum(amounts) == Decimal(balance)


def test_instalments_fall_monthly_from_the_first_due_date(policy):
    offer = instalment_plan(Decimal("300"), 3, dt.date(2027, 1, 24), policy)
    # first instalment 7 days after agreeing (Jan 31), then month ends clamp
    assert [i.due for i in offer.instalments] == [
        dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31),
    ]


@pytest.mark.parametrize(
    "balance, months, rule",
    [
        ("453.50", 1, "months_out_of_range"),
        ("453.50", 13, "months_out_of_range"),
        ("60.00", 3, "instalment_below_minimum"),
        ("0.00", 3, "nothing_owed"),
    ],
)
def test_plans_outside_the_policy_are_refused(policy, balance, months, rule):
    refusal = instalment_plan(Decimal(balance), months, TODAY, policy)
    assert isinstance(refusal, Refusal) and refusal.rule == rule
    assert refusal.reason  # an agent reads this


def test_plan_cap_on_active_plans(policy):
    assert instalment_plan(Decimal("453.50"), 3, TODAY, policy, active_plans=1).rule == "plan_limit"


@pytest.mark.parametrize("balance, expected", [("453.50", 12), ("60.00", 2), ("74.99", 2), ("75.00", 3)])
def test_longest_plan_meets_the_minimum_instalment(policy, balance, expected):
    assert max_months_for(Decimal(balance), policy) == expected


def test_deferral_limits(policy):
    due = dt.date(2026, 11, 10)
    assert deferral(due, 14, TODAY, policy, 0) == dt.date(2026, 12, 8)
    assert deferral(due, 31, TODAY, policy, 0).rule == "deferral_too_long"
    assert deferral(due, 10, TODAY, policy, 1).rule == "deferral_limit"
    assert deferral(dt.date(2026, 9, 1), 10, TODAY, policy, 0).rule == "deferral_too_overdue"
    # an account not yet due moves from its due date, not from today
    assert deferral(dt.date(2026, 11, 30), 10, TODAY, policy, 0) == dt.date(2026, 12, 10)


def test_promise_dates(policy):
    assert promise_date(TODAY, TODAY, policy) is None
    assert promise_date(TODAY + dt.timedelta(days=14), TODAY, policy) is None
    assert promise_date(TODAY + dt.timedelta(days=15), TODAY, policy).rule == "promise_too_far"
    assert promise_date(TODAY - dt.timedelta(days=1), TODAY, policy).rule == "promise_in_past"


@pytest.mark.parametrize(
    "amount, currency, text",
    [("1250.4", "USD", "$1,250.40"), ("0.005", "USD", "$0.01"), ("99", "CNY", "¥99.00"),
     ("5", "CHF", "5.00 CHF")],
)
def test_money_format(amount, currency, text):
    assert format_money(to_money(amount), currency) == text


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", None])
def test_money_refuses_what_is_not_an_amount(bad):
    with pytest.raises(ValueError):
        to_money(bad)
