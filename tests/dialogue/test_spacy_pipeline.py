"""The spaCy pipeline as Rasa loads it: SpacyNLP, SpacyTokenizer and SpacyEntityExtractor."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.message import Message

from bot.entity_patterns import LABELS
from bot.spacy_pipeline import main, save_pipeline


@pytest.fixture(scope="module")
def pipeline_path(tmp_path_factory) -> Path:
    return save_pipeline(tmp_path_factory.mktemp("spacy") / "build" / "spacy" / "en")


@pytest.fixture(scope="module")
def spacy_model(pipeline_path):
    """The pipeline loaded exactly as Rasa's SpacyNLP component loads `model: <path>`."""
    model = SpacyNLP.load_model(str(pipeline_path))
    SpacyNLP.ensure_proper_language_model(model.model)
    return model


def rasa_entities(spacy_model, text: str):
    extractor = SpacyEntityExtractor(SpacyEntityExtractor.get_default_config())
    [message] = extractor.process([Message(data={"text": text})], spacy_model)
    return [(e["value"], e["entity"]) for e in message.get("entities")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I can pay $200 on Friday", [("$200", "amount"), ("Friday", "date")]),
        ("$1,250.50 next friday", [("$1,250.50", "amount"), ("next friday", "date")]),
        ("i'll send 150 bucks tmrw", [("150 bucks", "amount"), ("tmrw", "date")]),
        ("USD 200 the day after tomorrow", [("USD 200", "amount"), ("day after tomorrow", "date")]),
        ("two hundred dollars by end of the month",
         [("two hundred dollars", "amount"), ("end of the month", "date")]),
        ("can i do 1.2k in two weeks", [("1.2k", "amount"), ("in two weeks", "date")]),
        ("i'll transfer 200 usd on 15/12", [("200 usd", "amount"), ("15/12", "date")]),
        ("i paid on the 3rd", [("the 3rd", "date")]),
        ("dec 3 or december 3rd", [("dec 3", "date"), ("december 3rd", "date")]),
        ("this fri", [("this fri", "date")]),
        ("i sat down to write this", []),
        ("next sat", [("next sat", "date")]),
        ("can i spread it over 6 months", [("6 months", "months")]),
        ("six months or 12 mo", [("six months", "months"), ("12 mo", "months")]),
        ("3 monthly payments please", [("3 monthly payments", "months")]),
        ("born 12/03/1985", [("12/03/1985", "birth_date")]),
        ("dob 03-12-85", [("03-12-85", "birth_date")]),
        ("March 3 1985", [("March 3 1985", "birth_date")]),
        ("born on the 3rd of march 1985", [("3rd of march 1985", "birth_date")]),
        ("date of birth 1985-03-12", [("1985-03-12", "birth_date")]),
        ("last 4 are 4821", [("4821", "id_last4")]),
        ("$4821 and 4821 dollars", [("$4821", "amount"), ("4821 dollars", "amount")]),
        ("i can pay 12/15/2026", [("12/15/2026", "date")]),
        ("I will pay 500", []),  # a bare number: amount or months, only the dialogue knows
    ],
)
def test_rasa_reports_the_ruler_entities(spacy_model, text, expected):
    assert rasa_entities(spacy_model, text) == expected


def test_saved_pipeline_has_only_the_ruler_and_our_labels(spacy_model):
    nlp = spacy_model.model
    assert nlp.pipe_names == ["entity_ruler"]
    assert set(nlp.get_pipe("entity_ruler").labels) == set(LABELS)


def test_entities_start_and_end_on_rasa_token_boundaries(spacy_model):
    text = "ok i'll pay $1,250.50 on dec 3rd, born 03-12-85, last 4 4821"
    message = Message(data={"text": text})
    SpacyNLP(spacy_model, SpacyNLP.get_default_config()).process([message], spacy_model)
    SpacyTokenizer(SpacyTokenizer.get_default_config()).process([message])
    starts = {t.start for t in message.get("text_tokens")}
    ends = {t.end for t in message.get("text_tokens")}
    extractor = SpacyEntityExtractor(SpacyEntityExtractor.get_default_config())
    entities = extractor.process([Message(data={"text": text})], spacy_model)[0].get("entities")
    assert len(entities) == 4
    for entity in entities:
        assert entity["start"] in starts and entity["end"] in ends, entity


def test_building_twice_writes_the_same_files(tmp_path):
    path = tmp_path / "nested" / "en"
    assert main([str(path)]) == 0
    first = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    assert main([str(path)]) == 0
    second = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    assert first == second
    assert Path(path, "meta.json").exists()
