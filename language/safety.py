"""The safety patterns: reviewed phrases that mark a message as one of the safety-critical
intents whatever the statistical model says (data/safety/<lang>.yml, docs/conversation.md, "The safety layer").

A borrower who writes "wrong number", "my lawyer handles this" or "stop texting me" has
said it explicitly; the NLU must not depend on a classifier's weights to hear it. Each
language's file lists, per intent, regular expressions written for explicit phrases only,
each with an example it must match (checked when the file is loaded, so a broken pattern
fails training and the tests, never a conversation) and optionally `unless`, a pattern that
cancels it ("don't stop texting me" is not an opt-out). The file's `never` sentences must
match no pattern: they keep the precision in view ("I can't stop worrying about this").
A pattern marked `ask: true` is one whose phrase usually, not always, says the intent ("I'm not
<name>" against "I'm not british"): it never decides, the bot asks about it in one yes-or-no
question instead, and `never` does not bind it.

Pure Python: the NLU component (bot/components/safety_patterns.py), the gate and the tests
use it; nothing here imports rasa.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAFETY_DIR = ROOT / "data" / "safety"

# The safety-critical intents, most severe first: when a message says several, the first
# decides the conversation's next step and the others are honoured beside it (actions/safety.py).
#   wrong_person      a stranger must learn nothing, and the number is suppressed for good
#   legal_protection  an attorney or bankruptcy: contact stops and a person takes over
#   opt_out           the channel stops at once
#   dispute_debt      collection pauses until a person resolves it
#   request_human     a person takes over
#   hardship          the softer path, flagged as vulnerable
SEVERITY: Tuple[str, ...] = (
    "wrong_person", "legal_protection", "opt_out", "dispute_debt", "request_human", "hardship",
)
# What the borrower asks for, beside which a hardship they mention is a circumstance, not the
# request: "I lost my job, can I pay later" asks for more time (and is flagged as hardship).
REQUESTS = frozenset({
    "request_deferral", "request_instalment", "request_date_change", "promise_to_pay", "callback_later",
})


class PatternError(ValueError):
    """A safety pattern file that is malformed or whose examples do not hold."""


def normalise(text: str) -> str:
    """The form patterns are written for: NFKC (full-width letters and digits as ASCII), lower
    case, straight apostrophes, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Pattern:
    intent: str
    regex: "re.Pattern[str]"
    example: str
    unless: Optional["re.Pattern[str]"] = None
    ask: bool = False  # a match is asked about, never acted on

    def matches(self, normalised: str) -> bool:
        if not self.regex.search(normalised):
            return False
        return not (self.unless and self.unless.search(normalised))


@dataclass(frozen=True)
class SafetyPatterns:
    language: str
    patterns: Tuple[Pattern, ...]
    never: Tuple[str, ...] = ()

    def matched(self, text: str) -> List[str]:
        """The safety intents whose patterns match `text`, most severe first."""
        return self._intents(text, ask=False)

    def to_ask(self, text: str) -> List[str]:
        """The safety intents whose `ask` patterns match `text`, most severe first."""
        return self._intents(text, ask=True)

    def _intents(self, text: str, ask: bool) -> List[str]:
        said = normalise(text)
        found = {p.intent for p in self.patterns if p.ask == ask and p.matches(said)}
        return [intent for intent in SEVERITY if intent in found]

    def matching(self, text: str) -> List[Pattern]:
        """The patterns that match `text` (for reviewing a pattern's reach)."""
        said = normalise(text)
        return [p for p in self.patterns if p.matches(said)]


def _compile(source: str, where: str) -> "re.Pattern[str]":
    try:
        return re.compile(source)
    except re.error as error:
        raise PatternError(f"{where}: not a regular expression ({error}): {source!r}") from None


def parse(text: str, source: str = "<patterns>") -> SafetyPatterns:
    """Reads a pattern file's text and checks it: every pattern matches its example, and no
    pattern matches a `never` sentence."""
    data = yaml.safe_load(text) or {}
    language = data.get("language")
    if not language:
        raise PatternError(f"{source}: no `language`")
    intents = data.get("intents") or {}
    unknown = sorted(set(intents) - set(SEVERITY))
    if unknown:
        raise PatternError(f"{source}: not safety-critical intents: {', '.join(unknown)}")
    patterns: List[Pattern] = []
    for intent, entries in intents.items():
        for n, entry in enumerate(entries or [], start=1):
            where = f"{source}: {intent} #{n}"
            if not isinstance(entry, dict) or not entry.get("pattern") or not entry.get("example"):
                raise PatternError(f"{where}: needs `pattern` and `example`")
            unless = entry.get("unless")
            pattern = Pattern(intent, _compile(entry["pattern"], where), str(entry["example"]),
                              _compile(unless, where + " unless") if unless else None,
                              bool(entry.get("ask", False)))
            if not pattern.matches(normalise(pattern.example)):
                raise PatternError(f"{where}: does not match its example {pattern.example!r}")
            patterns.append(pattern)
    never = tuple(str(s) for s in data.get("never") or ())
    found = SafetyPatterns(language, tuple(patterns), never)
    for sentence in never:
        hits = [p for p in found.matching(sentence) if not p.ask]
        if hits:
            raise PatternError(f"{source}: {sentence!r} (listed under `never`) matches "
                               f"{hits[0].intent} pattern {hits[0].regex.pattern!r}")
    return found


def pattern_path(lang: str) -> Path:
    return SAFETY_DIR / f"{lang}.yml"


def load(lang: str, path: Optional[Path] = None) -> SafetyPatterns:
    path = path or pattern_path(lang)
    return parse(path.read_text(encoding="utf-8"), str(path))


def decide(
    matched: Sequence[str], model_intent: Optional[str], model_confident: bool,
) -> Tuple[Optional[str], List[str]]:
    """The message's intent and its safety intents, from what the patterns matched and what
    the model predicted (`model_confident`: above the fallback threshold).

    Returns (intent, safety_intents): `intent` is None when the model's prediction stands
    (no pattern matched);
    `safety_intents` lists every safety intent the message says, most severe first. The most
    severe one becomes the intent, except that a hardship the model heard beside a request
    (more time, a plan, a date) leaves the request as the intent.
    """
    said = set(matched)
    if model_confident and model_intent in SEVERITY:
        said.add(model_intent)
    safety = [intent for intent in SEVERITY if intent in said]
    if not matched:
        return None, safety
    top = safety[0]
    if top == "hardship" and model_confident and model_intent in REQUESTS:
        return None, safety
    return top, safety


def severest(intents: Iterable[str]) -> Optional[str]:
    found = set(intents)
    return next((intent for intent in SEVERITY if intent in found), None)


def all_languages() -> Dict[str, SafetyPatterns]:
    return {path.stem: load(path.stem, path) for path in sorted(SAFETY_DIR.glob("*.yml"))}
