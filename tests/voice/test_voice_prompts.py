"""What the caller's keys and words mean on the question the bot just asked, and what the
gateway does with silence, noise and speech it is not sure of."""
import pytest

from server.voice.prompts import (
    NOT_STORED,
    PERSON,
    CallState,
    Heard,
    Prompt,
    Said,
    bot_turn,
    keyed_text,
    next_step,
    transcribed,
)
from tests.support.voice import said

BIRTH_DATE = Prompt.of(bot_turn(said("utter_ask_identity_form_birth_date"))[-1])
ID_LAST4 = Prompt.of(bot_turn(said("utter_ask_identity_form_id_last4"))[-1])
OPTIONS = Prompt.of(bot_turn(said("utter_offer_options"))[-1])
MONTHS = Prompt.of(bot_turn(said(
    "utter_ask_instalment_form_plan_months", choices="1 for 3 months, 2 for 6 months, or 3 for 12 months",
    key_1="3 months", key_2="6 months", key_3="12 months", min_months=2, max_months=12,
))[-1])
AMOUNT = Prompt.of(bot_turn(said("utter_ask_promise_form_promise_amount"))[-1])
READ_BACK = Prompt.of(bot_turn(said("utter_promise_readback", amount="$453.50", date="Fri, Nov 27"))[-1])


def test_a_custom_payload_belongs_to_the_text_before_it():
    turn = bot_turn([
        {"text": "Thank you, Dana, that's confirmed."},
        {"text": "This is an attempt to collect a debt."}, {"custom": {"voice": {"barge_in": False}}},
        {"text": "What would you like to do?"}, {"custom": {"voice": {"expect": "options"}}},
        {"custom": {"not": "for the phone"}},
    ])
    assert turn == [
        Said("Thank you, Dana, that's confirmed."),
        Said("This is an attempt to collect a debt.", {"barge_in": False}),
        Said("What would you like to do?", {"expect": "options"}),
    ]


def test_prompts_read_from_the_domains_voice_variants():
    assert (BIRTH_DATE.expect, BIRTH_DATE.digits, BIRTH_DATE.keypad) == ("birth_date", 8, "MMDDYYYY")
    assert (ID_LAST4.expect, ID_LAST4.num_digits) == ("id_last4", 4)
    assert OPTIONS.keys == {"1": "/ask_payment_methods", "2": "/promise_to_pay",
                            "3": "/request_instalment", "4": "/request_deferral"}
    assert OPTIONS.num_digits == 1  # one key is the whole answer
    assert AMOUNT.num_digits is None and AMOUNT.finish_on_key == "#"
    assert READ_BACK.keys == {"1": "/affirm", "2": "/deny"}


def test_an_unused_choice_key_means_nothing():
    fewer = Prompt.of(bot_turn(said(
        "utter_ask_instalment_form_plan_months", choices="1 for 2 months or 2 for 3 months",
        key_1="2 months", key_2="3 months", key_3="", min_months=2, max_months=3,
    ))[-1])
    assert fewer.keys == {"1": "2 months", "2": "3 months"}
    assert keyed_text("3", fewer) is None


@pytest.mark.parametrize("prompt, keys, text", [
    (BIRTH_DATE, "03141988", "1988-03-14"),  # month, day, year -> an ISO date
    (ID_LAST4, "4821", "4821"),
    (MONTHS, "1", "3 months"),
    (MONTHS, "3", "12 months"),
    (OPTIONS, "3", "/request_instalment"),
    (READ_BACK, "1", "/affirm"),
    (READ_BACK, "2", "/deny"),
    (AMOUNT, "150", "150"),
    (OPTIONS, "0", PERSON),  # 0 is a person on every question
    (ID_LAST4, "0", PERSON),
])
def test_keys_become_what_the_bot_understands(prompt, keys, text):
    assert keyed_text(keys, prompt) == text


@pytest.mark.parametrize("prompt, keys", [
    (OPTIONS, "9"), (ID_LAST4, "482"), (BIRTH_DATE, "0314"), (READ_BACK, "5"), (OPTIONS, "#"),
])
def test_keys_that_mean_nothing_here(prompt, keys):
    assert keyed_text(keys, prompt) is None


def state(prompt=OPTIONS, pending=None):
    return CallState(conversation_id="c-1", prompt=prompt, pending=pending)


@pytest.mark.parametrize("heard, kind, text, reason", [
    (Heard(), "reprompt", "", "no_input"),
    (Heard(speech="   "), "reprompt", "", "no_input"),
    (Heard(digits="9"), "reprompt", "", "unrecognised"),
    (Heard(digits="*"), "repeat", "", ""),
    (Heard(digits="3"), "bot", "/request_instalment", ""),
    (Heard(speech="a monthly plan please", confidence=0.91), "bot", "a monthly plan please", ""),
    (Heard(speech="a monthly plan please"), "bot", "a monthly plan please", ""),  # no confidence given
    (Heard(speech="a monthly plan please", confidence=0.31), "confirm", "a monthly plan please", ""),
])
def test_what_an_answer_leads_to(heard, kind, text, reason):
    step = next_step(state(), heard, min_confidence=0.5)
    assert (step.kind, step.text, step.reason) == (kind, text, reason)


def test_an_identity_answer_heard_unsurely_is_never_read_back():
    step = next_step(state(ID_LAST4), Heard(speech="4821", confidence=0.2), min_confidence=0.5)
    assert (step.kind, step.reason) == ("reprompt", "unsure")


def test_speech_never_becomes_an_intent_shortcut():
    assert Heard.of({"SpeechResult": "/request_human"}).speech == "request_human"
    assert Heard.of({"SpeechResult": "yes", "Confidence": "0.87"}).confidence == 0.87
    assert Heard.of({"SpeechResult": "yes", "Confidence": "n/a"}).confidence is None


@pytest.mark.parametrize("heard, kind", [
    (Heard(digits="1"), "yes"), (Heard(digits="2"), "no"),
    (Heard(speech="yes please", confidence=0.4), "yes"), (Heard(speech="no", confidence=0.9), "no"),
    (Heard(digits="7"), "reprompt"), (Heard(digits="*"), "repeat"),
])
def test_the_gateways_own_questions_take_a_yes_or_a_no(heard, kind):
    pending = {"kind": "sms_offer", "body": "link", "say": ["Would you like it?"]}
    assert next_step(state(pending=pending), heard, min_confidence=0.5).kind == kind


def test_more_than_a_yes_or_no_is_a_new_answer_for_the_bot():
    pending = {"kind": "anything_else", "say": ["Anything else?"]}
    step = next_step(state(pending=pending), Heard(speech="how much do I owe", confidence=0.9), 0.5)
    assert (step.kind, step.text) == ("bot", "how much do I owe")
    assert next_step(state(pending=pending), Heard(digits="0"), 0.5).text == PERSON


def test_identity_answers_stay_out_of_the_transcript():
    assert transcribed(state(ID_LAST4), Heard(digits="4821")) == NOT_STORED
    assert transcribed(state(BIRTH_DATE), Heard(speech="March 14th, 1988")) == NOT_STORED
    assert transcribed(state(OPTIONS), Heard(digits="3")) == "[keys 3]"
    assert transcribed(state(OPTIONS), Heard(speech="a plan")) == "a plan"
    assert transcribed(state(OPTIONS), Heard()) is None


def test_the_state_survives_a_round_trip_through_json():
    import json

    before = state(MONTHS, pending={"kind": "confirm", "text": "six", "say": ["I heard six?"]})
    after = CallState.from_dict(json.loads(json.dumps(before.to_dict())))
    assert after == before


# --- Chinese calls ----------------------------------------------------------------------------

def test_a_birth_date_keyed_year_first_reaches_the_bot_as_an_iso_date():
    chinese = Prompt(expect="birth_date", digits=8, keypad="YYYYMMDD")
    assert keyed_text("19880314", chinese) == "1988-03-14"
    assert keyed_text("1988031", chinese) is None


@pytest.mark.parametrize("speech, kind", [
    ("是的", "yes"), ("嗯", "yes"), ("对", "yes"), ("好", "yes"), ("okay", "yes"),
    ("不是", "no"), ("不对", "no"), ("没有", "no"),
    ("不是，我要转人工", "bot"),  # more than a no: a new answer
])
def test_a_chinese_call_takes_a_spoken_chinese_yes_or_no(speech, kind):
    zh = CallState(conversation_id="c-1", language="zh-CN", prompt=OPTIONS,
                   pending={"kind": "anything_else", "say": ["还有其他吗？"]})
    assert next_step(zh, Heard(speech=speech, confidence=0.9), 0.5).kind == kind
    assert next_step(zh, Heard(digits="1"), 0.5).kind == "yes"  # keys mean the same everywhere
    assert next_step(zh, Heard(digits="2"), 0.5).kind == "no"


def test_an_english_call_reads_no_chinese_yes():
    en = CallState(conversation_id="c-1", prompt=OPTIONS, pending={"kind": "anything_else", "say": []})
    assert next_step(en, Heard(speech="是的", confidence=0.9), 0.5).kind == "bot"


def test_every_language_has_all_the_gateways_words_and_the_same_placeholders():
    import string

    from server.voice.prompts import WORDS, words_for

    def placeholders(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = WORDS["en"]
    for language, words in WORDS.items():
        for field, text in vars(words).items():
            assert text.strip(), (language, field)
            assert placeholders(text) == placeholders(getattr(english, field)), (language, field)
    assert words_for("zh-CN") is WORDS["zh"] and words_for("es") is WORDS["en"]


def test_the_chinese_words_name_no_debt_and_keep_the_keys():
    import re

    from server.voice.prompts import WORDS

    zh = WORDS["zh"]
    for field, text in vars(zh).items():
        assert not re.search("欠款|欠债|债务|逾期|催收|还款|贷款|欠", text), field
    assert zh.confirm.format(said="我周五付") == "您说的是“我周五付”吗？是请按1，不是请按2。"
    assert "按1" in zh.anything_else and "按2" in zh.anything_else and "按0" in zh.go_ahead
