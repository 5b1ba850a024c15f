"""Writing a trainer's approved example into the NLU training data.

    data = NluData(Path("data/nlu/en"))
    written = data.add_example("hardship", "the bailiff took my car")
    # -> Written(intent="hardship", file=.../hardship.yml, line=109, ...)

The example goes under its intent's existing block, in the file that holds that intent
(data/nlu/<language>/<topic>.yml), as the block's last line. The file is changed by inserting that
one line, so its order, comments and layout stay exactly as they were; the result is
parsed again and compared with the original (the same intents and examples, plus the new
one) before it replaces the file. Refused, with the reason a trainer can act on:
  - an intent that is not in domain.yml's taxonomy, or that no file holds yet;
  - an entity that is not in domain.yml, or marked outside the text;
  - text still holding a redaction placeholder ([PHONE], [NAME], ...) or Rasa's markup
    characters ([ ] { });
  - the same sentence (compared without case, spacing, entity markup and final
    punctuation) already under another intent: file, line and intent are named;
  - a sentence of the held-out test sets (tests/nlu/heldout_*.yml, and the two-intent
    messages of tests/nlu/multi_*.yml), which must never be trained on.
The same sentence already under the same intent is not an error: nothing is written and
`Written.already_present` says so.

Entities use Rasa's inline format, `[words](entity)`. Plain PyYAML and text, no rasa:
the gateway's console and CLI call this.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import yaml

from bot import domain_file
from language.redaction import placeholders_in

ROOT = Path(__file__).resolve().parent.parent
HELDOUT_DIR = ROOT / "tests" / "nlu"
MAX_LENGTH = 300

_INTENT_LINE = re.compile(r"^-\s+intent:\s*(?P<name>[^\s#]+)\s*(?:#.*)?$")
_OTHER_BLOCK = re.compile(r"^-\s+(?:synonym|regex|lookup):")
_EXAMPLES_KEY = re.compile(r"^(?P<indent>\s+)examples:\s*\|[-+]?\s*(?:#.*)?$")
_EXAMPLE_LINE = re.compile(r"^(?P<indent>\s+)-\s(?P<text>.*)$")
_MARKUP = re.compile(r"\[(?P<words>[^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_MARKUP_CHARS = re.compile(r"[\[\]{}]")


class AnnotationRefused(ValueError):
    """The example cannot be written; the message says why, in a trainer's words."""


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    entity: str


@dataclass(frozen=True)
class Written:
    intent: str
    file: Path
    line: int  # 1-based line of the example in the file
    example: str  # as written, with entity markup
    already_present: bool = False

    def where(self) -> str:
        return f"{display_path(self.file)}, line {self.line}"


@dataclass
class _Block:
    intent: str
    file: Path
    header_line: int  # index of "- intent:" (0-based)
    examples_indent: Optional[str] = None
    last_example: Optional[int] = None  # index of the block's last example line
    examples: List[Tuple[int, str]] = field(default_factory=list)  # (index, text)


def display_path(path: Path) -> str:
    """data/nlu/en/plans.yml inside the repository; the full path elsewhere."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def normalise(text: str) -> str:
    """What two examples must share to count as the same sentence."""
    text = _MARKUP.sub(lambda m: m.group("words"), text)
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.strip(" .!?,;:…")


# Intents only an NLU component predicts, never trained nor labelled: the safety layer's
# yes-or-no question (bot/components/safety_patterns.py).
COMPONENT_INTENTS = ("check_safety",)


def taxonomy(domain: Path = domain_file.DOMAIN_PATH) -> Tuple[List[str], List[str]]:
    """The intents (those examples are labelled with) and the entities domain.yml declares,
    in its order."""
    intents = [i for i in domain_file.intents(domain) if i not in COMPONENT_INTENTS]
    return intents, domain_file.entities(domain)


def markup(text: str, entities: Sequence[Entity] = ()) -> str:
    """The example line: text with entities in Rasa's `[words](entity)` format."""
    out, at = [], 0
    for entity in sorted(entities, key=lambda e: e.start):
        out.append(text[at:entity.start])
        out.append(f"[{text[entity.start:entity.end]}]({entity.entity})")
        at = entity.end
    out.append(text[at:])
    return "".join(out)


def multi_intent_messages(path: Path) -> List[Tuple[str, List[str]]]:
    """(text, intents) of each message of a two-intent held-out file (tests/nlu/multi_<lang>.yml:
    a `multi_intent:` list of `text:` and `intents: [first, second]`); ValueError, naming the
    item, when the file has another shape."""
    return _labelled_messages(path, "multi_intent", 2, "`intents: [first, second]`")


def dev_messages(path: Path) -> List[Tuple[str, List[str]]]:
    """(text, intents) of each message of a development set (tests/nlu/dev_<lang>.yml: a
    `messages:` list of `text:` and `intents: [first]` or `[first, second]`); ValueError,
    naming the item, when the file has another shape."""
    return _labelled_messages(path, "messages", 1, "`intents: [first]` or `[first, second]`")


def _labelled_messages(path: Path, key: str, fewest: int, shape: str) -> List[Tuple[str, List[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{display_path(path)}: no `{key}:` list")
    found = []
    for number, item in enumerate(items, 1):
        if not (isinstance(item, dict) and set(item) == {"text", "intents"}
                and isinstance(item["text"], str) and item["text"].strip()
                and isinstance(item["intents"], list) and fewest <= len(item["intents"]) <= 2
                and all(isinstance(name, str) for name in item["intents"])):
            raise ValueError(f"{display_path(path)}: item {number} needs `text:` and "
                             f"{shape} and nothing else")
        found.append((item["text"].strip(), list(item["intents"])))
    return found


def _scan(path: Path) -> Tuple[List[str], List[_Block]]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks: List[_Block] = []
    current: Optional[_Block] = None
    in_examples = False
    for index, line in enumerate(lines):
        bare = line.rstrip("\n")
        header = _INTENT_LINE.match(bare)
        if header:
            current = _Block(header.group("name"), path, index)
            blocks.append(current)
            in_examples = False
            continue
        if _OTHER_BLOCK.match(bare) or (bare and not bare[0].isspace()):
            current, in_examples = None, False
            continue
        if current is None:
            continue
        key = _EXAMPLES_KEY.match(bare)
        if key:
            in_examples = True
            continue
        example = _EXAMPLE_LINE.match(bare)
        if in_examples and example:
            current.examples_indent = current.examples_indent or example.group("indent")
            current.last_example = index
            current.examples.append((index, example.group("text").strip()))
    return lines, blocks


class NluData:
    """The NLU training data of one language, in one directory (data/nlu/en, data/nlu/zh)."""

    def __init__(self, data_dir: Path, domain: Path = domain_file.DOMAIN_PATH,
                 heldout_dir: Optional[Path] = HELDOUT_DIR):
        self.data_dir = Path(data_dir)
        self.domain = domain
        self.heldout_dir = heldout_dir

    def files(self) -> List[Path]:
        return sorted(p for p in self.data_dir.rglob("*.yml") if p.is_file())

    def blocks(self) -> List[_Block]:
        found: List[_Block] = []
        for path in self.files():
            found.extend(_scan(path)[1])
        return found

    def intent_files(self) -> Dict[str, Path]:
        """Each intent and the file that holds its examples (the first, if several do)."""
        files: Dict[str, Path] = {}
        for block in self.blocks():
            files.setdefault(block.intent, block.file)
        return files

    def where_is(self, text: str) -> List[Tuple[str, Path, int, str]]:
        """(intent, file, 1-based line, example) of every example that is the same sentence."""
        wanted = normalise(text)
        return [
            (block.intent, block.file, index + 1, example)
            for block in self.blocks()
            for index, example in block.examples
            if normalise(example) == wanted
        ]

    def _in_heldout(self, text: str) -> Optional[Path]:
        if self.heldout_dir is None:
            return None
        wanted = normalise(text)
        for path in sorted(self.heldout_dir.glob("heldout_*.yml")):
            for block in _scan(path)[1]:
                if any(normalise(example) == wanted for _, example in block.examples):
                    return path
        for path in sorted(self.heldout_dir.glob("multi_*.yml")):
            if any(normalise(text) == wanted for text, _ in multi_intent_messages(path)):
                return path
        for path in sorted(self.heldout_dir.glob("dev_*.yml")):  # read, but never trained on
            if any(normalise(text) == wanted for text, _ in dev_messages(path)):
                return path
        return None

    def check(self, intent: str, text: str, entities: Sequence[Entity] = ()) -> str:
        """The example line for `text`, or AnnotationRefused saying what is wrong."""
        intents, entity_names = taxonomy(self.domain)
        if intent not in intents:
            raise AnnotationRefused(f"'{intent}' is not an intent of the taxonomy (domain.yml)")
        text = re.sub(r"\s+", " ", text or "").strip()
        if not text:
            raise AnnotationRefused("the example is empty")
        if len(text) > MAX_LENGTH:
            raise AnnotationRefused(f"the example is longer than {MAX_LENGTH} characters")
        left = placeholders_in(text)
        if left:
            raise AnnotationRefused(
                f"replace {', '.join(dict.fromkeys(left))} with a made-up value or reword "
                "the sentence: placeholders are not what borrowers write"
            )
        if _MARKUP_CHARS.search(text):
            raise AnnotationRefused("remove the characters [ ] { }: they are Rasa's markup")
        previous_end = 0
        for entity in sorted(entities, key=lambda e: e.start):
            if entity.entity not in entity_names:
                raise AnnotationRefused(
                    f"'{entity.entity}' is not an entity of domain.yml "
                    f"({', '.join(entity_names)})"
                )
            if not (0 <= entity.start < entity.end <= len(text)) or entity.start < previous_end:
                raise AnnotationRefused("an entity is marked outside the text or over another")
            if not text[entity.start:entity.end].strip():
                raise AnnotationRefused("an entity is marked on blank space")
            previous_end = entity.end
        return markup(text, entities)

    def add_example(self, intent: str, text: str, entities: Sequence[Entity] = ()) -> Written:
        """Writes the example under `intent` (see the module's doc for what is refused)."""
        text = re.sub(r"\s+", " ", text or "").strip()
        example = self.check(intent, text, entities)
        with _locked(self.data_dir):
            same = self.where_is(text)
            elsewhere = [found for found in same if found[0] != intent]
            if elsewhere:
                other, path, line, _ = elsewhere[0]
                raise AnnotationRefused(
                    f"\"{text}\" is already an example of {other} "
                    f"({display_path(path)}, line {line}); an example can stand under one "
                    "intent only. Fix that one first if it is wrong."
                )
            if same:
                _, path, line, existing = same[0]
                return Written(intent, path, line, existing, already_present=True)
            heldout = self._in_heldout(text)
            if heldout is not None:
                kind = "development" if heldout.name.startswith("dev_") else "held-out"
                raise AnnotationRefused(
                    f"\"{text}\" is a sentence of the {kind} test set ({heldout.name}), "
                    "which is never trained on: write a different example"
                )
            block = next((b for b in self.blocks() if b.intent == intent), None)
            if block is None or block.last_example is None:
                raise AnnotationRefused(
                    f"no file under {self.data_dir.name}/ holds examples of {intent} yet; "
                    "a developer adds its block to the topic's file first"
                )
            return self._insert(block, example)

    def _insert(self, block: _Block, example: str) -> Written:
        lines, _ = _scan(block.file)
        at = block.last_example
        if not lines[at].endswith("\n"):
            lines[at] += "\n"
        lines.insert(at + 1, f"{block.examples_indent}- {example}\n")
        before = yaml.safe_load(block.file.read_text(encoding="utf-8"))
        after_text = "".join(lines)
        after = yaml.safe_load(after_text)
        _verify(before, after, block.intent, example)
        _replace(block.file, after_text)
        return Written(block.intent, block.file, at + 2, example)


def _verify(before: dict, after: dict, intent: str, example: str) -> None:
    """The new file must hold exactly the old content plus one example of `intent`."""
    expected = yaml.safe_load(yaml.safe_dump(before))  # a deep copy
    for item in expected.get("nlu") or []:
        if item.get("intent") == intent:
            examples = item["examples"]
            item["examples"] = examples + ("" if examples.endswith("\n") else "\n") + f"- {example}\n"
            break
    if after != expected:
        raise AnnotationRefused(
            "writing this example would change more than one line of the file; "
            "nothing was written (tell a developer: the file's layout is unusual)"
        )


def _replace(path: Path, text: str) -> None:
    """Writes the file whole or not at all: a temporary file, then a rename."""
    mode = path.stat().st_mode
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """One writer at a time per data directory, across processes on this machine (the
    lock file lives in the temp directory, so data/ gains no stray file)."""
    key = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"repay-nlu-{key}.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
