"""The identity lock as the bot keeps it: wrong answers counted per account across
conversations, a locked account's questions stopped at once, the lock's end on the clock;
and the message an identity answer came in taken out of the transcript."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import store.db
from actions.identity import ActionConfirmIdentity, ValidateIdentityForm
from store.messages import record_inbound
from store.models import IDENTITY_ANSWER_PLACEHOLDER, IdentityCheck, IdentityLock, Message
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
CALL = "c-call-conversation"


def wrong_answer(domain, sender, message_id=None):
    dispatcher = CollectingDispatcher()
    t = form_tracker("identity_form", "birth_date", {"birth_date": "01/01/1970"}, PENDING,
                     intent="inform_identity", text="01/01/1970", sender=sender)
    if message_id is not None:
        t.latest_message["metadata"] = {"message_id": message_id}
    return slot_values(run(ValidateIdentityForm(), dispatcher, t, domain))


def start_form(domain, sender):
    dispatcher = CollectingDispatcher()
    t = form_tracker("identity_form", None, {}, PENDING, intent="greet", text="hi", sender=sender)
    return slot_values(run(ValidateIdentityForm(), dispatcher, t, domain)), dispatcher


def locks():
    with store.db.session_scope() as session:
        return list(session.execute(select(IdentityLock)).scalars())


def test_wrong_answers_in_two_conversations_lock_the_account(conversation, domain):
    call = open_conversation("DEMO-1001", sender=CALL)
    assert wrong_answer(domain, conversation) == {"birth_date": None, "identity_failures": 1}
    assert wrong_answer(domain, conversation) == {"birth_date": None, "identity_failures": 2}
    # A new conversation (a call) does not get three fresh tries.
    third = wrong_answer(domain, call)
    assert (third["identity_failures"], third["form_stop_reason"]) == (3, "too_many_failures")
    [lock] = locks()
    assert (lock.account_id, lock.conversation_id, lock.failures) == ("DEMO-1001", CALL, 3)


def test_a_locked_account_gets_no_identity_question_only_the_lenders_number(conversation, domain):
    for _ in range(3):
        wrong_answer(domain, conversation)
    later = open_conversation("DEMO-1001", sender="c-later")

    slots, dispatcher = start_form(domain, later)

    assert slots["form_stop_reason"] == "too_many_failures"
    assert dispatcher.messages == []  # not even "I need to make sure I'm talking to the right person"
    confirm = CollectingDispatcher()
    t = tracker({**PENDING, "form_stop_reason": "too_many_failures"}, sender=later)
    events = slot_values(run(ActionConfirmIdentity(), confirm, t, domain))
    assert events["identity_status"] == "locked"
    assert rendered(confirm, domain) == [
        "I'm sorry, I couldn't confirm who I'm speaking with, so I can't go on here. "
        "Please call Northwind Credit on +18005550100."]


def test_the_right_answers_do_not_verify_while_the_account_is_locked(conversation, domain):
    other = open_conversation("DEMO-1001", "c-other")  # wrong answers on another channel
    for _ in range(3):
        wrong_answer(domain, other)
    dispatcher = CollectingDispatcher()
    t = tracker({**PENDING, "birth_date": "1988-03-14", "id_last4": "4821"})
    events = slot_values(run(ActionConfirmIdentity(), dispatcher, t, domain))
    assert events["identity_status"] == "locked"
    assert responses(dispatcher) == ["utter_identity_failed"]
    assert outcomes("verified") == []


def test_the_lock_ends_after_the_cool_off(conversation, domain, monkeypatch):
    for _ in range(3):
        wrong_answer(domain, conversation)
    monkeypatch.setenv("REPAY_NOW", "2026-11-25T15:00:01+00:00")  # 24 h and a second later
    slots, dispatcher = start_form(domain, open_conversation("DEMO-1001", sender="c-next-day"))
    assert "form_stop_reason" not in slots or slots["form_stop_reason"] is None
    assert responses(dispatcher) == ["utter_explain_identity_check"]


def test_a_verification_counts_afresh(conversation, domain):
    wrong_answer(domain, conversation)
    wrong_answer(domain, conversation)
    dispatcher = CollectingDispatcher()
    t = tracker({**PENDING, "birth_date": "1988-03-14", "id_last4": "4821"})
    assert slot_values(run(ActionConfirmIdentity(), dispatcher, t, domain))["identity_status"] == "verified"
    assert "form_stop_reason" not in wrong_answer(domain, open_conversation("DEMO-1001", "c-2"))
    assert locks() == []


@pytest.mark.parametrize("text", ["01/01/1970", "03/14/1988"])
def test_the_message_an_answer_came_in_leaves_the_transcript(conversation, domain, text):
    with store.db.session_scope() as session:
        message = record_inbound(session, provider_sid="SM1", phone="+15550100001", channel="sms",
                                 body=text, conversation_id=conversation)
        session.flush()
        message_id = message.id
    dispatcher = CollectingDispatcher()
    t = form_tracker("identity_form", "birth_date", {"birth_date": text}, PENDING,
                     intent="inform_identity", text=text)
    t.latest_message["metadata"] = {"message_id": message_id}
    run(ValidateIdentityForm(), dispatcher, t, domain)
    with store.db.session_scope() as session:
        assert session.get(Message, message_id).body == IDENTITY_ANSWER_PLACEHOLDER
        [check] = session.execute(select(IdentityCheck)).scalars()
        assert check.message_id == message_id and check.question == "birth_date"


def test_a_birth_date_said_before_the_question_leaves_the_transcript(conversation, domain):
    text = "hi its dana, born march 14 1988"
    with store.db.session_scope() as session:
        message = record_inbound(session, provider_sid="SM2", phone="+15550100001", channel="sms",
                                 body=text, conversation_id=conversation)
        session.flush()
        message_id = message.id
    t = form_tracker("identity_form", None, {"birth_date": "march 14 1988"}, PENDING, intent="greet",
                     text=text, entities=[{"entity": "birth_date", "value": "march 14 1988"}])
    t.latest_message["metadata"] = {"message_id": message_id}
    run(ValidateIdentityForm(), CollectingDispatcher(), t, domain)
    with store.db.session_scope() as session:
        assert session.get(Message, message_id).body == IDENTITY_ANSWER_PLACEHOLDER
