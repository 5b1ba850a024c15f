"""Each message applied by Rasa once: every message carries its id to Rasa (metadata
`message_id`), and redelivery asks the tracker before sending one again, taking the answer
of a turn Rasa finished after the gateway stopped waiting (RasaPool.reply_once)."""
from __future__ import annotations

import time

from sqlalchemy import select

from messaging.sms_text import gateway_reply, with_opt_out
from server.conversation.redelivery import redeliver_once
from store.db import session_scope
from store.identity import pending_question
from store.models import Conversation, MessageStatus
from tests.support.app import RASA_TIMEOUT
from tests.support.store import inbound, outbox

HOLDING = [with_opt_out(gateway_reply("holding"))]


def conversation_id() -> str:
    with session_scope() as session:
        return session.execute(select(Conversation.id)).scalar_one()


def finished(rasa, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while rasa.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)


def test_every_message_carries_its_id_to_rasa(sms, fake_rasa):
    sms("hello")
    [message] = inbound()
    assert fake_rasa.calls[0]["metadata"] == {"message_id": message.id}


def test_a_turn_rasa_finished_after_the_gateway_stopped_waiting_is_not_sent_again(
        app, sms, fake_rasa):
    fake_rasa.delay = RASA_TIMEOUT + 0.5
    assert sms("can I pay on friday").texts == HOLDING
    finished(fake_rasa)  # Rasa ends the turn: its answer is in the tracker
    fake_rasa.delay = 0

    assert redeliver_once(app).answered == 1
    assert fake_rasa.messages() == ["can I pay on friday"]  # sent once
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: can I pay on friday")]
    assert inbound()[0].status == MessageStatus.ANSWERED


def test_an_identity_question_in_the_applied_turn_still_reaches_the_gateway(app, sms, fake_rasa):
    fake_rasa.answer = lambda sender, text: [
        "What is your date of birth?", {"custom": {"identity_question": "birth_date"}}]
    fake_rasa.delay = RASA_TIMEOUT + 0.5
    assert sms("hi").texts == HOLDING
    finished(fake_rasa)
    fake_rasa.delay = 0
    assert redeliver_once(app).answered == 1
    assert fake_rasa.messages() == ["hi"]
    assert [m.body for m in outbox()] == [with_opt_out("What is your date of birth?")]
    with session_scope() as session:  # the next message is taken as the answer, as live
        assert pending_question(session, conversation_id()) == "birth_date"


def test_a_turn_that_answered_nothing_is_undone_then_sent_again(app, sms, fake_rasa):
    fake_rasa.answer = lambda sender, text: []  # Rasa's action server down
    assert sms("hello").texts == HOLDING
    fake_rasa.answer = lambda sender, text: [f"Bot heard: {text}"]

    assert redeliver_once(app).answered == 1
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: hello")]
    # Rasa's `rewind` takes the failed turn back: one applied turn, not two.
    assert [e["event"] for e in fake_rasa.events[conversation_id()]] == [
        "user", "rewind", "user", "bot"]


def test_an_unanswered_turn_a_later_message_followed_is_not_undone(app, sms, fake_rasa):
    fake_rasa.answer = lambda sender, text: []
    assert sms("hello").texts == HOLDING
    fake_rasa.events[conversation_id()].append({"event": "user", "text": "later"})
    fake_rasa.answer = lambda sender, text: [f"Bot heard: {text}"]

    assert redeliver_once(app).still_deferred == 1
    assert fake_rasa.messages() == ["hello"]
    assert "rewind" not in [e["event"] for e in fake_rasa.events[conversation_id()]]
    assert outbox() == []


def test_a_message_rasa_never_got_is_sent(app, sms, fake_rasa):
    fake_rasa.down()
    assert sms("hello").texts == HOLDING
    fake_rasa.up()
    assert redeliver_once(app).answered == 1
    assert fake_rasa.messages() == ["hello"]
