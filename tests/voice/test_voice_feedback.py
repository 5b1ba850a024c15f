"""On a call that reached an agreement the caller may rate it on the keypad before the
call ends; a call without one, or with silence for an answer, just ends."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from server.sms.feedback import THANKS, VOICE_QUESTION
from server.voice.prompts import WORDS
from store.db import session_scope
from store.models import FeedbackRequest, OutcomeKind
from store.outcomes import record_outcome
from tests.support.accounts import BORROWER
from tests.support.app import copy_policy
from tests.support.fake_rasa import agreed
from tests.support.voice import said

GOODBYE = said("utter_goodbye")


@pytest.fixture
def policy_file(tmp_path):
    path = copy_policy(tmp_path, rasa_timeout_seconds=8)  # room for a busy machine
    policy = yaml.safe_load(path.read_text())
    policy["feedback"] = {"ask": True}
    path.write_text(yaml.safe_dump(policy))
    return path


@pytest.fixture
def agreeing(rasa):
    """The second turn records `kinds` (as the action server would) and says goodbye."""
    rasa.slots = {}
    kinds = [OutcomeKind.PROMISE]
    turns = iter([["Hello, this is Nora."], None])

    def answer(sender, text):
        turn = next(turns)
        if turn is not None:
            return turn
        with session_scope() as session:
            for kind in kinds:
                record_outcome(session, kind, account_id="DEMO-1001", conversation_id=sender,
                               details=agreed(kind))
        return ["Noted: Friday."] + GOODBYE

    rasa.answer = answer
    return kinds


def rows():
    with session_scope() as session:
        return list(session.execute(select(FeedbackRequest)).scalars())


def test_the_caller_rates_the_call_on_the_keypad(twilio, agreeing):
    call = twilio.call(BORROWER)
    call.answer()
    asked = call.say("I will pay on friday")
    assert not asked.hangup and asked.gather["numDigits"] == "1"
    assert asked.said[-1] == VOICE_QUESTION["en"]
    ended = call.press("4")
    assert ended.hangup and ended.said == [THANKS["en"], WORDS["en"].bye]
    [row] = rows()
    assert (row.channel, row.score, row.status, row.comment) == ("voice", 4, "answered", None)


def test_silence_or_another_key_just_ends_the_call(twilio, agreeing):
    call = twilio.call(BORROWER)
    call.answer()
    call.say("friday")
    ended = call.press("9")
    assert ended.hangup and ended.said == [WORDS["en"].bye]
    assert [(r.status, r.score) for r in rows()] == [("passed", None)]


def test_no_question_after_hardship(twilio, agreeing):
    agreeing.append(OutcomeKind.HARDSHIP)
    call = twilio.call(BORROWER)
    call.answer()
    assert call.say("I lost my job but I'll pay friday").hangup
    assert rows() == []
