"""The voice webhooks through the app, with Twilio's side of the call played by the
simulator and a fake Rasa answering with the domain's voice variants."""
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from server.voice.prompts import NOT_STORED, PERSON, START, WORDS
from store.db import session_scope
from store.models import Conversation, VoiceCall
from tests.support.accounts import BORROWER, STRANGER, in_contact_hours
from tests.support.app import AGENT_PHONE, PRODUCTION_SECRETS
from tests.support.store import audit_trail, outbox, stored_messages
from tests.support.twilio import sign
from tests.support.voice import ASK_ID, GREETING, INTRO, VERIFIED, said

# What the gateway says itself on an English call.
EN = WORDS["en"]
ANYTHING_ELSE, GOODBYE, NO_INPUT, SENT = EN.anything_else, EN.goodbye, EN.no_input, EN.sent
SILENT_CLOSE, TEXT_PROMISE, TROUBLE, UNSURE = EN.silent_close, EN.text_promise, EN.trouble, EN.unsure

def conversation_of(call_sid):
    with session_scope() as session:
        call = session.execute(select(VoiceCall).where(VoiceCall.call_sid == call_sid)).scalar_one()
        return session.get(Conversation, call.conversation_id) if call.conversation_id else None


def children(twiml):
    return [(e.tag, [c.tag for c in e]) for e in ET.fromstring(twiml)]


@pytest.fixture
def call(twilio, rasa):
    """A call from DEMO-1001's phone, answered, at the first identity question."""
    rasa.script(GREETING)
    call = twilio.call(BORROWER)
    call.first = call.answer()
    return call


def test_a_call_is_its_own_conversation_bound_to_the_callers_account(call, rasa):
    conversation = conversation_of(call.call_sid)
    assert (conversation.channel, conversation.phone, conversation.account_id) == ("voice", BORROWER, "DEMO-1001")
    assert rasa.calls == [{"sender": conversation.id, "message": START}]
    assert call.first.said == [
        INTRO, "Before we go on, I need to make sure I'm talking to the right person.",
        "What is your date of birth? You can say it, or key in 8 digits: 2 for the month, 2 for "
        "the day, then the year.",
    ]


def test_each_question_listens_for_speech_and_keys_in_the_accounts_language(call):
    gather = call.first.gather
    assert gather["input"] == "dtmf speech"
    assert gather["language"] == "en-US"
    assert gather["speechTimeout"] == "auto"
    assert gather["bargeIn"] == "true"  # the caller may answer before the question ends
    assert gather["actionOnEmptyResult"] == "true"
    # Each question names its step, so a retry of its answer is told from a new answer.
    assert re.fullmatch(r"/twilio/voice/turn\?step=\d+", gather["action"])
    assert gather["numDigits"] == "8"
    assert gather["hints"] == "$MONTH, $DAY, $YEAR, talk to a person"
    # Everything is said inside the Gather, so the caller can interrupt it.
    assert children(call.first.twiml) == [("Gather", ["Say", "Say", "Say"]), ("Redirect", [])]
    assert 'voice="Polly.Joanna"' in call.first.twiml


def test_identity_answers_by_keypad_reach_the_bot_and_not_the_transcript(call, rasa):
    rasa.script(ASK_ID, VERIFIED)
    asked = call.press("03141988")
    assert rasa.messages()[-1] == "1988-03-14"
    assert asked.gather["numDigits"] == "4"
    call.press("4821")
    assert rasa.messages()[-1] == "4821"
    heard = [m.body for m in stored_messages(BORROWER, "voice") if m.direction == "in"]
    assert heard == [NOT_STORED, NOT_STORED]


def test_the_required_statement_is_heard_in_full_and_money_is_said_in_words(call, rasa):
    rasa.script(ASK_ID, VERIFIED)
    call.press("03141988")
    turn = call.press("4821")
    # Said before the Gather: no barge-in can cut the statement short.
    assert children(turn.twiml) == [("Say", []), ("Say", []), ("Gather", ["Say", "Say"]), ("Redirect", [])]
    assert turn.said[1].startswith("This is an attempt to collect a debt")
    assert ("Your payment of 453 dollars and 50 cents was due on November 10th, 2026. It is now "
            "14 days overdue.") in turn.said[2]
    assert "$" not in turn.text
    assert turn.gather["numDigits"] == "1"
    assert "pay now" in turn.gather["hints"]


def test_keys_choose_what_the_question_offers(call, rasa):
    months = said("utter_ask_instalment_form_plan_months", min_months=2, max_months=12,
                  choices="1 for 3 months, 2 for 6 months, or 3 for 12 months",
                  key_1="3 months", key_2="6 months", key_3="12 months")
    rasa.script(ASK_ID, VERIFIED, months, ["ok"])
    call.press("03141988")
    call.press("4821")
    asked = call.press("3")
    assert rasa.messages()[-1] == "/request_instalment"
    assert asked.said == ["Over how many months would you like to pay? Press 1 for 3 months, 2 for "
                          "6 months, or 3 for 12 months. Or say a number of months from 2 to 12."]
    assert "3 months" in asked.gather["hints"]
    call.press("1")
    assert rasa.messages()[-1] == "3 months"


def test_zero_asks_for_a_person_on_any_question(call, rasa):
    rasa.script(["One moment."])
    call.press("0")
    assert rasa.messages()[-1] == PERSON


def test_star_repeats_the_question_without_asking_the_bot(call, rasa):
    again = call.press("*")
    assert again.said == [call.first.said[-1]]
    assert len(rasa.calls) == 1


def test_silence_is_asked_again_twice_then_the_call_ends_with_a_text_to_reply_to(call, rasa):
    in_contact_hours("DEMO-1001")  # the gate holds the text in the borrower's night
    first, second = call.silence(), call.silence()
    for again in (first, second):
        assert again.said == [NO_INPUT, call.first.said[-1]]
        assert again.gather is not None and not again.hangup
    closed = call.silence()
    assert closed.said == [SILENT_CLOSE, TEXT_PROMISE, "Goodbye."]
    assert closed.hangup and closed.gather is None
    assert len(rasa.calls) == 1  # silence never reaches the bot
    [text] = outbox(BORROWER)
    assert "Northwind Credit" in text.body and "Reply STOP to opt out." in text.body
    assert "$" not in text.body  # the caller was never verified


def test_an_answer_resets_the_count_of_re_prompts(call, rasa):
    rasa.script(ASK_ID, said("utter_identity_unreadable_id_last4") + ASK_ID)
    call.silence()
    call.silence()
    call.press("03141988")
    assert call.silence().gather is not None  # counting starts again
    assert call.silence().gather is not None
    assert call.silence().hangup


def test_speech_heard_without_confidence_is_confirmed_before_the_bot_acts(make_app, rasa):
    client = make_app().test_client()
    from tests.support.twilio import simulated_twilio

    twilio = simulated_twilio(client)
    rasa.script(GREETING, ASK_ID, VERIFIED, said("utter_ask_promise_form_promise_date"))
    call = twilio.call(BORROWER)
    call.answer()
    call.press("03141988")
    call.press("4821")
    asked = call.say("I can pay on friday", confidence=0.32)
    assert asked.said == ['I heard: "I can pay on friday". Is that right? Press 1 for yes, or 2 for no.']
    assert len(rasa.calls) == 3
    call.press("1")
    assert rasa.messages()[-1] == "I can pay on friday"


def test_a_no_to_did_you_say_asks_the_question_again(call, rasa):
    rasa.script(ASK_ID, VERIFIED)
    call.press("03141988")
    call.press("4821")
    call.say("a monthly plan", confidence=0.2)
    again = call.say("no", confidence=0.9)
    assert again.said[0] == "Sorry about that."
    assert again.said[-1].startswith("What would you like to do?")
    assert len(rasa.calls) == 3


def test_identity_speech_heard_unsurely_asks_for_the_keys(call, rasa):
    again = call.say("March fourteenth", confidence=0.2)
    assert again.said == [UNSURE, call.first.said[-1]]
    assert len(rasa.calls) == 1


def test_a_payment_link_is_texted_only_after_a_yes(call, rasa):
    link = "https://pay.northwind.example/a/DEMO-1001"
    rasa.script(ASK_ID, VERIFIED, said("utter_payment_link", lender_name="Northwind Credit", link=link,
                                       methods="card or bank transfer"))
    call.press("03141988")
    call.press("4821")
    offer = call.press("1")
    assert "http" not in offer.text and "Press 1 for yes" in offer.text
    assert outbox(BORROWER) == []
    sent = call.press("1")
    assert sent.said == [SENT, ANYTHING_ELSE]
    [text] = outbox(BORROWER)
    assert link in text.body and text.body.endswith("Reply STOP to opt out.")
    goodbye = call.say("no thanks")
    assert goodbye.said == [GOODBYE] and goodbye.hangup


def test_declining_the_link_sends_nothing(call, rasa):
    rasa.script(ASK_ID, VERIFIED, said("utter_payment_link", lender_name="Northwind Credit",
                                       link="https://pay.northwind.example/a/DEMO-1001", methods="card"))
    call.press("03141988")
    call.press("4821")
    call.press("1")
    declined = call.say("no")
    assert declined.said == ["No problem.", ANYTHING_ELSE]
    assert outbox(BORROWER) == []
    more = call.press("1")
    assert more.said[0].startswith("Sure. What can I help you with?")
    rasa.script(["You owe it all."])
    call.say("how much do I owe")
    assert rasa.messages()[-1] == "how much do I owe"


def test_the_bots_goodbye_ends_the_call(call, rasa):
    rasa.script(said("utter_goodbye"))
    bye = call.say("bye now")
    assert bye.said == ["Thanks for your time. Goodbye."] and bye.hangup


def test_a_transfer_rings_the_agents_line_and_the_agent_hears_why(call, rasa):
    from store.handoffs import enqueue

    with session_scope() as session:
        conversation = session.get(Conversation, conversation_of(call.call_sid).id)
        handoff_id = enqueue(session, conversation, "request_human").id
    rasa.script(said("utter_handoff_in_hours", lender_name="Northwind Credit"))
    put_through = call.say("let me talk to someone")
    assert put_through.said == ["I'm putting you through to a person at Northwind Credit now. Please hold."]
    assert put_through.dial["number"] == AGENT_PHONE
    assert re.fullmatch(r"/twilio/voice/dial\?step=\d+", put_through.dial["action"])
    assert put_through.dial["url"] == f"/twilio/voice/whisper?handoff={handoff_id}"
    agent = call.agent_hears()
    assert agent.said == ["A call from a borrower, put through by Nora. Reason: they asked for a "
                          "person. Identity not verified."]
    assert call.dial_ended("completed").hangup
    assert [e.details["handoff_id"] for e in audit_trail("call_transfer")] == [handoff_id]
    assert len(audit_trail("transfer_connected")) == 1


def test_nobody_at_the_agents_line_gets_a_polite_message_and_a_text(call, rasa):
    rasa.script(said("utter_handoff_in_hours", lender_name="Northwind Credit"))
    call.say("a person please")
    ended = call.dial_ended("no-answer")
    assert ended.said[0].startswith("I'm sorry, no one can take your call right now.")
    assert ended.said[1:] == [TEXT_PROMISE, "Goodbye."]
    assert ended.hangup and len(outbox(BORROWER)) == 1


def test_without_an_agent_line_the_caller_hears_when_a_person_will_get_back(make_app, rasa):
    from tests.support.twilio import simulated_twilio

    twilio = simulated_twilio(make_app(AGENT_PHONE="").test_client())
    rasa.script(GREETING, said("utter_handoff_in_hours", lender_name="Northwind Credit"))
    call = twilio.call(BORROWER)
    call.answer()
    ended = call.say("agent")
    assert ended.dial is None and ended.hangup
    assert ended.said[0].startswith("I'm sorry, no one can take your call right now.")
    assert "putting you through" not in ended.text


def test_out_of_hours_the_bot_closes_and_the_borrower_gets_a_text(call, rasa):
    rasa.script(said("utter_handoff_out_of_hours", lender_name="Northwind Credit",
                     when="tomorrow after 9:00 AM"))
    ended = call.say("I want a person")
    assert ended.hangup and ended.dial is None
    assert "tomorrow after 9 AM" in ended.text
    assert len(outbox(BORROWER)) == 1


def test_when_the_bot_is_down_the_caller_is_told_and_texted(call, rasa):
    rasa.status = 500
    ended = call.press("03141988")
    assert ended.said == [TROUBLE, TEXT_PROMISE, "Goodbye."] and ended.hangup
    assert len(outbox(BORROWER)) == 1


def test_a_caller_the_lender_does_not_know_gets_no_text(twilio, rasa):
    rasa.script(GREETING)
    call = twilio.call(STRANGER)
    call.answer()
    assert conversation_of(call.call_sid).account_id is None
    call.silence()
    call.silence()
    closed = call.silence()
    assert closed.hangup and TEXT_PROMISE not in closed.said
    assert "1, 8 0 0, 5 5 5, 0 1 0 0" in closed.text  # the lender's number instead
    assert outbox(STRANGER) == []


def test_the_transcript_keeps_what_was_said(call, rasa):
    rasa.script(ASK_ID)
    call.press("03141988")
    out = [m.body for m in stored_messages(BORROWER, "voice") if m.direction == "out"]
    assert out[:3] == call.first.said
    assert out[-1] == ASK_ID[0]["text"]
    assert all(m.conversation_id == conversation_of(call.call_sid).id for m in stored_messages(BORROWER, "voice"))


def test_a_hang_up_mid_conversation_closes_it_and_is_recorded(call, rasa):
    rasa.script(ASK_ID)
    call.press("03141988")
    assert call.hang_up() == 204
    assert conversation_of(call.call_sid).closed_at is not None
    [ended] = audit_trail("call_ended")
    assert ended.details["outcome"] == "completed"
    assert ended.details["hung_up_mid_conversation"] is True
    assert ended.conversation_id == conversation_of(call.call_sid).id
    # A later webhook for the finished call only hangs up.
    assert call.press("4821").hangup


def test_a_call_the_bot_ended_is_not_a_hang_up(call, rasa):
    rasa.script(said("utter_goodbye"))
    call.say("goodbye")
    call.hang_up()
    [ended] = audit_trail("call_ended")
    assert ended.details["hung_up_mid_conversation"] is False


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/voice/turn", "/twilio/voice/status",
                                  "/twilio/voice/dial", "/twilio/voice/whisper"])
def test_every_voice_webhook_needs_twilios_signature(client, rasa, path):
    form = {"CallSid": "CA1", "From": BORROWER, "To": "+18005550199", "CallStatus": "in-progress"}
    assert client.post(path, data=form).status_code == 403
    assert client.post(path, data=form, headers={"X-Twilio-Signature": sign(
        f"http://localhost{path}", form, "not-the-token")}).status_code == 403
    assert rasa.calls == []


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(make_app, rasa):
    client = make_app(PUBLIC_URL="https://voice.lender.example", **PRODUCTION_SECRETS).test_client()
    rasa.script(GREETING)
    form = {"CallSid": "CA2", "From": BORROWER, "To": "+18005550199", "CallStatus": "in-progress"}
    signed = sign("https://voice.lender.example/twilio/voice", form)
    assert client.post("/twilio/voice", data=form, headers={"X-Twilio-Signature": signed}).status_code == 200


def test_logs_hold_no_speech_keys_or_phone_numbers(call, rasa, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    rasa.script(ASK_ID, VERIFIED)
    call.say("March 14th, 1988", confidence=0.95)
    call.press("4821")
    call.say("my neighbour Sam can pay", confidence=0.2)
    call.hang_up()
    assert caplog.records
    for secret in ("March 14", "1988", "4821", "neighbour", BORROWER, "Dana"):
        assert secret not in caplog.text

