"""The gateway's own words (messaging/gateway_words.py): every phrase in every language the
product speaks, with the same placeholders, so no borrower ever gets a missing text, an
English one in a Chinese conversation, or a KeyError while the message is formatted."""
from __future__ import annotations

import string

import pytest

from lending.languages import LANGUAGES
from messaging.gateway_words import PHRASES, gateway_reply


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_every_phrase_is_in_every_language_with_the_same_placeholders(name):
    texts = PHRASES[name]
    assert set(texts) == set(LANGUAGES), name
    for language, text in texts.items():
        assert text.strip() == text and text, (name, language)
        assert placeholders(text) == placeholders(texts["en"]), (name, language)


def test_a_phrase_is_said_in_the_accounts_language_and_english_otherwise():
    assert gateway_reply("holding", "zh-CN") == "您的消息已收到，我们会尽快回复。"
    assert gateway_reply("holding", "es") == gateway_reply("holding", None) == (
        "Thanks, we've got your message and will reply shortly.")
    assert gateway_reply("identity_locked", "en", lender_name="Northwind Credit",
                         support_phone="+1 800 555 0100") == (
        "Please call Northwind Credit on +1 800 555 0100.")


def test_every_phrase_is_said_somewhere():
    """A phrase no code asks for is a text nobody reviews when the wording changes."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = "\n".join(p.read_text(encoding="utf-8") for package in ("server", "messaging", "campaigns")
                       for p in (root / package).rglob("*.py") if p.name != "gateway_words.py")
    keyword_answers = {"opt_out", "opt_in", "help"}  # named by server/sms/keywords.py's Keyword values
    call_words = {name for name in PHRASES if name.startswith("call.")}  # Words' fields
    unused = [name for name in PHRASES
              if name not in keyword_answers | call_words and f'"{name}"' not in source]
    assert unused == []
