"""Writing approved examples into a copy of data/nlu: the right file, the right block,
valid YAML, nothing else touched; duplicates and held-out sentences refused."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from bot.annotation import (
    AnnotationRefused,
    Entity,
    NluData,
    _scan,
    dev_messages,
    multi_intent_messages,
    normalise,
    taxonomy,
)
from bot.nlu_eval import dev_paths, multi_path
from tests.support.paths import ROOT


def examples_of(path: Path, intent: str) -> list:
    data = yaml.safe_load(path.read_text())
    block = next(item for item in data["nlu"] if item.get("intent") == intent)
    return [line[2:] for line in block["examples"].splitlines()]


def test_an_example_goes_under_its_intent_in_the_topic_file_and_nothing_else_changes(nlu_dir):
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    written = NluData(nlu_dir).add_example("hardship", "the bailiff took my car")

    assert written.file == nlu_dir / "hardship.yml" and not written.already_present
    after = (nlu_dir / "hardship.yml").read_text()
    lines = after.splitlines()
    assert lines[written.line - 1] == "    - the bailiff took my car"
    # one line more, every other line (comments, order, layout) as it was
    old_lines = before["hardship.yml"].splitlines()
    assert lines[:written.line - 1] + lines[written.line:] == old_lines
    assert old_lines[0:6] == lines[0:6] and lines[2].startswith("#")
    # valid YAML, and the example is the block's last
    assert examples_of(nlu_dir / "hardship.yml", "hardship")[-1] == "the bailiff took my car"
    for name, text in before.items():
        if name != "hardship.yml":
            assert (nlu_dir / name).read_text() == text


def test_an_intent_in_the_middle_of_a_file_gets_the_example_at_the_end_of_its_own_block(nlu_dir):
    data = NluData(nlu_dir)
    written = data.add_example("ask_who", "who on earth are you people")
    assert written.file.name == "chitchat.yml"
    text = written.file.read_text()
    block_start = text.index("- intent: ask_who")
    next_block = text.index("- intent: bot_challenge")
    assert block_start < text.index("    - who on earth are you people\n") < next_block
    assert examples_of(written.file, "ask_who")[-1] == "who on earth are you people"
    assert "who on earth are you people" not in examples_of(written.file, "bot_challenge")


def test_entities_are_written_in_rasa_inline_format(nlu_dir):
    text = "can i pay 200 over 4 months"
    written = NluData(nlu_dir).add_example(
        "request_instalment", text, [Entity(10, 13, "amount"), Entity(19, 27, "months")],
    )
    assert written.example == "can i pay [200](amount) over [4 months](months)"
    assert examples_of(nlu_dir / "plans.yml", "request_instalment")[-1] == written.example


def test_a_sentence_already_under_another_intent_is_refused_with_file_line_and_intent(nlu_dir):
    data = NluData(nlu_dir)
    [(intent, path, line, existing)] = data.where_is("i lost my job")
    assert intent == "hardship"
    before = path.read_text()
    with pytest.raises(AnnotationRefused) as refused:
        data.add_example("ask_who", "I lost my job.")  # case and punctuation do not matter
    message = str(refused.value)
    assert "already an example of hardship" in message
    assert f"hardship.yml, line {line}" in message
    assert path.read_text() == before
    assert examples_of(nlu_dir / "chitchat.yml", "ask_who")[-1] != "I lost my job."


def test_the_same_sentence_under_the_same_intent_is_not_written_twice(nlu_dir):
    data = NluData(nlu_dir)
    before = (nlu_dir / "hardship.yml").read_text()
    written = data.add_example("hardship", "i LOST my job!")
    assert written.already_present and written.example == "i lost my job"
    assert (nlu_dir / "hardship.yml").read_text() == before


def test_a_held_out_sentence_is_never_written(nlu_dir):
    data = NluData(nlu_dir)
    heldout = ROOT / "tests" / "nlu" / "heldout_en.yml"
    intent, sentence = next(
        (block.intent, example) for block in _scan(heldout)[1]
        for _, example in block.examples if not data.where_is(example)
    )
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    with pytest.raises(AnnotationRefused, match="held-out test set"):
        data.add_example(intent, sentence)
    assert {p.name: p.read_text() for p in nlu_dir.glob("*.yml")} == before


@pytest.mark.parametrize("intent, text, entities, reason", [
    ("not_an_intent", "hello", [], "not an intent of the taxonomy"),
    ("nlu_fallback", "hello", [], "not an intent of the taxonomy"),
    ("hardship", "   ", [], "empty"),
    ("hardship", "call me on [PHONE] please", [], "replace [PHONE]"),
    ("hardship", "i am [NAME], born [DATE]", [], "replace [NAME], [DATE]"),
    ("hardship", "it's {urgent}", [], "Rasa's markup"),
    ("inform", "200 dollars", [Entity(0, 3, "money")], "not an entity of domain.yml"),
    ("inform", "200 dollars", [Entity(0, 30, "amount")], "outside the text"),
    ("inform", "200 dollars", [Entity(0, 3, "amount"), Entity(1, 5, "amount")], "over another"),
    ("hardship", "x" * 301, [], "longer than 300"),
])
def test_what_cannot_be_written_is_refused_with_a_reason(nlu_dir, intent, text, entities, reason):
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    with pytest.raises(AnnotationRefused) as refused:
        NluData(nlu_dir).add_example(intent, text, entities)
    assert reason in str(refused.value)
    assert {p.name: p.read_text() for p in nlu_dir.glob("*.yml")} == before


def test_every_intent_of_the_taxonomy_has_a_file(nlu_dir):
    intents, entities = taxonomy()
    files = NluData(nlu_dir).intent_files()
    assert set(intents) <= set(files)
    assert {"amount", "date", "months", "birth_date", "id_last4"} <= set(entities)
    assert files["opt_out"].name == "contact.yml" and files["dispute_debt"].name == "disputes.yml"


def test_two_trainers_writing_at_once_both_land(nlu_dir):
    data = NluData(nlu_dir)
    sentences = [f"my hours got cut again in week {n}" for n in range(8)]
    errors = []

    def write(sentence):
        try:
            data.add_example("hardship", sentence)
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s,)) for s in sentences]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(sentences) <= set(examples_of(nlu_dir / "hardship.yml", "hardship"))


def test_normalising_ignores_markup_case_spacing_and_final_punctuation():
    assert normalise("Can I pay [200](amount)  over [4 months](months)?!") == \
        "can i pay 200 over 4 months"
    assert normalise("i can’t pay") == normalise("I can't pay")


def test_a_two_intent_held_out_message_is_never_written(nlu_dir):
    data = NluData(nlu_dir)
    text, intents = next(
        (text, intents) for text, intents in multi_intent_messages(multi_path("en"))
        if not data.where_is(text)
    )
    before = {p.name: p.read_text() for p in nlu_dir.glob("*.yml")}
    with pytest.raises(AnnotationRefused, match=r"held-out test set \(multi_en.yml\)"):
        data.add_example(intents[0], text)
    assert {p.name: p.read_text() for p in nlu_dir.glob("*.yml")} == before


@pytest.mark.parametrize("path", [p for lang in ["en", "zh"] for p in dev_paths(lang)],
                         ids=lambda p: p.name)
def test_a_development_set_message_is_never_written(nlu_dir, path):
    # Trainers read the development set's misses (bot/nlu_dev.py); they write other sentences.
    data = NluData(nlu_dir)
    text, intents = dev_messages(path)[-1]
    with pytest.raises(AnnotationRefused, match=rf"development test set \({path.name}\)"):
        data.add_example(intents[0], text)
