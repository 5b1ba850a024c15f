"""Hardship relief: a verified borrower in hardship is flagged vulnerable and hears the relief
the policy offers in one message, picks one, hears it read back, confirms, and it is recorded
(its arrangement opened); then a person takes over where the policy says hardship goes to one.

DEMO-1001 (Dana, $453.50 of which $15.00 fees, New York) on the fixed clock, Tuesday Nov 24,
2026, 10:00 for the agents: a person can reply at once. The policy offers all three: half-size
instalments, a fee waiver, 30 days' breathing space; hardship goes to a person.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import store.db
from actions.debt import ActionRecordHardship
from actions.relief import (
    ActionAskReliefFormReliefChoice,
    ActionAskReliefFormReliefConfirmed,
    ActionRecordRelief,
    ValidateReliefForm,
)
from lending.plans import instalment_plan
from lending.policy import load_policy
from store import arrangements
from store.models import Arrangement, OutcomeKind
from store.outcomes import record_outcome
from tests.actions.action_support import (
    OPTIONS,
    account,
    conversation_row,
    form_tracker,
    open_conversation,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
    verified,
    with_policy,
)

OFFER = (
    "Here's what we can offer: 1) Smaller payments: 3 monthly payments of $75.58, half the usual, then we "
    "review. 2) We waive your $15.00 in fees. 3) A break: no contact from us for 30 days. Reply with the "
    "number you'd like, or NO if none suits you."
)
HANDOFF = "I'm passing you to a person at Northwind Credit, who will reply here within the hour."


def start(dispatcher, domain, sender=None, **parse):
    extra = {"sender": sender} if sender else {}
    t = form_tracker("relief_form", None, {}, verified(), intent="hardship", text="i lost my job", **extra, **parse)
    return slot_values(run(ValidateReliefForm(), dispatcher, t, domain))


def choose(dispatcher, domain, said, slots, intent="inform", sender=None):
    extra = {"sender": sender} if sender else {}
    t = form_tracker("relief_form", "relief_choice", {"relief_choice": said}, verified(**slots),
                     intent=intent, text=said, **extra)
    return slot_values(run(ValidateReliefForm(), dispatcher, t, domain))


def offered(slots) -> list:
    return [o["relief"] for o in slots.get("relief_offers") or []]


def test_hardship_is_flagged_and_the_relief_offered_in_one_message(conversation, dispatcher, domain):
    run(ActionRecordHardship(), dispatcher, tracker(verified(), intent="hardship"), domain)
    slots = start(dispatcher, domain)
    run(ActionAskReliefFormReliefChoice(), dispatcher, tracker(verified(**slots)), domain)

    [hardship] = outcomes("hardship")
    assert hardship.details == {"vulnerable": True} and account().vulnerable is True
    assert offered(slots) == ["reduced_plan", "fee_waiver", "breathing_space"]
    assert rendered(dispatcher, domain) == ["I'm sorry to hear that, and thank you for telling me.", OFFER]


READ_BACK = {
    "1": "That's 3 monthly payments of $75.58, half the usual, on Dec 1, Jan 1 and Feb 1, then we review. Is that right?",
    "2": "We'll waive your $15.00 in fees, so you'll owe $438.50. Is that right?",
    "3": "We won't contact you for 30 days, until Wed, Dec 23; then we'll check in with you. Is that right?",
}
RECORDED = {
    "1": "Done. Your first payment of $75.58 is due on Tue, Dec 1. You can pay here: https://pay.northwind.example/a/DEMO-1001",
    "2": "Done. Your $15.00 in fees are waived; you now owe $438.50.",
    "3": "Done. We won't contact you until after Wed, Dec 23.",
}


@pytest.mark.parametrize("said, kind", [("1", "reduced_plan"), ("2", "fee_waiver"), ("3", "breathing_space")])
def test_each_option_is_read_back_recorded_and_then_a_person_takes_over(conversation, dispatcher, domain, said, kind):
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, said, slots))
    assert slots["relief_choice"] == kind

    run(ActionAskReliefFormReliefConfirmed(), dispatcher, tracker(verified(**slots)), domain)
    events = run(ActionRecordRelief(), dispatcher, tracker(verified(**slots, relief_confirmed=True)), domain)

    assert rendered(dispatcher, domain) == [READ_BACK[said], RECORDED[said], HANDOFF]
    [agreed] = outcomes("relief")
    assert agreed.details["relief"] == kind and agreed.details["currency"] == "USD"
    assert outcomes("escalation")[0].details == {"reason": "hardship"}
    assert conversation_row().handled_by == "human"
    assert slot_values(events)["relief_offers"] is None  # the form's answers are forgotten
    with store.db.session_scope() as session:
        [arrangement] = arrangements.for_account(session, "DEMO-1001")
        schedule = arrangements.as_json(session, arrangement)["schedule"]
        assert (arrangement.kind, arrangement.agreed_by) == (kind, "bot")
        if kind == "reduced_plan":
            assert [(i["due_on"], i["amount"]) for i in schedule] == [
                ("2026-12-01", "75.58"), ("2027-01-01", "75.58"), ("2027-02-01", "75.58")]
        if kind == "breathing_space":
            assert arrangement.ends_on.isoformat() == "2026-12-23"
    if kind == "fee_waiver":
        assert account().fees == 0


@pytest.mark.parametrize(
    "hardship, account_id, kinds",
    [
        ({}, "DEMO-1003", ["reduced_plan", "breathing_space"]),  # no fees to waive
        ({"fee_waiver": False}, "DEMO-1001", ["reduced_plan", "breathing_space"]),
        ({"reduced_payment_percent": 0}, "DEMO-1001", ["fee_waiver", "breathing_space"]),
        ({"breathing_space_days": 0}, "DEMO-1001", ["reduced_plan", "fee_waiver"]),
    ],
)
def test_only_what_the_policy_offers_the_account_is_offered(store_url, dispatcher, domain, monkeypatch,
                                                            hardship, account_id, kinds):
    sender = open_conversation(account_id, sender=f"c-{account_id}")
    with_policy(monkeypatch, hardship=hardship)

    slots = start(dispatcher, domain, sender=sender)
    run(ActionAskReliefFormReliefChoice(), dispatcher, tracker(verified(**slots), sender=sender), domain)

    assert offered(slots) == kinds
    [message] = dispatcher.messages
    assert [message[f"key_{n}"] for n in (1, 2, 3)] == ["1", "2", ""]  # a call's keypad: two choices


def test_a_smaller_reduction_is_worded_as_a_percentage(conversation, dispatcher, domain, monkeypatch):
    with_policy(monkeypatch, hardship={"reduced_payment_percent": 30})
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, "the smaller payments", slots))

    run(ActionAskReliefFormReliefConfirmed(), dispatcher, tracker(verified(**slots)), domain)

    assert rendered(dispatcher, domain) == [
        "That's 3 monthly payments of $105.81, 30% less than usual, on Dec 1, Jan 1 and Feb 1, then we review. "
        "Is that right?"
    ]


def test_without_any_relief_hardship_goes_to_a_person_as_before(conversation, dispatcher, domain, monkeypatch):
    with_policy(monkeypatch, hardship={"fee_waiver": False, "reduced_payment_percent": 0, "breathing_space_days": 0})

    run(ActionRecordHardship(), dispatcher, tracker(verified(), intent="hardship"), domain)
    slots = start(dispatcher, domain)
    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots)), domain)

    assert slots["form_stop_reason"] == "none_offered"
    assert responses(dispatcher) == ["utter_hardship_noted", "utter_handoff_in_hours"]
    assert [o.kind for o in outcomes()] == ["hardship", "escalation"]


@pytest.mark.parametrize("said, intent", [("no thanks", "deny"), ("none of those", "inform"), ("不用", "deny")])
def test_declined_relief_records_nothing_and_goes_to_a_person(conversation, dispatcher, domain, said, intent):
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, said, slots, intent=intent))
    assert slots["form_stop_reason"] == "declined"

    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots)), domain)

    assert rendered(dispatcher, domain) == ["No problem, I haven't set anything up.", HANDOFF]
    assert outcomes("relief") == [] and len(outcomes("escalation")) == 1


def test_a_no_at_the_read_back_records_nothing(conversation, dispatcher, domain):
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, "2", slots))

    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots, relief_confirmed=False)), domain)

    assert outcomes("relief") == [] and account().fees == 15
    assert rendered(dispatcher, domain) == ["No problem, I haven't set anything up.", HANDOFF]


def test_where_hardship_stays_with_the_bot_agreed_relief_ends_there(conversation, dispatcher, domain, monkeypatch):
    with_policy(monkeypatch, hardship={"handoff": False})
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, "3", slots))

    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots, relief_confirmed=True)), domain)

    assert rendered(dispatcher, domain) == [RECORDED["3"]]
    assert outcomes("escalation") == [] and conversation_row().handled_by == "bot"


def test_the_options_after_a_decline_where_hardship_stays_with_the_bot(conversation, dispatcher, domain, monkeypatch):
    with_policy(monkeypatch, hardship={"handoff": False})
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, "nope", slots, intent="deny"))

    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots)), domain)

    assert rendered(dispatcher, domain) == ["No problem, I haven't set anything up.", OPTIONS]


def test_an_answer_that_picks_nothing_is_explained_and_asked_again(conversation, dispatcher, domain):
    slots = start(dispatcher, domain)

    again = choose(dispatcher, domain, "hmm what", slots, intent="out_of_scope")

    assert again["relief_choice"] is None and again["form_failures"] == 1
    assert rendered(dispatcher, domain) == ["Please reply with the number of the option you'd like, from 1 to 3, or NO."]


def test_a_reduced_plan_replaces_the_running_plan(conversation, dispatcher, domain):
    offer = instalment_plan(account().balance, 3, dt.date(2026, 11, 24), load_policy())
    with store.db.session_scope() as session:
        record_outcome(session, OutcomeKind.PLAN, account_id="DEMO-1001", conversation_id=None,
                       details={**offer.as_dict(), "currency": "USD"})
    slots = start(dispatcher, domain)
    slots.update(choose(dispatcher, domain, "1", slots))

    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots, relief_confirmed=True)), domain)

    with store.db.session_scope() as session:
        rows = session.execute(select(Arrangement).order_by(Arrangement.id)).scalars().all()
        assert [(a.kind, a.status, a.status_reason) for a in rows] == [
            ("plan", "cancelled", "replaced"), ("reduced_plan", "active", None)]
        assert arrangements.running_plans(session, "DEMO-1001") == 1


def test_a_person_asked_for_beside_the_hardship_gets_one_and_no_offer(conversation, dispatcher, domain):
    parse = {"safety_intents": ["request_human", "hardship"]}
    events = run(ActionRecordHardship(), dispatcher, tracker(verified(), intent="hardship", parse=parse), domain)
    slots = start(dispatcher, domain)
    run(ActionRecordRelief(), dispatcher, tracker(verified(**slots)), domain)

    assert slots["form_stop_reason"] == "handed_over"
    assert responses(dispatcher) == ["utter_hardship_heard", "utter_handoff_in_hours"]
    assert [(o.kind, o.details) for o in outcomes()] == [
        ("hardship", {"vulnerable": True}), ("escalation", {"reason": "request_human"})]
    assert conversation_row().handled_by == "human"
    assert slot_values(events) == {}  # no form was running


def test_hardship_ends_the_form_that_was_running(conversation, dispatcher, domain):
    events = run(ActionRecordHardship(), dispatcher,
                 tracker(verified(), intent="hardship", active_loop="instalment_form"), domain)

    assert {"event": "active_loop", "name": None, "timestamp": None} in events


# -- Chinese ----------------------------------------------------------------------------------

def test_the_offer_read_back_and_record_in_chinese(store_url, dispatcher, domain):
    sender = open_conversation("DEMO-1005", sender="c-zh-relief")  # 3,176.50元 of which 50.00元 fees
    slots = start(dispatcher, domain, sender=sender)
    zh = {"language": "zh", "channel": "sms"}
    run(ActionAskReliefFormReliefChoice(), dispatcher, tracker(verified(**slots, **zh), sender=sender), domain)
    reduced = {**slots, **choose(dispatcher, domain, "减少月供", slots, sender=sender)}
    run(ActionAskReliefFormReliefConfirmed(), dispatcher, tracker(verified(**reduced), sender=sender), domain)
    waiver = {**slots, **choose(dispatcher, domain, "第二个", slots, sender=sender)}
    run(ActionAskReliefFormReliefConfirmed(), dispatcher, tracker(verified(**waiver), sender=sender), domain)
    run(ActionRecordRelief(), dispatcher, tracker(verified(**waiver, relief_confirmed=True), sender=sender), domain)

    assert rendered(dispatcher, domain, language="zh") == [
        "我们可以为您提供：1）减少月供：分3期，每月529.41元，为正常月供的一半，之后再评估。2）免除您的费用50.00元。"
        "3）暂停联系：30天内不联系您。请回复您想选的编号，如都不需要请回复“不用”。",
        "即分3期，每月还款529.41元，为正常月供的一半，还款日为12月1日、1月1日和2月1日，之后再评估。对吗？",
        "将免除您的费用50.00元，您需还款3,126.50元。对吗？",
        "已办好。您的费用50.00元已免除，现需还款3,126.50元。",
        # 23:00 in Shanghai on a Tuesday: the Chinese desk opens at 9:00
        "我正在为您转接Northwind Credit的工作人员，对方将于明天9:00以后在此回复您。",
    ]
    assert account("DEMO-1005").fees == 0


def test_the_offer_said_on_a_call(conversation, dispatcher, domain):
    slots = start(dispatcher, domain)
    run(ActionAskReliefFormReliefChoice(), dispatcher,
        tracker(verified(**slots, language="en", channel="voice")), domain)

    assert rendered(dispatcher, domain, channel="voice") == [
        "Here's what we can offer. Press 1 for smaller payments: 3 monthly payments of $75.58, half the usual. "
        "Press 2 and we'll waive your $15.00 in fees. Press 3 for a break: no contact from us for 30 days. "
        "Or press 0 to talk to a person."
    ]
