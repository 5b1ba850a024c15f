"""What the actions give the voice variants: the channel at session start, the keypad
choices for a plan's length, the schedule's first and last dates."""
import pytest

import store.db
from actions.plans import ActionAskInstalmentFormPlanMonths, keypad_months, months_question
from actions.session import ActionSessionStart
from language.wording import numbered_choices
from store.models import Conversation
from tests.actions.action_support import run, slot_values, tracker, verified
from tests.support.voice import voice_variant

VOICE_SENDER = "c-test-voice-call"


@pytest.fixture
def voice_call(store_url):
    with store.db.session_scope() as session:
        session.add(Conversation(id=VOICE_SENDER, channel="voice", phone="+15550100001",
                                 account_id="DEMO-1001"))
    return VOICE_SENDER


def test_a_call_sets_the_channel_that_picks_the_voice_variants(voice_call, dispatcher, domain):
    events = run(ActionSessionStart(), dispatcher, tracker(sender=voice_call), domain)
    assert slot_values(events)["channel"] == "voice"


@pytest.mark.parametrize("fewest, most, months", [
    (2, 12, [3, 6, 12]), (2, 8, [3, 6, 8]), (5, 12, [5, 6, 12]), (2, 4, [2, 3, 4]),
    (2, 3, [2, 3]), (2, 2, [2]),
])
def test_keypad_choices_stay_inside_the_policys_range(fewest, most, months):
    assert keypad_months(fewest, most) == months


def test_choices_are_said_as_a_list():
    assert numbered_choices(["3 months"]) == "1 for 3 months"
    assert numbered_choices(["2 months", "3 months"]) == "1 for 2 months or 2 for 3 months"
    assert numbered_choices(["3 months", "6 months", "12 months"]) == (
        "1 for 3 months, 2 for 6 months, or 3 for 12 months")


def test_the_months_question_gives_every_key_a_value(voice_call, dispatcher, domain):
    run(ActionAskInstalmentFormPlanMonths(), dispatcher, tracker(verified(), sender=voice_call), domain)
    [message] = dispatcher.messages
    variant = voice_variant("utter_ask_instalment_form_plan_months")
    text = variant["text"].format(**message)
    assert text == ("Over how many months would you like to pay? Press 1 for 3 months, 2 for 6 "
                    "months, or 3 for 12 months. Or say a number of months from 2 to 12.")
    keys = {k: v.format(**message) for k, v in variant["custom"]["voice"]["keys"].items()}
    assert keys == {"1": "3 months", "2": "6 months", "3": "12 months"}
    assert months_question(2, 3)["key_3"] == ""  # no third choice: the key means nothing
