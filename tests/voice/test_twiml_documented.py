"""Every TwiML document the voice gateway emits parses and uses only the verbs, nouns and
attributes Twilio documents (tests/voice/twiml_documented.py holds Twilio's lists)."""
import pytest

from tests.support.accounts import BORROWER, STRANGER
from tests.support.twilio import simulated_twilio
from tests.support.voice import ASK_ID, GREETING, VERIFIED, said
from tests.voice.twiml_documented import problems

LINK = "https://pay.northwind.example/a/DEMO-1001"


def test_the_checker_catches_what_twilio_does_not_document():
    assert problems('<Response><Gather inptu="speech"/></Response>') == [
        "<Gather inptu>: not a documented attribute"]
    assert problems('<Response><Gather input="voice"/></Response>') == [
        "<Gather input='voice'>: not a documented value"]
    assert problems('<Response><Gather speechTimeout="soon"/></Response>') == [
        "<Gather speechTimeout='soon'>: not a documented value"]
    assert problems("<Response><Speak>hi</Speak></Response>") == [
        "<Speak> may not be nested in <Response>", "<Speak> is not a verb or noun the gateway may use"]
    assert problems("<Response><Gather><Hangup/></Gather></Response>") == [
        "<Hangup> may not be nested in <Gather>"]
    assert problems("<Response><Say/></Response>") == ["<Say> has no text"]
    assert problems("<Reply/>") == ["root is <Reply>, not <Response>"]
    assert problems("<Response><Say>") [0].startswith("not XML")
    assert problems('<Response><Pause length="1"/><Hangup/></Response>') == []


@pytest.fixture
def emitted(make_app, rasa):
    """Plays every kind of turn the gateway answers and returns each document it sent."""
    documents = []
    twilio = simulated_twilio(make_app().test_client())

    def play(phone=BORROWER):
        call = twilio.call(phone)
        documents.append(call)
        return call

    # A verified borrower: statement, amounts, menus, the plan question, a read-back, the
    # SMS offer, "anything else", confirmations, repeats, goodbye.
    months = said("utter_ask_instalment_form_plan_months", min_months=2, max_months=12,
                  choices="1 for 3 months, 2 for 6 months, or 3 for 12 months",
                  key_1="3 months", key_2="6 months", key_3="12 months")
    read_back = said("utter_plan_readback_uneven", count=3, amount="$151.16", first_date="Dec 1, 2026",
                     last_date="Feb 1, 2027", last_amount="$151.18")
    recorded = said("utter_plan_recorded", amount="$151.16", date="Tue, Dec 1",
                    lender_name="Northwind Credit", link=LINK)
    rasa.script(GREETING, ASK_ID, VERIFIED, months, read_back, recorded,
                said("utter_ask_promise_form_promise_amount"), said("utter_goodbye"))
    call = play()
    call.answer()
    call.press("03141988")
    call.press("4821")
    call.press("3")
    call.press("1")
    call.press("1")
    call.press("1")  # yes, text the link
    call.press("1")  # yes, something else
    call.say("I can pay some on friday")
    call.say("maybe 100", confidence=0.2)
    call.press("*")
    assert call.press("1").hangup  # yes, I said 100; the bot's goodbye ends the call
    call.hang_up()

    # Silence until the polite close; an unknown caller's close.
    for phone in (BORROWER, STRANGER):
        rasa.script(GREETING)
        call = play(phone)
        call.answer()
        call.silence()
        call.press("9")
        call.silence()

    # Transfers: answered, not answered, the whisper.
    for outcome in ("completed", "busy"):
        rasa.script(GREETING, said("utter_handoff_in_hours", lender_name="Northwind Credit"))
        call = play()
        call.answer()
        call.say("a person please")
        documents.append(call.agent_hears())
        call.dial_ended(outcome)

    # Out of hours, and the bot being down.
    rasa.script(GREETING, said("utter_handoff_out_of_hours", lender_name="Northwind Credit",
                               when="tomorrow after 9:00 AM"))
    call = play()
    call.answer()
    call.say("agent")
    rasa.script(GREETING)
    call = play()
    call.answer()
    rasa.status = 500
    call.press("03141988")
    rasa.status = 200

    # Answering machines and faxes on outbound calls (a call Twilio placed for us).
    for machine in ("machine_end_beep", "fax"):
        call = twilio.placed_call(f"CA-{machine}", BORROWER)
        documents.append(call)
        call.answer(answered_by=machine)

    return [turn.twiml for item in documents
            for turn in (item.turns if hasattr(item, "turns") else [item])]


def test_every_document_the_gateway_emits_is_documented_twiml(emitted):
    found = {doc: problems(doc) for doc in emitted}
    assert {doc: p for doc, p in found.items() if p} == {}
    verbs = {tag for doc in emitted for tag in
             ("<Say", "<Gather", "<Redirect", "<Hangup", "<Dial", "<Number", "<Pause") if tag in doc}
    # Every verb the gateway can emit was seen, so none escaped the check.
    assert verbs == {"<Say", "<Gather", "<Redirect", "<Hangup", "<Dial", "<Number", "<Pause"}
    assert len(emitted) >= 30


def test_the_checker_knows_each_voice_and_its_language():
    assert problems('<Response><Say voice="Polly.Zhiyu" language="cmn-CN">您好</Say></Response>') == []
    assert problems('<Response><Say voice="Polly.Zhiyu" language="en-US">hi</Say></Response>') == [
        "<Say voice='Polly.Zhiyu'> does not speak language='en-US'"]
    assert problems('<Response><Say language="zh-Hans">hi</Say></Response>') == [
        "<Say language='zh-Hans'>: not a documented value"]
    assert problems('<Response><Gather language="zh-CN"/></Response>') == [
        "<Gather language='zh-CN'>: not a documented value"]


def test_the_gateways_languages_and_the_policys_voices_are_documented_pairs():
    from lending.policy import load_policy
    from server.voice.twiml import GATHER_LANGUAGES, SAY_LANGUAGES
    from tests.voice.twiml_documented import GATHER_LANGUAGES as HEARD
    from tests.voice.twiml_documented import SAY_VOICES

    voices = load_policy().voice.voices
    for language, say_language in SAY_LANGUAGES.items():
        assert say_language in SAY_VOICES[voices[language]], (language, voices[language])
        assert GATHER_LANGUAGES[language] in HEARD
    assert (SAY_LANGUAGES["zh"], GATHER_LANGUAGES["zh"]) == ("cmn-CN", "cmn-Hans-CN")
