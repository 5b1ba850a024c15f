"""Twilio retries a webhook it thinks failed, and anyone holding a signed request can
send it again: every voice webhook answers a repeat with the same TwiML, and nothing
happens twice (issue 11, finding 3)."""
import datetime as dt
from urllib.parse import urljoin

import pytest
from sqlalchemy import select

from devtools.twilio_sim import CallTurn
from server.voice.prompts import WORDS
from store.db import session_scope
from store.models import VoiceCall
from tests.support.accounts import BORROWER, in_contact_hours
from tests.support.store import audit_trail, outbox, stored_messages
from tests.support.voice import said

EN = WORDS["en"]
GREETING = [{"text": "Hi, this is Nora. What is your date of birth?"},
            {"custom": {"voice": {"expect": "birth_date", "digits": 8, "keypad": "MMDDYYYY"}}}]


def post(call, path, status=200, **extra):
    """One signed webhook of the call, as Twilio sends it (and would send it again)."""
    response = call.twilio.post(path, call._params(**extra))
    assert response.status_code == status, response.text
    return response.text


def the_call(call_sid):
    with session_scope() as session:
        return session.execute(select(VoiceCall).where(VoiceCall.call_sid == call_sid)).scalar_one()


def transcript():
    return [(m.direction, m.body) for m in stored_messages(BORROWER, "voice")]


def test_a_repeated_answer_webhook_texts_once_and_keeps_one_transcript(twilio, rasa):
    rasa.status = 500  # the bot is down: the call closes with a text to reply to
    in_contact_hours("DEMO-1001")  # the gate holds the text in the borrower's night
    call = twilio.call(BORROWER)
    first = post(call, "/twilio/voice")
    assert CallTurn.parse(first).said == [EN.trouble, EN.text_promise, "Goodbye."]
    said_so_far, rasa_calls = transcript(), len(rasa.calls)
    for _ in range(3):
        assert post(call, "/twilio/voice") == first
    assert len(outbox(BORROWER)) == 1
    assert transcript() == said_so_far
    assert len(rasa.calls) == rasa_calls
    assert len(audit_trail("call_answered")) == 1


def test_a_repeated_answer_webhook_after_the_call_ended_leaves_it_ended(twilio, rasa):
    rasa.script(GREETING)
    call = twilio.call(BORROWER)
    post(call, "/twilio/voice")
    call.hang_up()
    assert the_call(call.call_sid).status == "completed"
    said_so_far = transcript()
    assert CallTurn.parse(post(call, "/twilio/voice")).hangup  # an ended call only hangs up
    assert transcript() == said_so_far and len(rasa.calls) == 1
    ended = the_call(call.call_sid)
    assert (ended.status, ended.outcome) == ("completed", "completed")
    assert len(audit_trail("call_ended")) == 1


def test_a_repeated_turn_asks_the_bot_once(twilio, rasa):
    rasa.script(GREETING, said("utter_ask_identity_form_id_last4"))
    call = twilio.call(BORROWER)
    call.answer()
    action = urljoin("/twilio/voice", call.last.gather["action"])
    first = post(call, action, Digits="03141988")
    said_so_far, rasa_calls = transcript(), len(rasa.calls)
    assert post(call, action, Digits="03141988") == first
    assert len(rasa.calls) == rasa_calls == 2
    assert transcript() == said_so_far


def test_the_same_words_twice_are_two_turns_when_asked_twice(twilio, rasa):
    """Only a repeat of one step is dropped: the caller may well say "yes" twice."""
    rasa.script(GREETING, ["Anything else?"], ["Anything else?"])
    call = twilio.call(BORROWER)
    call.answer()
    call.say("yes")
    call.say("yes")
    assert [c["message"] for c in rasa.calls[1:]] == ["yes", "yes"]


def test_a_repeated_end_of_transfer_texts_once(twilio, rasa):
    rasa.script(GREETING, said("utter_handoff_in_hours", lender_name="Northwind Credit"))
    call = twilio.call(BORROWER)
    call.answer()
    call.say("a person please")
    action = urljoin("/twilio/voice", call.last.dial["action"])
    first = post(call, action, DialCallStatus="no-answer")
    assert CallTurn.parse(first).hangup
    assert post(call, action, DialCallStatus="no-answer") == first
    assert len(outbox(BORROWER)) == 1
    assert len(audit_trail("transfer_failed")) == 1


def test_status_callbacks_never_move_a_call_backwards(twilio, rasa):
    rasa.script(GREETING)
    call = twilio.call(BORROWER)
    call.answer()
    call.hang_up()
    call.hang_up()
    call.status("ringing")
    post(call, "/twilio/voice/status", status=204, CallStatus="in-progress")
    ended = the_call(call.call_sid)
    assert (ended.status, ended.outcome) == ("completed", "completed")
    assert len(audit_trail("call_ended")) == 1


def test_a_failed_turn_is_worked_on_again_when_twilio_retries(twilio, rasa, monkeypatch):
    """A webhook that crashed keeps no answer: Twilio's retry is a first try."""
    import server.voice.webhook

    rasa.script(GREETING, ["Thanks."])
    call = twilio.call(BORROWER)
    call.answer()
    action = urljoin("/twilio/voice", call.last.gather["action"])
    works = server.voice.webhook._answer

    def crash(*args):
        raise RuntimeError("the gateway died mid-turn")

    monkeypatch.setattr(server.voice.webhook, "_answer", crash)
    with pytest.raises(RuntimeError):
        call.twilio.post(action, call._params(SpeechResult="hello", Confidence="0.9"))
    monkeypatch.setattr(server.voice.webhook, "_answer", works)
    retried = post(call, action, SpeechResult="hello", Confidence="0.9")
    assert CallTurn.parse(retried).said == ["Thanks."]
    assert rasa.messages()[-1] == "hello"


def test_answers_kept_for_retries_go_when_the_call_ends(twilio, rasa):
    from store.models import CallWebhookReply

    rasa.script(GREETING, ["Thanks."])
    call = twilio.call(BORROWER)
    call.answer()
    call.say("hello")
    call.hang_up()
    with session_scope() as session:
        assert session.execute(select(CallWebhookReply)).scalars().all() == []


def test_a_repeat_while_the_first_is_in_flight_is_told_to_come_back(twilio, rasa, monkeypatch):
    """Another gateway process took the step and is still at it: this copy waits for its
    answer (a pause, then the same URL), and takes the step over once it is abandoned."""
    import server.voice.replay
    from store.calls import claim_reply

    rasa.script(GREETING, ["Thanks."])
    call = twilio.call(BORROWER)
    call.answer()
    action = urljoin("/twilio/voice", call.last.gather["action"])
    step = "turn:" + action.split("step=")[1]
    with session_scope() as session:
        assert claim_reply(session, call.call_sid, step) is not None  # the other process
    waiting = CallTurn.parse(post(call, action, SpeechResult="hello", Confidence="0.9"))
    assert waiting.paused and waiting.redirect == action and len(rasa.calls) == 1
    monkeypatch.setattr(server.voice.replay, "ABANDONED_AFTER", dt.timedelta(seconds=-1))
    taken_over = CallTurn.parse(post(call, action, SpeechResult="hello", Confidence="0.9"))
    assert taken_over.said == ["Thanks."]
