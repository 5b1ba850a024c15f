"""Every response in every language and channel, picked as Rasa 3.6 picks it.

Rasa (rasa.core.nlg.generator.ResponseVariationFilter) keeps the variants whose `condition`
entries all match a filled slot (strings compared case-insensitively), chooses among them
AT RANDOM, and only when none matches falls back to the un-conditioned ones. So a
response's conditional variants must never overlap, and every (language, channel) the
bot serves must land on a text in its language. The Chinese variants must need the same
values the actions already pass (the English ones') and, on a call, tell the gateway the
same things (the `voice` payload), except the layout of a birth date keyed in: year first.
"""
from __future__ import annotations

import re

import pytest

from bot import domain_file
from server.voice.prompts import KEYPAD_DATES

RESPONSES = domain_file.responses()
LANGUAGES = ("en", "zh")
CHANNELS = ("sms", "voice")
EN_VOICE = [{"type": "slot", "name": "channel", "value": "voice"},
            {"type": "slot", "name": "language", "value": "en"}]
# The one documented difference between the payloads: Chinese says a date year first.
ZH_KEYPAD = {"MMDDYYYY": "YYYYMMDD", "DDMMYYYY": "YYYYMMDD", "YYYYMMDD": "YYYYMMDD"}
# Payload entries that are words for the borrower (a text the gateway sends): translated.
TRANSLATED_PAYLOAD = {"sms_offer"}
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # what Rasa's interpolator fills
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# One UCS-2 SMS segment is 70 characters (the gateway adds "\n回复TD退订" to a reply and
# the values add theirs): the words a response writes itself stay within one.
SMS_SEGMENT = 70


def matches(variant: dict, slots: dict) -> bool:
    for condition in variant.get("condition") or []:
        value, filled = condition["value"], slots.get(condition["name"])
        if isinstance(value, str) and isinstance(filled, str):
            if value.casefold() != filled.casefold():
                return False
        elif value != filled:
            return False
    return True


def candidates(name: str, language: str, channel: str) -> list:
    """The variants Rasa chooses among for these slots."""
    slots = {"language": language, "channel": channel}
    conditional = [v for v in RESPONSES[name] if v.get("condition") and matches(v, slots)]
    return conditional or [v for v in RESPONSES[name] if not v.get("condition")]


def conditional_matches(name: str, language: str, channel: str) -> list:
    slots = {"language": language, "channel": channel}
    return [v for v in RESPONSES[name] if v.get("condition") and matches(v, slots)]


def default(name: str) -> dict:
    return next(v for v in RESPONSES[name] if not v.get("condition"))


def english_voice(name: str):
    return next((v for v in RESPONSES[name] if v.get("condition") == EN_VOICE), None)


def payload(variant: dict) -> dict:
    return (variant.get("custom") or {}).get("voice") or {}


def placeholders(variant: dict) -> set:
    """The values a variant needs: in its text and in its payload's words and keys."""
    found = set(PLACEHOLDER.findall(variant.get("text", "")))
    voice = payload(variant)
    for value in [voice.get("sms_offer", ""), *(voice.get("keys") or {}).values()]:
        found |= set(PLACEHOLDER.findall(str(value)))
    return found


def words(text: str) -> str:
    """The text without its placeholders: what was written in the response itself."""
    return PLACEHOLDER.sub("", text)


def zh_variants(name: str) -> list:
    return [v for v in RESPONSES[name]
            if any(c["name"] == "language" and c["value"] == "zh" for c in v.get("condition") or [])]


ALL = sorted(RESPONSES)
EVERY_CASE = [(n, lang, ch) for n in ALL for lang in LANGUAGES for ch in CHANNELS]


def test_every_response_has_one_english_default_and_chinese_variants():
    assert len(RESPONSES) >= 70
    for name in ALL:
        defaults = [v for v in RESPONSES[name] if not v.get("condition")]
        assert len(defaults) == 1, name
        assert not CJK.search(defaults[0]["text"]), name
        assert zh_variants(name), f"{name} has no Chinese variant"
        for variant in RESPONSES[name]:
            for condition in variant.get("condition") or []:
                assert condition["type"] == "slot", name  # the only kind Rasa 3.6 reads
                assert condition["name"] in ("language", "channel"), name


@pytest.mark.parametrize("name,language,channel", EVERY_CASE)
def test_variants_never_overlap(name, language, channel):
    assert len(conditional_matches(name, language, channel)) <= 1


@pytest.mark.parametrize("name,language,channel", EVERY_CASE)
def test_each_language_and_channel_gets_its_own_text(name, language, channel):
    chosen = candidates(name, language, channel)
    assert len(chosen) == 1
    [variant] = chosen
    if language == "en":
        expected = english_voice(name) if channel == "voice" else None
        assert variant is (expected or default(name))
        assert not CJK.search(variant["text"])
    else:
        assert variant in zh_variants(name), f"{name} falls back to English for zh/{channel}"
        said = words(variant["text"])
        if said.strip():  # "{statement}" alone arrives already in Chinese
            assert CJK.search(said), variant["text"]


@pytest.mark.parametrize("name", ALL)
def test_chinese_variants_need_exactly_the_values_of_their_english_ones(name):
    en_voice = english_voice(name)
    for variant in zh_variants(name):
        channels = {c["value"] for c in variant["condition"] if c["name"] == "channel"}
        english = en_voice if channels == {"voice"} else default(name)
        assert placeholders(variant) == placeholders(english), (name, variant["text"])


@pytest.mark.parametrize("name", [n for n in ALL if english_voice(n)])
def test_chinese_voice_tells_the_gateway_what_the_english_voice_does(name):
    [zh] = candidates(name, "zh", "voice")
    en, zh_payload = payload(english_voice(name)), payload(zh)
    assert set(zh_payload) == set(en), name
    for key, value in en.items():
        if key == "keypad":
            assert zh_payload[key] == ZH_KEYPAD[value] and zh_payload[key] in KEYPAD_DATES
        elif key in TRANSLATED_PAYLOAD:
            assert CJK.search(zh_payload[key]), (name, key)
        else:
            assert zh_payload[key] == value, (name, key)


@pytest.mark.parametrize("name", [n for n in ALL if english_voice(n)])
def test_chinese_voice_is_written_for_the_ear_and_names_the_keys_it_maps(name):
    [zh] = candidates(name, "zh", "voice")
    text, voice = zh["text"], payload(zh)
    assert not re.search(r"https?:|[$¥/()（）\n]", text), text
    assert not LATIN_WORD.search(words(text)), text  # Zhiyu reads Chinese; no English words
    if "{choices}" in text:  # the keypad choices come in the value, worded by the action
        return
    named = set(re.findall(r"按(\d)", text))
    mapped = set(voice.get("keys") or {}) | {"0"}
    if voice.get("expect") == "yes_no":
        mapped |= {"1", "2"}
    assert named <= mapped, f"{name} names keys {sorted(named - mapped)} it does not map"
    assert set(voice.get("keys") or {}) <= named, f"{name} maps keys it never names"


@pytest.mark.parametrize("name", ALL)
def test_chinese_sms_is_short(name):
    [zh] = candidates(name, "zh", "sms")
    written = words(zh["text"])
    assert len(written) <= SMS_SEGMENT, written
