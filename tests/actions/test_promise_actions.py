"""Promises to pay: a date within 14 days, the full balance unless an amount is named,
read back before anything is recorded; a date too far out twice goes to a person."""
from __future__ import annotations

import pytest

from actions.promises import (
    ActionAskPromiseFormPromiseConfirmed,
    ActionRecordPromise,
    ValidatePromiseForm,
)
from tests.actions.action_support import (
    conversation_row,
    form_tracker,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
    verified,
)


def promise_answer(dispatcher, domain, candidates, requested="promise_date", slots=None, **message):
    t = form_tracker("promise_form", requested, candidates, verified(**(slots or {})), **message)
    return slot_values(run(ValidatePromiseForm(), dispatcher, t, domain))


def test_a_date_alone_promises_the_full_balance_and_is_read_back(conversation, dispatcher, domain):
    slots = promise_answer(dispatcher, domain, {"promise_date": "friday"}, intent="inform", text="friday")
    assert slots == {"promise_date": "2026-11-27", "promise_amount": "453.50"}

    run(ActionAskPromiseFormPromiseConfirmed(), dispatcher, tracker(verified(**slots)), domain)
    assert rendered(dispatcher, domain) == ["You'll pay $453.50 on Fri, Nov 27. Is that right?"]


def test_a_date_and_an_amount_in_the_first_message(conversation, dispatcher, domain):
    """'I can pay $200 on the 1st' starts the form with both values."""
    slots = promise_answer(
        dispatcher, domain, {"promise_date": "the 1st", "promise_amount": "$200"}, requested=None,
        intent="promise_to_pay", text="I can pay $200 on the 1st",
        entities=[{"entity": "date", "value": "the 1st"}, {"entity": "amount", "value": "$200"}],
    )
    assert (slots["promise_date"], slots["promise_amount"]) == ("2026-12-01", "200.00")


@pytest.mark.parametrize(
    "said, text",
    [
        ("yesterday", "That date has already passed."),
        ("whenever i can", "I couldn't tell which day you mean. Please send a date, "
                           "for example \"Friday\" or \"Dec 3\"."),
    ],
)
def test_a_date_that_cannot_be_promised_is_explained(conversation, dispatcher, domain, said, text):
    slots = promise_answer(dispatcher, domain, {"promise_date": said}, intent="inform", text=said)

    assert slots["promise_date"] is None and slots["form_failures"] == 1
    assert rendered(dispatcher, domain) == [text]


def test_a_date_too_far_out_offers_the_alternatives_then_goes_to_a_person(conversation, dispatcher, domain):
    slots = promise_answer(dispatcher, domain, {"promise_date": "december 31"}, intent="inform")
    assert slots == {"promise_date": None, "refused_rules": ["promise_too_far"]}
    assert rendered(dispatcher, domain) == [
        "I can only note a payment date up to 14 days ahead, so by Tue, Dec 8. If that's too soon, "
        "I can set up a monthly plan or give you more time, or you can talk to a person."
    ]

    again = promise_answer(dispatcher, domain, {"promise_date": "january 15"},
                           slots={"refused_rules": ["promise_too_far"]}, intent="inform")
    assert again["form_stop_reason"] == "outside_policy" and again["requested_slot"] is None

    dispatcher.messages.clear()
    run(ActionRecordPromise(), dispatcher, tracker(verified(form_stop_reason="outside_policy")), domain)
    assert responses(dispatcher)[:2] == ["utter_outside_policy", "utter_handoff_in_hours"]
    assert outcomes("escalation")[0].details == {"reason": "outside_policy"}
    assert conversation_row().handled_by == "human"
    assert outcomes("promise") == []


@pytest.mark.parametrize(
    "said, text",
    [
        ("$500", "That's more than the $453.50 you owe."),
        ("some of it", "I couldn't read an amount. Please send it as a number, for example 100 or $100.50."),
    ],
)
def test_an_amount_that_cannot_be_promised_is_explained_and_asked_for(conversation, dispatcher, domain, said, text):
    slots = promise_answer(dispatcher, domain, {"promise_amount": said}, requested="promise_amount",
                           slots={"promise_date": "2026-11-27"}, intent="inform", text=said)

    assert slots["promise_amount"] is None  # not replaced by the full balance: asked again
    assert rendered(dispatcher, domain) == [text]


def test_a_yes_records_the_promise(conversation, dispatcher, domain):
    t = tracker(verified(promise_date="2026-11-27", promise_amount="453.50", promise_confirmed=True))
    run(ActionRecordPromise(), dispatcher, t, domain)

    [promise] = outcomes("promise")
    assert promise.details == {"date": "2026-11-27", "amount": "453.50", "currency": "USD"}
    assert rendered(dispatcher, domain) == [
        "Thank you, I've noted that you'll pay $453.50 on Fri, Nov 27. "
        "When you're ready, you can pay here: https://pay.northwind.example/a/DEMO-1001"
    ]


def test_a_no_records_nothing(conversation, dispatcher, domain):
    t = tracker(verified(promise_date="2026-11-27", promise_amount="453.50", promise_confirmed=False))
    run(ActionRecordPromise(), dispatcher, t, domain)

    assert outcomes() == []
    assert responses(dispatcher) == ["utter_nothing_agreed", "utter_offer_options"]


def test_a_yes_given_to_another_question_does_not_confirm(conversation, dispatcher, domain):
    """A confirmation left from an earlier read-back is dropped when the form starts."""
    t = form_tracker("promise_form", None, {"promise_confirmed": True},
                     verified(promise_date="2026-11-27", promise_amount="453.50"), intent="promise_to_pay")
    slots = slot_values(run(ValidatePromiseForm(), dispatcher, t, domain))

    assert slots["promise_confirmed"] is None and slots["promise_date"] is None
