"""The NLU training data has no exact duplicate and no label conflict, in every language
(bot/nlu_data_report.py), and the report finds them where they are."""
from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from bot.nlu_data_report import jaccard, load, main, report, similar_pairs, tokens
from bot.training import LANGUAGES, nlu_dir

SAFETY_CRITICAL = ("opt_out", "wrong_person", "dispute_debt", "legal_protection",
                   "request_human", "hardship")
MIN_ENGLISH_EXAMPLES = 150
MIN_ENGLISH_SAFETY_EXAMPLES = 170


def _show(pairs) -> str:
    return "\n".join(f"{p.first.where()}\n  == {p.second.where()}" for p in pairs)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_sentence_stands_twice(lang):
    result = report(lang)
    assert not result.exact_duplicates, _show(result.exact_duplicates)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_sentence_stands_under_two_intents(lang):
    result = report(lang)
    assert not result.conflicts, _show(result.conflicts)


def test_every_english_intent_has_enough_examples():
    counts = report("en").counts
    short = {intent: n for intent, n in counts.items() if n < MIN_ENGLISH_EXAMPLES}
    assert not short, short
    thin = {intent: counts.get(intent, 0) for intent in SAFETY_CRITICAL
            if counts.get(intent, 0) < MIN_ENGLISH_SAFETY_EXAMPLES}
    assert not thin, thin


def _write(folder: Path, blocks: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in blocks.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in examples]
    (folder / "topic.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_report_finds_duplicates_conflicts_and_near_duplicates(tmp_path, capsys):
    data = _write(tmp_path / "en", {
        "opt_out": ["stop texting me", "Stop texting me!", "take me off your list"],
        "callback_later": ["stop, let me think", "call me [tomorrow](date)"],
        "deny": ["let me think, stop"],
        "promise_to_pay": ["i'll pay [tomorrow](date)"],
        "already_paid": ["i'll pay tomorrow"],
    })
    result = report("en", data)

    assert result.counts == {"opt_out": 3, "callback_later": 2, "deny": 1,
                             "promise_to_pay": 1, "already_paid": 1}
    exact = {(p.first.text, p.second.text) for p in result.exact_duplicates}
    # Case, final punctuation and entity markup do not make a sentence new.
    assert exact == {("stop texting me", "Stop texting me!"),
                     ("i'll pay [tomorrow](date)", "i'll pay tomorrow")}
    conflicts = {(p.first.intent, p.second.intent) for p in result.conflicts}
    assert conflicts == {("callback_later", "deny")}  # the same words in another order
    assert not result.near_duplicates
    assert result.failed

    assert main(["--lang", "en", "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "label conflicts" in out and "topic.yml:" in out and "[deny] let me think, stop" in out


def test_near_duplicates_within_an_intent_are_listed_without_failing(tmp_path, capsys):
    data = _write(tmp_path / "en", {
        "hardship": ["i lost my job and my wife is sick and we have three kids to feed now",
                     "i lost my job and my wife is sick and we have three kids to feed"],
        "opt_out": ["cut off all contact"],
    })
    result = report("en", data)
    assert [(p.first.line, p.second.line) for p in result.near_duplicates] == [(5, 6)]
    assert not result.failed
    assert main(["--lang", "en", "--data", str(data)]) == 0
    assert "near-duplicates within an intent (reword or drop one): 1" in capsys.readouterr().out


def test_chinese_is_compared_by_character_bigrams(tmp_path):
    assert tokens("别再发短信了", "zh") == {"别再", "再发", "发短", "短信", "信了"}
    # A Latin word or a number stays one unit among the characters.
    assert tokens("转人工 STOP", "zh") == {"转人", "人工", "工stop"}
    assert tokens("不要", "zh") == {"不要"}
    data = _write(tmp_path / "zh", {
        "opt_out": ["以后别再给我发短信了，谢谢", "不要再打电话了", "不要再打电话了！"],
        "deny": ["以后别再给我发短信了谢谢"],  # the same characters: a conflict
        "callback_later": ["以后再给我发短信吧"],  # shares words, but says something else
    })
    result = report("zh", data)
    assert [(p.first.text, p.second.text) for p in result.exact_duplicates] == [
        ("不要再打电话了", "不要再打电话了！")]
    assert [(p.first.intent, p.second.intent) for p in result.conflicts] == [("opt_out", "deny")]


def test_english_is_compared_by_words_not_letters():
    assert tokens("Pls STOP texting me!!", "en") == {"pls", "stop", "texting", "me"}
    assert tokens("i don't owe [$500](amount)", "en") == {"i", "don't", "owe", "500"}
    assert jaccard(tokens("stop texting me", "en"), tokens("stop calling me", "en")) == 0.5
    # Emoji carry no words: "👍" (affirm) and "❌" (deny) are not the same sentence.
    assert jaccard(tokens("👍", "en"), tokens("❌", "en")) == 0.0


@pytest.mark.parametrize("threshold", [0.5, 0.75, 0.9])
def test_the_index_finds_every_pair_a_full_comparison_finds(threshold):
    # The prefix filter must not miss a pair: checked against all pairs on real data.
    examples = load(nlu_dir("en"), "en")[::8]
    brute = {
        (i, j)
        for i, j in itertools.combinations(range(len(examples)), 2)
        if jaccard(examples[i].tokens, examples[j].tokens) >= threshold
    }
    found = Counter((i, j) for i, j, _ in similar_pairs(examples, threshold))
    assert set(found) == brute
    assert all(count == 1 for count in found.values())
