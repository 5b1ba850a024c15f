"""Calls to an account locked after too many wrong identity answers (on any channel): the
caller hears the lender's number and the call ends, before the bot asks anything."""
from __future__ import annotations

from lending.policy import load_policy
from server.voice.prompts import WORDS
from server.voice.text import speakable
from store.db import session_scope
from store.identity import record_check
from tests.support.accounts import BORROWER
from tests.support.store import stored_messages
from tests.support.voice import said

LOCKED = speakable(WORDS["en"].identity_locked.format(
    lender_name="Northwind Credit", support_phone="+18005550100"), "en")  # the number read out
ASK_BIRTH_DATE = said("utter_ask_identity_form_birth_date")


def lock_account(channel="sms"):
    policy = load_policy()
    with session_scope() as session:
        for _ in range(policy.identity.max_attempts):
            record_check(session, "DEMO-1001", question="birth_date", matched=False,
                         channel=channel, actor="bot", rules=policy.identity)


def test_a_call_to_a_locked_account_hears_only_the_lenders_number(twilio, rasa):
    lock_account()

    answered = twilio.call(BORROWER).answer()

    assert answered.said == [LOCKED] and answered.hangup and answered.gather is None
    assert rasa.calls == []  # no introduction, no identity question
    assert [m.body for m in stored_messages(BORROWER, "voice")] == [LOCKED]


def test_a_lock_from_another_channel_ends_a_call_in_progress(twilio, rasa):
    rasa.script(ASK_BIRTH_DATE)
    call = twilio.call(BORROWER)
    assert call.answer().gather is not None
    lock_account()  # meanwhile, wrong answers by text message

    turn = call.press("01011970")

    assert turn.said == [LOCKED] and turn.hangup
    assert len(rasa.calls) == 1
    assert "01011970" not in " ".join(m.body for m in stored_messages(BORROWER, "voice"))
