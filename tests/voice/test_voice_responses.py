"""One dialogue model, with response variants for the ear: every response that reads badly
aloud has a voice variant; voice variants are short, carry no links or symbols, say only
the keys their payload maps, and are filled with values their senders pass."""
import datetime as dt
import re
from decimal import Decimal

import pytest

from actions.plans import months_question, schedule_wording
from bot import domain_file
from lending.plans import instalment_plan
from lending.policy import load_policy
from server.voice import text_zh as voice_text_zh
from server.voice.prompts import KEYPAD_DATES
from server.voice.text import HINTS
from tests.support.voice import RESPONSES, conditions, voice_variant

VOICE = {name: voice_variant(name) for name in RESPONSES if voice_variant(name)}
VOICE_ZH = {name: voice_variant(name, "zh") for name in RESPONSES if voice_variant(name, "zh")}
# domain.yml's scheme of conditions (its header): default = English SMS.
SCHEME = [{"channel": "voice"}, {"channel": "voice", "language": "en"},
          {"language": "zh", "channel": "sms"}, {"language": "zh", "channel": "voice"},
          {"language": "zh"}]
CALLS = {"en": {"channel": "voice", "language": "en"}, "zh": {"channel": "voice", "language": "zh"}}
PAYLOAD_KEYS = {"expect", "keys", "digits", "keypad", "finish_on_key", "sms_offer", "hangup",
                "transfer", "sms_follow_up", "barge_in", "anything_else"}
PLACEHOLDER = re.compile(r"{([^{}\n]+)}")
# Written for reading or typing: a voice variant is needed.
NOT_FOR_THE_EAR = re.compile(r"{link}|\breply\b|\bsend\b|for example \d|\n|/\d", re.I)
MAX_WORDS_PER_SENTENCE = 30


def placeholders(text):
    return set(PLACEHOLDER.findall(text))


def values_passed_by_actions():
    """Values the actions pass beyond the SMS text's placeholders, for the voice variants."""
    offer = instalment_plan(Decimal("453.50"), 3, dt.date(2026, 11, 24), load_policy()).as_dict()
    return set(months_question(2, 12)) | set(schedule_wording(offer, "USD")[1])


def test_there_are_voice_variants_and_sms_stays_the_default():
    assert len(VOICE) >= 40
    for name, variants in RESPONSES.items():
        assert "condition" not in variants[0], f"{name}: the un-conditioned (SMS) text comes first"
        for variant in variants[1:]:
            assert conditions(variant) in SCHEME, f"{name}: {variant.get('condition')}"


@pytest.mark.parametrize("name", sorted(RESPONSES))
@pytest.mark.parametrize("language", sorted(CALLS))
def test_a_call_matches_one_variant_at_most_and_in_its_own_language(name, language):
    """Rasa picks at random among the conditional variants that match: on a call in one
    language exactly one may, and on a Chinese call it must be a Chinese one once the
    response has any (never English read out in a Mandarin voice)."""
    slots = CALLS[language]
    matching = [v for v in RESPONSES[name][1:]
                if all(slots.get(k) == value for k, value in conditions(v).items())]
    assert len(matching) <= 1, f"{name}: {len(matching)} variants match a {language} call"
    has_chinese = any(conditions(v).get("language") == "zh" for v in RESPONSES[name])
    if language == "zh" and has_chinese:
        assert matching and conditions(matching[0]).get("language") == "zh", name


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_what_reads_badly_aloud_has_a_voice_variant(name):
    default = RESPONSES[name][0]["text"]
    if NOT_FOR_THE_EAR.search(default):
        assert name in VOICE, f"{name} would be read aloud as written: {default!r}"


@pytest.mark.parametrize("name", sorted(VOICE))
def test_voice_variants_are_written_for_listening(name):
    text = VOICE[name]["text"]
    assert not re.search(r"https?:|\$|/|\(|\)|\n|[\U0001F000-\U0001FAFF]", text), text
    assert not re.search(r"\b(reply (here|with|stop)|send us|type|click|tap|link below)\b", text, re.I), text
    for sentence in re.split(r"(?<=[.?!])\s+", text):
        assert len(sentence.split()) <= MAX_WORDS_PER_SENTENCE, sentence


@pytest.mark.parametrize("name", sorted(VOICE))
def test_voice_variants_need_no_value_their_senders_do_not_pass(name):
    slots = set(domain_file.slots())
    known = placeholders(RESPONSES[name][0]["text"]) | slots | values_passed_by_actions()
    variant = VOICE[name]
    used = placeholders(variant["text"])
    payload = variant.get("custom", {}).get("voice", {})
    for value in [payload.get("sms_offer", ""), *payload.get("keys", {}).values()]:
        used |= placeholders(value)
    assert used <= known, f"{name}: nothing passes {sorted(used - known)}"


@pytest.mark.parametrize("name", sorted(VOICE))
def test_voice_payloads_say_what_the_gateway_reads(name):
    payload = VOICE[name].get("custom", {}).get("voice", {})
    assert set(payload) <= PAYLOAD_KEYS
    if "expect" in payload:
        assert payload["expect"] in HINTS
    if "keypad" in payload:
        assert payload["keypad"] in KEYPAD_DATES and payload["digits"] == 8
    for key, sends in payload.get("keys", {}).items():
        assert re.fullmatch(r"[1-9]", key), "0 is always a person, * repeats"
        if sends.startswith("/"):
            assert sends[1:] in domain_file.intents(), sends


@pytest.mark.parametrize("name", sorted(VOICE_ZH))
def test_chinese_voice_variants_are_written_for_listening(name):
    text = VOICE_ZH[name]["text"]
    assert not re.search(r"https?:|/|\n|[\U0001F000-\U0001FAFF]|点击|链接如下", text), text


@pytest.mark.parametrize("name", sorted(VOICE_ZH))
def test_chinese_voice_payloads_say_what_the_english_ones_say(name):
    """The same custom.voice payload as the English variant (the gateway reads both the
    same way), but for the keypad layout of a date: Chinese order, year first."""
    payload = VOICE_ZH[name].get("custom", {}).get("voice", {})
    english = (VOICE.get(name) or {}).get("custom", {}).get("voice", {})
    assert set(payload) <= PAYLOAD_KEYS
    if "expect" in payload:
        assert payload["expect"] in HINTS and payload["expect"] in voice_text_zh.HINTS
    if "keypad" in payload:
        assert payload["keypad"] == "YYYYMMDD" and payload["digits"] == 8
    same = {k: v for k, v in english.items() if k not in ("keypad", "keys", "sms_offer")}
    assert {k: payload.get(k) for k in same} == same
    intents = {k: v for k, v in english.get("keys", {}).items() if v.startswith("/")}
    assert {k: payload.get("keys", {}).get(k) for k in intents} == intents


@pytest.mark.parametrize("name", sorted(VOICE))
def test_the_keys_a_prompt_names_are_the_keys_it_maps(name):
    variant = VOICE[name]
    payload = variant.get("custom", {}).get("voice", {})
    text = variant["text"]
    if "{choices}" in text:  # "press 1 for 3 months, ...": the keys follow the choices
        assert set(payload["keys"]) == {"1", "2", "3"}
        return
    named = set()
    for sentence in re.split(r"(?<=[.?!])\s+", text):  # "Press 1 to ..., 2 to ..., or 3 for ..."
        pressing = re.search(r"\bpress\b.*", sentence, re.I)
        if pressing:
            named |= set(re.findall(r"(?:press |, |or )(\d)(?= (?:to|for) )", pressing.group(0), re.I))
    mapped = set(payload.get("keys", {}))
    if payload.get("expect") == "yes_no":
        mapped |= {"1", "2"}
    mapped.add("0")  # a person, on every question
    assert named <= mapped, f"{name} names keys {sorted(named - mapped)} it does not map"
    assert set(payload.get("keys", {})) <= named, f"{name} maps keys it never names"
