"""Characters XML cannot carry, in what the bot says or in what Twilio heard, never break
the TwiML of a call (issue 11, finding 5)."""
import xml.etree.ElementTree as ET

from server.voice.prompts import WORDS
from tests.support.accounts import BORROWER

NOT_XML = "\x00\x01\x08\x0b\x0c\x1b\x1f\ufffe\uffff"
def words(text):
    """What is said, spaces aside (some control characters are white space to Python)."""
    return " ".join(text.split())


OPEN_QUESTION = [{"text": "How can I help?"}, {"custom": {"voice": {"expect": "open"}}}]


def test_a_bot_reply_with_control_characters_is_said_without_them(twilio, rasa):
    rasa.script([{"text": f"Hello Dana{NOT_XML}\ud800 Ñúñez."}, *OPEN_QUESTION[1:]])
    call = twilio.call(BORROWER)
    turn = call.answer()  # SimulatedCall parses the TwiML with ElementTree
    assert [words(text) for text in turn.said] == ["Hello Dana Ñúñez."]


def test_speech_read_back_to_the_caller_is_valid_twiml(twilio, rasa):
    rasa.script(OPEN_QUESTION)
    call = twilio.call(BORROWER)
    call.answer()
    confirm = call.say(f"I can pay{NOT_XML} on Friday", confidence=0.1)
    ET.fromstring(confirm.twiml)
    assert [words(text) for text in confirm.said] == [WORDS["en"].confirm.format(said="I can pay on Friday")]
