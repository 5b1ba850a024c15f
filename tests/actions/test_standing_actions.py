"""Where the borrower stands: once something was agreed, the bot says what the arrangement
says instead of the overdue explanation (after verification, asked the amount, asked the next
payment), and a borrower with a running plan is not offered a second one.

DEMO-1001 (Dana, $453.50 due Nov 10, New York) on the fixed clock: Tuesday Nov 24, 2026.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

import store.db
from actions.debt import ActionExplainDebt, ActionTellNextPayment
from actions.identity import ActionConfirmIdentity
from actions.plans import ActionRecordPlan, ValidateInstalmentForm
from lending import relief
from lending.plans import instalment_plan
from lending.policy import load_policy
from store import arrangements
from store.models import Arrangement, ArrangementInstalment, OutcomeKind
from store.outcomes import record_outcome
from tests.actions.action_support import (
    OPTIONS,
    PLAN_OPTIONS,
    form_tracker,
    open_conversation,
    outcomes,
    rendered,
    run,
    slot_values,
    tracker,
    verified,
    with_policy,
)

TODAY = dt.date(2026, 11, 24)
POLICY = load_policy()


def agree(kind: str, details: dict, account_id: str = "DEMO-1001", currency: str = "USD") -> None:
    with store.db.session_scope() as session:
        record_outcome(session, kind, account_id=account_id, conversation_id=None,
                       details={**details, "currency": currency})


def plan_agreed_on(day: dt.date, months: int = 3) -> None:
    agree(OutcomeKind.PLAN, instalment_plan(Decimal("453.50"), months, day, POLICY).as_dict())


def paid(*numbers: int) -> None:
    with store.db.session_scope() as session:
        for row in session.execute(select(ArrangementInstalment)).scalars():
            if row.number in numbers:
                row.paid = row.amount


def next_payment(dispatcher, domain, **slots):
    run(ActionTellNextPayment(), dispatcher, tracker(verified(**slots), intent="ask_next_payment"), domain)
    return rendered(dispatcher, domain)


def test_a_plan_says_the_next_instalment_and_how_many_are_paid(conversation, dispatcher, domain):
    plan_agreed_on(TODAY)
    paid(1)

    assert next_payment(dispatcher, domain) == [
        "Your next instalment is $151.16 on Jan 1; 1 of 3 paid.", PLAN_OPTIONS,
    ]


def test_an_instalment_in_its_grace_days_says_by_when_it_keeps_the_plan(conversation, dispatcher, domain):
    plan_agreed_on(dt.date(2026, 11, 14))  # first instalment Nov 21, grace through Nov 24

    assert next_payment(dispatcher, domain) == [
        "Your instalment of $151.16 was due on Nov 21; 0 of 3 paid. Paying it by Tue, Nov 24 keeps your plan going.",
        PLAN_OPTIONS,
    ]


def test_a_promise_says_what_was_promised_and_by_when(conversation, dispatcher, domain):
    agree(OutcomeKind.PROMISE, {"date": "2026-11-30", "amount": "200.00"})

    assert next_payment(dispatcher, domain) == ["You promised $200.00 by Mon, Nov 30.", OPTIONS]


def test_a_deferral_says_the_new_due_date(conversation, dispatcher, domain):
    agree(OutcomeKind.DEFERRAL, {"new_due_date": "2026-12-05", "previous_due_date": "2026-11-10", "days": 11})

    assert next_payment(dispatcher, domain) == ["Your due date is Sat, Dec 5: $453.50 to pay by then.", OPTIONS]


def test_breathing_space_says_until_when_we_stay_away(conversation, dispatcher, domain):
    agree(OutcomeKind.RELIEF, relief.breathing_space(TODAY, POLICY))
    with store.db.session_scope() as session:  # agreed today on the fixed clock, not the real one
        session.execute(select(Arrangement)).scalar_one().starts_on = TODAY

    assert next_payment(dispatcher, domain) == [
        "You have a break from us until Wed, Dec 23: we won't contact you before then.", OPTIONS,
    ]


def test_a_broken_plan_says_what_was_missed_and_every_option(conversation, dispatcher, domain):
    plan_agreed_on(dt.date(2026, 10, 20))  # first instalment Oct 27, missed after Oct 30

    assert next_payment(dispatcher, domain) == [
        "Your plan has ended: the instalment of $151.16 due on Tue, Oct 27 wasn't paid.", OPTIONS,
    ]


def test_a_broken_promise_says_it_was_not_received(conversation, dispatcher, domain):
    agree(OutcomeKind.PROMISE, {"date": "2026-11-20", "amount": "200.00"})

    assert next_payment(dispatcher, domain) == [
        "You promised $200.00 by Fri, Nov 20, and we haven't received it.", OPTIONS,
    ]


def test_without_an_arrangement_the_next_payment_is_the_due_date_and_balance(conversation, dispatcher, domain):
    assert next_payment(dispatcher, domain) == [
        "Your payment of $453.50 was due on Nov 10, 2026 and is 14 days overdue. "
        "That's $420.00 principal, $18.50 interest and $15.00 fees.",
        OPTIONS,
    ]


def test_asked_the_amount_a_borrower_on_a_plan_hears_the_total_and_where_they_stand(conversation, dispatcher, domain):
    plan_agreed_on(TODAY)

    run(ActionExplainDebt(), dispatcher, tracker(verified(), intent="ask_amount"), domain)

    assert rendered(dispatcher, domain) == [
        "You owe $453.50 in all.", "Your next instalment is $151.16 on Dec 1; 0 of 3 paid.", PLAN_OPTIONS,
    ]


def test_after_a_deferral_the_overdue_days_count_from_the_new_date(conversation, dispatcher, domain):
    agree(OutcomeKind.DEFERRAL, {"new_due_date": "2026-11-20", "previous_due_date": "2026-11-10", "days": 10})

    run(ActionExplainDebt(), dispatcher, tracker(verified(), intent="ask_amount"), domain)

    assert rendered(dispatcher, domain)[0] == (
        "Your payment of $453.50 was due on Nov 20, 2026 and is 4 days overdue. "
        "That's $420.00 principal, $18.50 interest and $15.00 fees."
    )


def test_inside_a_form_no_options_follow(conversation, dispatcher, domain):
    plan_agreed_on(TODAY)
    run(ActionTellNextPayment(), dispatcher,
        tracker(verified(), intent="ask_next_payment", active_loop="deferral_form"), domain)

    assert rendered(dispatcher, domain) == ["Your next instalment is $151.16 on Dec 1; 0 of 3 paid."]


def test_before_verification_nothing_is_said(conversation, dispatcher, domain):
    plan_agreed_on(TODAY)
    run(ActionTellNextPayment(), dispatcher, tracker({"identity_status": "pending"}), domain)

    assert rendered(dispatcher, domain) == ["I can tell you once I've confirmed who I'm speaking with."]


def test_a_borrower_who_comes_back_hears_where_they_stand_after_verification(conversation, dispatcher, domain):
    plan_agreed_on(TODAY)
    t = tracker({"identity_status": "pending", "identity_failures": 0,
                 "birth_date": "1988-03-14", "id_last4": "4821"})

    events = run(ActionConfirmIdentity(), dispatcher, t, domain)

    assert slot_values(events)["identity_status"] == "verified"
    assert rendered(dispatcher, domain) == [
        "Thank you, Dana, that's confirmed.",
        "This is an attempt to collect a debt, and any information obtained will be used for that purpose.",
        "Your next instalment is $151.16 on Dec 1; 0 of 3 paid.",
        PLAN_OPTIONS,
    ]


def test_where_they_stand_in_chinese(store_url, dispatcher, domain):
    sender = open_conversation("DEMO-1005", sender="c-zh-standing")
    agree(OutcomeKind.PLAN, instalment_plan(Decimal("3176.50"), 3, TODAY, POLICY).as_dict(),
          account_id="DEMO-1005", currency="CNY")

    run(ActionTellNextPayment(), dispatcher, tracker(verified(), intent="ask_next_payment", sender=sender), domain)

    assert rendered(dispatcher, domain, language="zh", channel="sms") == [
        "您的下一期还款为1,058.83元，还款日12月1日；共3期，已还0期。",
        "您可以立即还款、调整某一期的还款日，或转人工客服。请问您想怎么办理？",
    ]


# -- no second plan -----------------------------------------------------------------------

def start_plan(dispatcher, domain):
    start = form_tracker("instalment_form", None, {}, verified(), intent="request_instalment")
    return slot_values(run(ValidateInstalmentForm(), dispatcher, start, domain))


def test_a_reduced_plan_counts_as_the_running_plan(conversation, dispatcher, domain):
    agree(OutcomeKind.RELIEF, relief.reduced_plan(Decimal("453.50"), 3, TODAY, POLICY))

    slots = start_plan(dispatcher, domain)

    assert slots["refused_rules"] == ["plan_limit"]
    assert rendered(dispatcher, domain) == [
        "Your account already has a payment plan, so I can't set up another one here.",
        "Your next instalment is $75.58 on Dec 1; 0 of 3 paid.",
    ]


def test_a_policy_that_allows_two_plans_sets_up_a_second(conversation, dispatcher, domain, monkeypatch):
    plan_agreed_on(TODAY)
    with_policy(monkeypatch, instalments={"max_active_plans": 2})

    slots = start_plan(dispatcher, domain)

    assert slots.get("form_stop_reason") is None and dispatcher.messages == []


@pytest.mark.parametrize("status", ["broken", "completed", "cancelled"])
def test_a_plan_no_longer_running_leaves_room_for_a_new_one(conversation, dispatcher, domain, status):
    plan_agreed_on(TODAY)
    with store.db.session_scope() as session:
        session.execute(select(Arrangement)).scalar_one().status = status
        assert arrangements.running_plans(session, "DEMO-1001") == 0

    assert start_plan(dispatcher, domain).get("form_stop_reason") is None


def test_the_plan_recorded_by_the_bot_is_the_running_plan(conversation, dispatcher, domain):
    offer = instalment_plan(Decimal("453.50"), 3, TODAY, POLICY).as_dict()
    run(ActionRecordPlan(), dispatcher, tracker(verified(plan_offer=offer, plan_confirmed=True)), domain)

    with store.db.session_scope() as session:
        assert arrangements.running_plans(session, "DEMO-1001") == 1
    assert [o.kind for o in outcomes()] == ["plan"]
