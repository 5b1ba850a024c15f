"""The Chinese held-out NLU set (tests/nlu/heldout_zh.yml) is well-formed.

A malformed line would not fail `rasa test nlu` loudly: a bad entity annotation becomes plain
text, an unknown intent name becomes a label no model predicts, and either would quietly move
the figures the gate reports. So the file's shape is checked here, without Rasa.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

from bot.annotation import normalise, taxonomy
from language import parse_amount, parse_birth_date, parse_date, parse_id_last4, parse_months

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu" / "heldout_zh.yml"

# The intent taxonomy of the domain (a product contract: names trainers and reports rely on).
TAXONOMY = [
    "greet", "goodbye", "affirm", "deny", "thank", "inform_identity", "wrong_person",
    "ask_amount", "request_instalment", "request_deferral", "promise_to_pay", "already_paid",
    "dispute_debt", "hardship", "ask_payment_methods", "request_human", "opt_out",
    "callback_later", "ask_who", "bot_challenge", "abuse", "ask_consequences",
    "legal_protection", "inform", "out_of_scope", "ask_next_payment", "request_date_change",
]
ENTITIES = {"amount", "date", "months", "birth_date", "id_last4"}
MIN_PER_INTENT = 10
# Handled by the gateway (server/sms/keywords.py) before NLU ever sees them: alone they test nothing.
GATEWAY_KEYWORDS = {"td", "t", "r", "退订", "订阅", "帮助"}

_ANNOTATION = re.compile(r"\[(?P<text>[^\[\]()]+)\]\((?P<name>[^()\[\]]+)\)")
_MARKUP_CHARS = re.compile(r"[\[\]{}()]")

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 24)
# What each entity's annotated words must mean to the parser the actions use: an annotation
# the parser cannot read would teach the evaluation an entity the bot could not act on.
PARSERS = {
    "amount": lambda text: parse_amount(text, language="zh"),
    "date": lambda text: parse_date(text, "Asia/Shanghai", now=NOW, language="zh"),
    "months": lambda text: parse_months(text, language="zh"),
    "birth_date": lambda text: parse_birth_date(text, today=TODAY, language="zh"),
    "id_last4": lambda text: parse_id_last4(text, language="zh"),
}


def _blocks() -> list:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    return data["nlu"]


def _examples() -> list:
    """(intent, example as written) for every line of the set."""
    out = []
    for block in _blocks():
        lines = block["examples"].splitlines()
        assert all(line.startswith("- ") for line in lines if line.strip()), block["intent"]
        out += [(block["intent"], line[2:].strip()) for line in lines if line.strip()]
    return out


def test_it_warns_that_it_is_never_trained_on():
    assert "NEVER train on it" in HELDOUT.read_text(encoding="utf-8")


def test_the_intents_are_the_taxonomy_each_once():
    names = [block["intent"] for block in _blocks()]
    assert sorted(names) == sorted(TAXONOMY)
    assert len(names) == len(set(names))
    assert set(TAXONOMY) <= set(taxonomy()[0])  # domain.yml declares them all


def test_every_intent_has_enough_messages():
    counts = Counter(intent for intent, _ in _examples())
    short = {intent: counts[intent] for intent in TAXONOMY if counts[intent] < MIN_PER_INTENT}
    assert short == {}


def test_no_message_appears_twice():
    # The same sentence twice (even under two intents) counts one borrower message double.
    seen = Counter(normalise(example) for _, example in _examples())
    assert [text for text, n in seen.items() if n > 1] == []


def test_no_message_is_a_bare_gateway_keyword():
    assert [e for _, e in _examples() if normalise(e) in GATEWAY_KEYWORDS] == []


@pytest.mark.parametrize("intent, example", _examples())
def test_entity_annotations_are_well_formed(intent, example):
    for match in _ANNOTATION.finditer(example):
        assert match.group("name") in ENTITIES, match.group(0)
        assert match.group("text").strip() == match.group("text"), match.group(0)
    # Once the annotations are taken out no markup character may be left: a stray bracket
    # is an annotation Rasa would not read.
    assert not _MARKUP_CHARS.search(_ANNOTATION.sub("", example)), example


@pytest.mark.parametrize("intent, example", [
    (intent, example) for intent, example in _examples() if _ANNOTATION.search(example)
])
def test_annotated_words_are_what_the_parsers_read(intent, example):
    for match in _ANNOTATION.finditer(example):
        assert PARSERS[match.group("name")](match.group("text")) is not None, match.group(0)


def test_bare_answers_and_identity_carry_their_entity():
    # `inform` is a bare amount, date or month count; `inform_identity` a birth date or ID digits.
    for intent, allowed in (("inform", {"amount", "date", "months"}),
                            ("inform_identity", {"birth_date", "id_last4"})):
        for _, example in (e for e in _examples() if e[0] == intent):
            names = {m.group("name") for m in _ANNOTATION.finditer(example)}
            assert names and names <= allowed, example
