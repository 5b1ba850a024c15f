"""Right-party verification: the answers read, checked and counted; what is said after."""
from __future__ import annotations

import re

import pytest

from actions.identity import ActionConfirmIdentity, ValidateIdentityForm
from tests.actions.action_support import (
    form_tracker,
    open_conversation,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
)

PENDING = {"identity_status": "pending", "identity_failures": 0}
MONEY = re.compile(r"\$\s?\d|453|420\.00|18\.50|15\.00")


def answer(dispatcher, domain, slot, value, slots=None, intent="inform_identity"):
    """One identity answer through validate_identity_form, as Rasa sends it."""
    requested = slot
    t = form_tracker("identity_form", requested, {slot: value}, {**PENDING, **(slots or {})},
                     intent=intent, text=value)
    return slot_values(run(ValidateIdentityForm(), dispatcher, t, domain))


@pytest.mark.parametrize("said", ["03/14/1988", "March 14 1988", "born 3/14/88", "14 march 1988"])
def test_the_right_birth_date_is_accepted_however_it_is_written(conversation, dispatcher, domain, said):
    assert answer(dispatcher, domain, "birth_date", said) == {"birth_date": "1988-03-14"}
    assert dispatcher.messages == []


@pytest.mark.parametrize("said", ["4821", "last 4 are 4821", "48 21"])
def test_the_right_id_digits_are_accepted(conversation, dispatcher, domain, said):
    slots = answer(dispatcher, domain, "id_last4", said, slots={"birth_date": "1988-03-14"})
    assert slots == {"id_last4": "4821"}


@pytest.mark.parametrize(
    "slot, said, response",
    [
        ("birth_date", "01/01/1970", "utter_identity_mismatch"),
        ("birth_date", "sometime in the 80s", "utter_identity_unreadable_birth_date"),
        ("id_last4", "1234", "utter_identity_mismatch"),
        ("id_last4", "48", "utter_identity_unreadable_id_last4"),
    ],
)
def test_an_answer_that_cannot_be_accepted_is_explained_and_counted(
    conversation, dispatcher, domain, slot, said, response
):
    slots = answer(dispatcher, domain, slot, said)

    assert slots == {slot: None, "identity_failures": 1}
    assert responses(dispatcher) == [response]


def test_verified_borrower_hears_the_statement_and_what_is_overdue(conversation, dispatcher, domain):
    t = tracker({**PENDING, "birth_date": "1988-03-14", "id_last4": "4821"})
    events = run(ActionConfirmIdentity(), dispatcher, t, domain)

    slots = slot_values(events)
    assert slots["identity_status"] == "verified" and slots["borrower_first_name"] == "Dana"
    assert slots["birth_date"] is None and slots["id_last4"] is None  # answers not kept
    assert rendered(dispatcher, domain) == [
        "Thank you, Dana, that's confirmed.",
        "This is an attempt to collect a debt, and any information obtained will be used for that purpose.",
        "Your payment of $453.50 was due on Nov 10, 2026 and is 14 days overdue. "
        "That's $420.00 principal, $18.50 interest and $15.00 fees.",
        "You can pay now, tell me a date you can pay, set up a monthly plan, ask for more time, "
        "or talk to a person. What would you like to do?",
    ]
    [verified] = outcomes("verified")
    assert (verified.account_id, verified.conversation_id) == ("DEMO-1001", conversation)


def test_three_wrong_answers_end_the_questions_and_disclose_nothing(conversation, dispatcher, domain):
    failures = 0
    for wrong in ("01/01/1970", "02/02/1971", "03/03/1972"):
        slots = answer(dispatcher, domain, "birth_date", wrong, slots={"identity_failures": failures})
        failures = slots["identity_failures"]
    assert failures == 3
    assert slots["form_stop_reason"] == "too_many_failures"
    assert slots["requested_slot"] is None  # nothing left to ask: Rasa ends the form

    t = tracker({**PENDING, "identity_failures": 3, "form_stop_reason": "too_many_failures"})
    events = run(ActionConfirmIdentity(), dispatcher, t, domain)

    assert slot_values(events)["identity_status"] == "locked"
    texts = rendered(dispatcher, domain)
    assert texts[-1] == ("I'm sorry, I couldn't confirm who I'm speaking with, so I can't go on here. "
                         "Please call Northwind Credit on +18005550100.")
    assert not any(MONEY.search(text) for text in texts), texts
    [failed] = outcomes("identity_failed")
    assert failed.details == {"attempts": 3}
    assert outcomes("verified") == []


def test_starting_the_questions_says_why_and_drops_old_answers(conversation, dispatcher, domain):
    """Starting the questions again (requested_slot not yet set) drops old answers, but not
    the failures counted so far."""
    t = form_tracker("identity_form", None, {"birth_date": "1988-03-14"},
                     {**PENDING, "identity_failures": 2}, intent="greet", text="hi")
    slots = slot_values(run(ValidateIdentityForm(), dispatcher, t, domain))

    assert slots["birth_date"] is None
    assert "identity_failures" not in slots
    assert rendered(dispatcher, domain) == ["Before we go on, I need to make sure I'm talking to the right person."]


def test_without_an_account_the_bot_can_never_verify(store_url, dispatcher, domain):
    sender = open_conversation(None, sender="c-no-account")
    t = form_tracker("identity_form", None, {}, PENDING, sender=sender)
    slots = slot_values(run(ValidateIdentityForm(), dispatcher, t, domain))
    assert slots["form_stop_reason"] == "no_account" and slots["requested_slot"] is None

    events = run(ActionConfirmIdentity(), dispatcher,
                 tracker({**PENDING, "form_stop_reason": "no_account"}, sender=sender), domain)

    assert slot_values(events)["identity_status"] == "locked"
    assert rendered(dispatcher, domain) == [
        "I'm sorry, I can't help with this on this number. Please call Northwind Credit on +18005550100."
    ]
    assert outcomes() == []
