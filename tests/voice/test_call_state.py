"""A live call's state (its last prompt, re-prompt count, pending question) is kept on the
call's row in the store between webhooks (store/calls.keep_live_state): any gateway
process carries the call, after a restart or while Redis is down."""
from sqlalchemy import select

from store.calls import live_state
from store.db import session_scope
from store.models import VoiceCall
from tests.support.accounts import BORROWER
from tests.support.twilio import simulated_twilio
from tests.support.voice import ASK_ID, GREETING, VERIFIED

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def kept(call_sid):
    with session_scope() as session:
        call = session.execute(select(VoiceCall).where(VoiceCall.call_sid == call_sid)).scalar_one()
        return live_state(call)


def test_a_calls_state_is_kept_on_its_row_until_the_call_ends(twilio, rasa):
    rasa.script(GREETING)
    call = twilio.call(BORROWER)
    call.answer()
    state = kept(call.call_sid)
    assert state["prompt"]["expect"] == "birth_date" and state["failures"] == 0
    call.silence()
    assert kept(call.call_sid)["failures"] == 1
    call.hang_up()
    assert kept(call.call_sid) is None


def test_two_gateways_sharing_the_store_carry_one_call(make_app, rasa):
    """Twilio may send a call's webhooks to any gateway process behind the balancer: no
    Redis is needed for that."""
    first = simulated_twilio(make_app().test_client())
    second = simulated_twilio(make_app().test_client())
    rasa.script(GREETING)
    call = first.call(BORROWER)
    call.answer()
    call.twilio = second  # the next webhooks reach the other gateway
    assert call.silence().gather is not None
    call.twilio = first
    assert call.silence().gather is not None
    call.twilio = second
    assert call.silence().hangup  # the third silence in a row, counted across both


def test_a_call_goes_on_while_redis_is_down(make_app, rasa):
    """Redis down: each answer by keys reaches the bot, read against the question the bot
    asked (the 8 digits of a birth date, then the 4 of the ID)."""
    call = simulated_twilio(make_app(REDIS_URL=UNREACHABLE_REDIS).test_client()).call(BORROWER)
    rasa.script(GREETING, ASK_ID, VERIFIED)
    assert call.answer().said[-1].startswith("What is your date of birth?")
    asked = call.press("03141988")
    assert rasa.messages()[-1] == "1988-03-14"
    assert asked.gather["numDigits"] == "4"
    verified = call.press("4821")
    assert rasa.messages()[-1] == "4821"
    assert any("453 dollars and 50 cents" in line for line in verified.said)
