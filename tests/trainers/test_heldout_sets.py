"""The held-out sets keep their size, and the two-intent sets (tests/nlu/multi_<lang>.yml)
are well-formed and stay unseen.

Nothing reads the two-intent sets loudly: a misspelt intent or a swapped order would only
move figures measured on them later. So their shape is checked here, without Rasa."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import bot.nlu_report as nlu_report
from bot.annotation import _scan, dev_messages, multi_intent_messages, normalise, taxonomy
from bot.nlu_eval import dev_paths, heldout_path, multi_path
from bot.nlu_gate import SAFETY_CRITICAL

LANGS = ["en", "zh"]
MIN_MESSAGES = 30  # two-intent messages per language
# Single-intent messages per intent: enough that one miss moves a safety-critical recall by
# 0.025 at most, not 0.09.
MIN_SAFETY_CRITICAL, MIN_OTHER = 40, 15
# The order the two intents are written in: the more safety-critical first (the file headers
# say so); intents outside this list come after the ones in it.
PRECEDENCE = ("wrong_person", "legal_protection", "dispute_debt", "hardship", "opt_out",
              "request_human")


def rank(intent: str) -> int:
    return PRECEDENCE.index(intent) if intent in PRECEDENCE else len(PRECEDENCE)


@pytest.mark.parametrize("lang", LANGS)
def test_every_intent_of_the_single_intent_set_has_enough_messages(lang):
    counts = Counter(block.intent for block in _scan(heldout_path(lang))[1]
                     for _ in block.examples)
    short = {intent: counts[intent] for intent in taxonomy()[0]
             if counts[intent] < (MIN_SAFETY_CRITICAL if intent in SAFETY_CRITICAL else MIN_OTHER)}
    assert short == {}


def test_the_precedence_names_every_safety_critical_intent():
    assert sorted(PRECEDENCE) == sorted(SAFETY_CRITICAL)


@pytest.mark.parametrize("lang", LANGS)
def test_the_file_parses_warns_and_is_large_enough(lang):
    path = multi_path(lang)
    assert "NEVER train on it" in path.read_text(encoding="utf-8")
    assert len(multi_intent_messages(path)) >= MIN_MESSAGES


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_names_two_known_intents_the_more_critical_first(lang):
    known = set(taxonomy()[0])
    for text, (first, second) in multi_intent_messages(multi_path(lang)):
        assert {first, second} <= known, text
        assert first != second, text
        assert rank(first) <= rank(second), text


@pytest.mark.parametrize("lang", LANGS)
def test_no_message_appears_twice_or_in_the_single_intent_set(lang):
    texts = [normalise(text) for text, _ in multi_intent_messages(multi_path(lang))]
    assert [t for t, n in Counter(texts).items() if n > 1] == []
    single = {normalise(example) for block in _scan(heldout_path(lang))[1]
              for _, example in block.examples}
    assert [t for t in texts if t in single] == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_texts_carry_no_markup(lang):
    # The text is what the borrower wrote: an entity annotation here would be read literally.
    for text, _ in multi_intent_messages(multi_path(lang)):
        assert not set(text) & set("[]{}()"), text


MALFORMED = [
    (multi_intent_messages, "nlu: []\n", "no `multi_intent:` list"),
    (multi_intent_messages, "multi_intent:\n- text: stop\n  intents: [opt_out]\n", "item 1 needs"),
    (multi_intent_messages, "multi_intent:\n- text: hi\n  intents: [greet, ask_who]\n- text: x\n", "item 2 needs"),
    (multi_intent_messages, "multi_intent:\n- text: ''\n  intents: [greet, ask_who]\n", "item 1 needs"),
    (multi_intent_messages, "multi_intent:\n- text: hi\n  intents: [greet, ask_who]\n  intent: greet\n",
     "item 1 needs"),
    (dev_messages, "messages:\n- text: stop\n  intents: []\n", "item 1 needs"),
    (dev_messages, "messages:\n- text: hi\n  intents: [greet, ask_who, thank]\n", "item 1 needs"),
    (dev_messages, "multi_intent:\n- text: hi\n  intents: [greet]\n", "no `messages:` list"),
]


@pytest.mark.parametrize("read, content, reason", MALFORMED)
def test_a_malformed_file_is_refused_naming_the_item(tmp_path: Path, read, content, reason):
    path = tmp_path / "set_xx.yml"
    path.write_text(content)
    with pytest.raises(ValueError, match=reason):
        read(path)


@pytest.mark.parametrize("read, path", [(multi_intent_messages, multi_path("en")),
                                        *[(dev_messages, p) for p in dev_paths("en")]])
def test_a_test_set_message_in_the_training_data_is_reported(tmp_path: Path, read, path):
    text, intents = read(path)[0]
    (tmp_path / "copied.yml").write_text(
        f'version: "3.1"\nnlu:\n- intent: {intents[0]}\n  examples: |\n    - {text}\n')
    assert nlu_report.contamination("en", tmp_path) == [("+".join(intents), text)]


# The development sets (tests/nlu/dev_<lang>.yml; bot/nlu_dev.py): read by trainers, so not a
# measure the gate trusts, but written apart and never trained on. Messages that were already
# training examples or held-out ones ("wrong number") were left out of them.
MIN_DEV_SAFETY_CRITICAL = 30


DEV_SETS = [path for lang in LANGS for path in dev_paths(lang)]


def test_each_language_has_a_development_set():
    assert [lang for lang in LANGS if not dev_paths(lang)] == []


@pytest.mark.parametrize("path", DEV_SETS, ids=lambda p: p.name)
def test_a_development_set_names_known_intents_and_enough_of_each_safety_one(path):
    known = set(taxonomy()[0])
    messages = dev_messages(path)
    counts = Counter(intent for _, intents in messages for intent in intents)
    assert {intent for _, intents in messages for intent in intents} <= known
    assert {i: counts[i] for i in SAFETY_CRITICAL if counts[i] < MIN_DEV_SAFETY_CRITICAL} == {}
    for text, intents in messages:
        assert len(set(intents)) == len(intents), text
        assert rank(intents[0]) <= rank(intents[-1]), text


@pytest.mark.parametrize("lang", LANGS)
def test_a_development_message_is_in_no_held_out_set_and_no_earlier_round(lang):
    texts = set()
    for path in dev_paths(lang):
        round_texts = {normalise(text) for text, _ in dev_messages(path)}
        assert round_texts & texts == set(), path.name
        texts |= round_texts
    held_out = {normalise(example) for block in _scan(heldout_path(lang))[1]
                for _, example in block.examples}
    held_out |= {normalise(text) for text, _ in multi_intent_messages(multi_path(lang))}
    assert texts & held_out == set()
