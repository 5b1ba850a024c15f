"""Instalment plans: the months validated against the policy, the schedule read back,
the plan recorded with exactly that schedule after a yes."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from actions.plans import (
    ActionAskInstalmentFormPlanConfirmed,
    ActionAskInstalmentFormPlanMonths,
    ActionRecordPlan,
    ValidateInstalmentForm,
)
from lending.plans import instalment_plan
from lending.policy import load_policy
from tests.actions.action_support import (
    form_tracker,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
    verified,
)

TODAY = dt.date(2026, 11, 24)
THREE_MONTHS = instalment_plan(Decimal("453.50"), 3, TODAY, load_policy()).as_dict()


def months_answer(dispatcher, domain, said, slots=None):
    t = form_tracker("instalment_form", "plan_months", {"plan_months": said},
                     verified(**(slots or {})), intent="inform", text=said)
    return slot_values(run(ValidateInstalmentForm(), dispatcher, t, domain))


@pytest.mark.parametrize("said, months", [("3 months", 3), ("six", 6), ("12", 12), ("a year", 12)])
def test_months_inside_the_policy_are_accepted_with_their_schedule(conversation, dispatcher, domain, said, months):
    slots = months_answer(dispatcher, domain, said)

    assert slots["plan_months"] == str(months)
    assert slots["plan_offer"]["months"] == months
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "said, text",
    [
        ("24 months", "For your balance a plan can run from 2 to 12 months."),
        ("1 month", "For your balance a plan can run from 2 to 12 months."),
        ("whenever", "Please send a number of months from 2 to 12, for example \"3 months\"."),
    ],
)
def test_months_outside_the_policy_are_explained_and_asked_again(conversation, dispatcher, domain, said, text):
    slots = months_answer(dispatcher, domain, said)

    assert slots["plan_months"] is None and slots["form_failures"] == 1
    assert rendered(dispatcher, domain) == [text]


def test_the_question_gives_the_range_for_the_balance(conversation, dispatcher, domain):
    run(ActionAskInstalmentFormPlanMonths(), dispatcher, tracker(verified()), domain)
    assert rendered(dispatcher, domain) == [
        "Over how many months would you like to spread the payments? You can choose from 2 to 12."
    ]


def test_three_months_are_read_back_instalment_by_instalment(conversation, dispatcher, domain):
    slots = months_answer(dispatcher, domain, "3 months")
    assert slots["plan_offer"] == THREE_MONTHS

    run(ActionAskInstalmentFormPlanConfirmed(), dispatcher, tracker(verified(**slots)), domain)

    assert rendered(dispatcher, domain) == [
        "That's 3 monthly payments of $151.16 on Dec 1, Jan 1 and Feb 1; "
        "the last one is $151.18. Is that right?"
    ]


def test_a_yes_records_the_plan_with_the_schedule_read_back(conversation, dispatcher, domain):
    t = tracker(verified(plan_months="3", plan_offer=THREE_MONTHS, plan_confirmed=True))
    events = run(ActionRecordPlan(), dispatcher, t, domain)

    [plan] = outcomes("plan")
    assert plan.details == {**THREE_MONTHS, "currency": "USD"}
    assert [i["amount"] for i in plan.details["instalments"]] == ["151.16", "151.16", "151.18"]
    assert (plan.account_id, plan.conversation_id, plan.phone) == (
        "DEMO-1001", conversation, "+15550100001",
    )
    assert rendered(dispatcher, domain) == [
        "Your plan is set up. The first payment of $151.16 is due on Tue, Dec 1. "
        "You can pay here: https://pay.northwind.example/a/DEMO-1001"
    ]
    assert slot_values(events)["plan_offer"] is None  # the form's answers are forgotten


def test_a_no_records_nothing_and_offers_the_options(conversation, dispatcher, domain):
    t = tracker(verified(plan_months="3", plan_offer=THREE_MONTHS, plan_confirmed=False))
    run(ActionRecordPlan(), dispatcher, t, domain)

    assert outcomes("plan") == []
    assert responses(dispatcher) == ["utter_nothing_agreed", "utter_offer_options"]


def test_a_second_running_plan_is_refused_with_where_they_stand_then_goes_to_a_person(
    conversation, dispatcher, domain
):
    run(ActionRecordPlan(), dispatcher,
        tracker(verified(plan_offer=THREE_MONTHS, plan_confirmed=True)), domain)
    dispatcher.messages.clear()

    start = form_tracker("instalment_form", None, {}, verified(), intent="request_instalment")
    slots = slot_values(run(ValidateInstalmentForm(), dispatcher, start, domain))

    assert slots["form_stop_reason"] == "refused" and slots["refused_rules"] == ["plan_limit"]
    assert rendered(dispatcher, domain) == [
        "Your account already has a payment plan, so I can't set up another one here.",
        "Your next instalment is $151.16 on Dec 1; 0 of 3 paid.",
    ]
    dispatcher.messages.clear()
    run(ActionRecordPlan(), dispatcher,
        tracker(verified(form_stop_reason="refused", refused_rules=["plan_limit"])), domain)
    assert rendered(dispatcher, domain) == [
        "You can pay now, move a payment date, or talk to a person. What would you like to do?"
    ]
    assert len(outcomes("plan")) == 1
    again = form_tracker("instalment_form", None, {}, verified(refused_rules=["plan_limit"]),
                         intent="request_instalment")
    assert slot_values(run(ValidateInstalmentForm(), dispatcher, again, domain))["form_stop_reason"] == "outside_policy"


def test_a_changed_answer_at_the_read_back_is_read_back_again(conversation, dispatcher, domain):
    """'yes but make it 6 months' in answer to the read-back: the new schedule is read back
    before any yes counts."""
    t = form_tracker("instalment_form", "plan_confirmed", {"plan_confirmed": True, "plan_months": "6 months"},
                     verified(plan_months="3", plan_offer=THREE_MONTHS),
                     intent="affirm", text="yes but make it 6 months",
                     entities=[{"entity": "months", "value": "6 months"}])
    slots = slot_values(run(ValidateInstalmentForm(), dispatcher, t, domain))

    assert slots["plan_months"] == "6" and slots["plan_offer"]["months"] == 6
    assert slots["plan_confirmed"] is None


def test_a_message_that_answers_nothing_returns_no_slots(conversation, dispatcher, domain):
    """So Rasa rejects the form for it and the rules answer ("how much is it in total?")."""
    t = form_tracker("instalment_form", "plan_months", {},
                     verified(plan_confirmed=None, form_failures=0), intent="ask_amount")
    events = run(ValidateInstalmentForm(), dispatcher, t, domain)

    assert events == [] and dispatcher.messages == []
