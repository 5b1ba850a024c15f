"""The Chinese NLU data (data/nlu/zh) agrees with its entity regexes and the Chinese parsers.

Rasa's RegexEntityExtractor (use_word_boundaries: false) runs every regex line of
data/nlu/zh/entities.yml with re.finditer over the whole message, case-insensitive, and keeps
every match; the matched text becomes the slot value that language reads with
language="zh". So an annotation is only worth something when the extractor finds exactly that
span and the parser reads it, and any other match is an entity the model will report. These
tests rebuild that from the YAML (no Rasa import, so they run in the unit suite).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import pytest
import yaml

from bot.nlu_report import contamination
from language import (
    parse_amount,
    parse_birth_date,
    parse_date,
    parse_id_last4,
    parse_months,
)
from server.sms.keywords import classify

ROOT = Path(__file__).resolve().parents[2]
ZH_DIR = ROOT / "data" / "nlu" / "zh"
EN_DIR = ROOT / "data" / "nlu" / "en"
ENTITY_FILE = ZH_DIR / "entities.yml"
USERDICT = ROOT / "language" / "zh" / "userdict" / "repay.txt"

INTENTS = (
    "greet goodbye affirm deny thank inform_identity wrong_person ask_amount request_instalment "
    "request_deferral promise_to_pay already_paid dispute_debt hardship ask_payment_methods "
    "request_human opt_out callback_later ask_who bot_challenge abuse ask_consequences "
    "legal_protection inform out_of_scope ask_next_payment request_date_change"
).split()
ENTITIES = ("amount", "date", "months", "birth_date", "id_last4")
MIN_EXAMPLES = 40

# A fixed "now" so dates resolve the same way on every run (a Tuesday, Beijing morning).
NOW = datetime(2026, 11, 10, 1, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 10)
PARSERS = {
    "amount": lambda text: parse_amount(text, language="zh"),
    "date": lambda text: parse_date(
        text, "Asia/Shanghai", now=NOW, date_order="DMY", language="zh"
    ),
    "months": lambda text: parse_months(text, language="zh"),
    "birth_date": lambda text: parse_birth_date(
        text, date_order="DMY", today=TODAY, language="zh"
    ),
    "id_last4": lambda text: parse_id_last4(text, language="zh"),
}

# [text](entity); Rasa's other annotation forms ({...} / [text]{"entity": ...}) are not used.
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<entity>[^)]+)\)")


class Span(NamedTuple):
    start: int
    end: int
    entity: str


class Example(NamedTuple):
    intent: str
    file: str
    raw: str
    text: str
    spans: Tuple[Span, ...]


def _strip(raw: str) -> Tuple[str, Tuple[Span, ...]]:
    """The plain text of an annotated example and its entity spans, as Rasa reads them."""
    parts: List[str] = []
    spans: List[Span] = []
    position = length = 0
    for match in ANNOTATION.finditer(raw):
        before = raw[position:match.start()]
        parts.append(before)
        length += len(before)
        spans.append(Span(length, length + len(match["text"]), match["entity"]))
        parts.append(match["text"])
        length += len(match["text"])
        position = match.end()
    parts.append(raw[position:])
    return "".join(parts), tuple(spans)


def _block_lines(block: str) -> List[str]:
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    assert all(line.startswith("- ") for line in lines), f"not a '- ' list: {lines[:3]}"
    return [line[2:].strip() for line in lines]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _examples() -> List[Example]:
    found = []
    for path in sorted(ZH_DIR.glob("*.yml")):
        for item in _load(path).get("nlu", []):
            if "intent" not in item:
                continue
            for raw in _block_lines(item["examples"]):
                text, spans = _strip(raw)
                found.append(Example(item["intent"], path.name, raw, text, spans))
    return found


def _regexes() -> Dict[str, List[re.Pattern]]:
    regexes: Dict[str, List[re.Pattern]] = defaultdict(list)
    for item in _load(ENTITY_FILE)["nlu"]:
        for line in _block_lines(item["examples"]):
            regexes[item["regex"]].append(re.compile(line, re.IGNORECASE))
    return regexes


EXAMPLES = _examples()
REGEXES = _regexes()


def _extracted(text: str) -> List[Span]:
    """What RegexEntityExtractor reports for `text`: every match of every line."""
    return [
        Span(match.start(), match.end(), entity)
        for entity, patterns in REGEXES.items()
        for pattern in patterns
        for match in pattern.finditer(text)
    ]


def _annotated() -> List[Tuple[Example, Span]]:
    return [(example, span) for example in EXAMPLES for span in example.spans]


def _show(example: Example, span: Span) -> str:
    return f"{example.file} {example.intent}: {example.raw!r} -> {example.text[span.start:span.end]!r}"


def test_files_follow_the_english_layout_and_rasa_3_1_format():
    english = {path.name for path in EN_DIR.glob("*.yml")}
    chinese = {path.name for path in ZH_DIR.glob("*.yml")} - {ENTITY_FILE.name}
    assert chinese == english
    for path in ZH_DIR.glob("*.yml"):
        data = _load(path)
        assert data["version"] == "3.1", path.name
        assert set(data) == {"version", "nlu"}, path.name
        for item in data["nlu"]:
            assert set(item) in ({"intent", "examples"}, {"regex", "examples"}), (path.name, item)
            assert isinstance(item["examples"], str), (path.name, item)


def test_each_intent_lives_in_the_same_file_as_in_english():
    english = {
        item["intent"]: path.name
        for path in EN_DIR.glob("*.yml")
        for item in _load(path)["nlu"]
        if "intent" in item
    }
    chinese = {example.intent: example.file for example in EXAMPLES}
    assert set(english) == set(INTENTS)
    assert chinese == english


def test_every_intent_has_enough_examples():
    counts = Counter(example.intent for example in EXAMPLES)
    short = {intent: counts[intent] for intent in INTENTS if counts[intent] < MIN_EXAMPLES}
    assert not short, f"fewer than {MIN_EXAMPLES} examples: {short}"
    assert set(counts) == set(INTENTS)


def _key(text: str) -> str:
    """Near-identical examples differ only in case, spaces, punctuation or emoji."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def test_no_example_appears_twice_or_under_two_intents():
    seen: Dict[str, Example] = {}
    repeated = []
    for example in EXAMPLES:
        key = _key(example.text) or example.text
        if key in seen:
            repeated.append((seen[key].intent, seen[key].raw, example.intent, example.raw))
        seen[key] = example
    assert not repeated, repeated


def test_no_example_is_a_sentence_of_the_held_out_set():
    # The held-out set estimates how the model does on messages it never saw
    # (tests/nlu/README.md), so none of its sentences may be trained on.
    assert contamination("zh") == []


def test_no_example_is_only_a_keyword_the_gateway_answers():
    # The gateway answers TD/T/R/退订/订阅/帮助/STOP... itself; the model never sees them.
    keywords = [example.raw for example in EXAMPLES if classify(example.text) is not None]
    assert not keywords, keywords


def test_annotations_use_the_five_entities():
    unknown = {span.entity for _, span in _annotated()} - set(ENTITIES)
    assert not unknown
    assert set(REGEXES) == set(ENTITIES)
    for entity in ENTITIES:
        assert any(span.entity == entity for _, span in _annotated()), f"no {entity} example"


def test_every_annotated_span_is_matched_exactly_by_its_regex():
    missed = [
        _show(example, span)
        for example, span in _annotated()
        if span not in _extracted(example.text)
    ]
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_annotated_span_is_read_by_the_chinese_parser(entity):
    unread = [
        _show(example, span)
        for example, span in _annotated()
        if span.entity == entity and PARSERS[entity](example.text[span.start:span.end]) is None
    ]
    assert not unread, "\n".join(unread)


def test_no_regex_match_overlaps_an_annotation_as_another_entity():
    wrong = []
    for example in EXAMPLES:
        for found in _extracted(example.text):
            for span in example.spans:
                overlaps = found.start < span.end and span.start < found.end
                if overlaps and found.entity != span.entity:
                    wrong.append(f"{example.raw!r}: {found.entity} "
                                 f"{example.text[found.start:found.end]!r}")
    assert not wrong, "\n".join(wrong)


def test_the_extractor_finds_exactly_the_annotated_entities():
    # Stricter than the overlap check: no duplicate, partial or unannotated match either, so
    # the training data shows the model the entities it will really get at run time.
    different = []
    for example in EXAMPLES:
        found = Counter(_extracted(example.text))
        if found != Counter(example.spans):
            extra = [f"{s.entity}:{example.text[s.start:s.end]!r}" for s in found - Counter(example.spans)]
            missing = [f"{s.entity}:{example.text[s.start:s.end]!r}" for s in Counter(example.spans) - found]
            different.append(f"{example.raw!r} extra={extra} missing={missing}")
    assert not different, "\n".join(different)


@pytest.mark.parametrize(
    "text, expected",
    [
        # The overlaps entities.yml is written to avoid, outside the training data too.
        ("我是1988年3月14日出生的", [("birth_date", "1988年3月14日")]),
        ("88年3月14号", [("birth_date", "88年3月14号")]),
        ("一九八八年三月十四日", [("birth_date", "一九八八年三月十四日")]),
        ("19880314", [("birth_date", "19880314")]),
        ("1988-03-14", [("birth_date", "1988-03-14")]),
        ("分3期", [("months", "3期")]),
        ("两千分6期", [("amount", "两千"), ("months", "6期")]),
        ("还500分3期", [("amount", "500"), ("months", "3期")]),
        ("2000块", [("amount", "2000块")]),
        ("还1500", [("amount", "1500")]),
        ("身份证后四位4821", [("id_last4", "4821")]),
        ("后四位是123X", [("id_last4", "123X")]),
        ("下周一定还", [("date", "下周")]),
        ("周一下午还", [("date", "周一")]),
        ("周五五百", [("date", "周五"), ("amount", "五百")]),
        ("3个月后再说", [("date", "3个月后")]),
        ("11月15日还", [("date", "11月15日")]),
        ("下个月5号", [("date", "下个月5号")]),
        ("明后天还", []),
        ("过几天还", []),
        ("一千多", []),
        ("逾期超过3天会怎样", []),
        ("每周五还300", [("amount", "300")]),
        ("一个人带孩子", []),
        ("这个月先不还 下个月一起还", [("date", "下个月")]),
        ("886", []),
        ("好的 886", []),
        ("明天还886", [("date", "明天"), ("amount", "886")]),
        ("2026年11月15日还", [("date", "2026年11月15日")]),
        ("¥ 300", [("amount", "¥ 300")]),
        ("一点五万", [("amount", "一点五万")]),
        ("两点还五百", [("amount", "五百")]),
        ("还个一两千", []),
        ("两三天后还", []),
        ("666", []),
    ],
)
def test_known_traps(text, expected):
    found = sorted(_extracted(text))
    assert [(s.entity, text[s.start:s.end]) for s in found] == expected


# jieba's own reading of a user dictionary line; it has no comments, so a "#" line would
# become a word (and Rasa's JiebaTokenizer loads every file in the folder).
_USERDICT_LINE = re.compile(r"^(?P<word>[^\s#]+)( [0-9]+)?( [a-z]+)?$")


def test_the_jieba_user_dictionary_is_in_jiebas_format():
    lines = USERDICT.read_text(encoding="utf-8").splitlines()
    bad = [line for line in lines if not _USERDICT_LINE.match(line)]
    assert not bad, bad
    words = [_USERDICT_LINE.match(line)["word"] for line in lines]
    assert len(words) == len(set(words))
    assert [path.name for path in USERDICT.parent.iterdir()] == [USERDICT.name]

