"""The safety layer's figures on the held-out sets, read by the gate (bot/nlu_gate.py):

  - per safety-critical intent, on tests/nlu/heldout_<lang>.yml and the two-intent
    tests/nlu/multi_<lang>.yml together: recall (the share of messages that say it whose
    parse has it as the intent or among `safety_intents`, so the bot acts on it), the share
    asked about instead (intent `check_safety` naming it: one yes-or-no question), and
    precision (of the messages the bot would act on as this intent, the share that say it);
  - the patterns alone (language/safety.py, no model): how many held-out messages each intent's
    patterns match and how many of those say the intent (the patterns' precision);
  - the two-intent score: the share of multi messages whose every listed intent is the
    parse's intent or among its safety intents, and the share whose listed safety intents
    all are (what the safety layer is for; a second, non-safety intent beside a safety one
    cannot be both the intent and a safety intent).

Each message is parsed by the model itself (bot/nlu_parse.py, in its own process).
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Set, Tuple

import yaml

from bot.annotation import _scan
from bot.nlu_eval import HELDOUT_DIR, heldout_path
from bot.training import ROOT, rasa_env
from language import safety
from settings.runtimes import dialogue_python

SAFETY_CRITICAL = safety.SEVERITY
CHECK_INTENT = "check_safety"
_MARKUP = re.compile(r"\[(?P<words>[^\]]*)\](?:\([^)]*\)|\{[^}]*\})")

Labelled = Tuple[Tuple[str, ...], str]  # (the intents a message says, its text)


def multi_path(lang: str) -> Path:
    return HELDOUT_DIR / f"multi_{lang}.yml"


def heldout_messages(lang: str) -> List[Labelled]:
    found = []
    for block in _scan(heldout_path(lang))[1]:
        for _, example in block.examples:
            found.append(((block.intent,), _MARKUP.sub(lambda m: m.group("words"), example)))
    return found


def multi_messages(lang: str) -> List[Labelled]:
    path = multi_path(lang)
    if not path.exists():
        return []
    items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("multi_intent") or []
    return [(tuple(item["intents"]), str(item["text"])) for item in items]


def parse_all(model: Path, texts: Sequence[str]) -> List[dict]:
    """The model's parse of each text (bot.nlu_parse, one process for all of them)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("\n".join(t.replace("\n", " ") for t in texts))
        listing = Path(f.name)
    try:
        run = subprocess.run(
            [dialogue_python(), "-m", "bot.nlu_parse", "--json", "--model", str(model), "--file", str(listing)],
            cwd=ROOT, env={"LOG_LEVEL": "WARNING", **rasa_env()}, capture_output=True, text=True,
        )
    finally:
        listing.unlink(missing_ok=True)
    if run.returncode != 0:
        raise RuntimeError(f"bot.nlu_parse exited {run.returncode}:\n{run.stderr[-3000:]}")
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    if len(results) != len(texts):
        raise RuntimeError(f"bot.nlu_parse parsed {len(results)} of {len(texts)} messages")
    return results


def acted_on(parse: dict) -> Set[str]:
    """The safety intents the bot acts on for this parse (no question first)."""
    return ({parse.get("intent")} | set(parse.get("safety_intents") or [])) & set(SAFETY_CRITICAL)


@dataclass
class IntentFigures:
    support: int = 0  # messages that say it
    found: int = 0  # ... whose parse has it (acted on)
    asked: int = 0  # ... asked about instead
    flagged: int = 0  # messages acted on as this intent
    flagged_right: int = 0  # ... that say it
    pattern_hits: int = 0  # messages its patterns match
    pattern_right: int = 0  # ... that say it

    @property
    def recall(self) -> float:
        return self.found / self.support if self.support else 0.0

    @property
    def heard(self) -> float:
        """Acted on or asked about: not missed."""
        return (self.found + self.asked) / self.support if self.support else 0.0

    @property
    def precision(self) -> float:
        return self.flagged_right / self.flagged if self.flagged else 1.0

    @property
    def pattern_precision(self) -> float:
        return self.pattern_right / self.pattern_hits if self.pattern_hits else 1.0


@dataclass
class SafetyFigures:
    lang: str
    intents: Dict[str, IntentFigures] = field(default_factory=dict)
    multi_total: int = 0
    multi_all: int = 0  # every listed intent found
    multi_safety: int = 0  # every listed safety intent found
    asked_wrongly: int = 0  # questions about an intent the message does not say
    misses: List[Tuple[str, str, str]] = field(default_factory=list)  # (intent, parse, text)
    false_alarms: List[Tuple[str, str, str]] = field(default_factory=list)

    @property
    def multi_score(self) -> float:
        return self.multi_all / self.multi_total if self.multi_total else 0.0

    @property
    def multi_safety_score(self) -> float:
        return self.multi_safety / self.multi_total if self.multi_total else 0.0


def score(lang: str, single: List[Labelled], multi: List[Labelled], parses: List[dict],
          patterns: safety.SafetyPatterns) -> SafetyFigures:
    figures = SafetyFigures(lang, {i: IntentFigures() for i in SAFETY_CRITICAL})
    for (labels, text), parse in zip([*single, *multi], parses):
        says, acted = set(labels), acted_on(parse)
        asked = parse.get("safety_check") if parse.get("intent") == CHECK_INTENT else None
        if asked and asked not in says:
            figures.asked_wrongly += 1
        matched = set(patterns.matched(text))
        shown = parse.get("intent") if not asked else f"check_safety({asked})"
        for intent, f in figures.intents.items():
            if intent in says:
                f.support += 1
                if intent in acted:
                    f.found += 1
                elif asked == intent:
                    f.asked += 1
                else:
                    figures.misses.append((intent, shown, text))
            if intent in acted:
                f.flagged += 1
                f.flagged_right += intent in says
                if intent not in says:
                    figures.false_alarms.append((intent, shown, text))
            if intent in matched:
                f.pattern_hits += 1
                f.pattern_right += intent in says
    for (labels, _), parse in zip(multi, parses[len(single):]):
        found = acted_on(parse) | {parse.get("intent")}
        figures.multi_total += 1
        figures.multi_all += set(labels) <= found
        figures.multi_safety += (set(labels) & set(SAFETY_CRITICAL)) <= found
    return figures


def measure(lang: str, model: Path) -> SafetyFigures:
    single, multi = heldout_messages(lang), multi_messages(lang)
    parses = parse_all(model, [text for _, text in [*single, *multi]])
    return score(lang, single, multi, parses, safety.load(lang))


def print_figures(figures: SafetyFigures, show_messages: bool = False,
                  title: str = "held-out and two-intent messages") -> None:
    """The table; `show_messages` lists the missed and wrongly flagged messages too (for
    trainers: never write patterns from them, docs/conversation.md, "The safety layer")."""
    print(f"\nsafety layer ({figures.lang}): {title}")
    print(f"{'intent':<18}{'recall':>8}{'asked':>7}{'heard':>7}{'precision':>10}{'n':>5}"
          f"{'patterns: hits':>16}{'precision':>10}")
    for intent, f in figures.intents.items():
        print(f"{intent:<18}{f.recall:>8.3f}{f.asked:>7}{f.heard:>7.3f}{f.precision:>10.3f}{f.support:>5}"
              f"{f.pattern_hits:>16}{f.pattern_precision:>10.3f}")
    print(f"(recall: acted on at once; asked: a yes-or-no question instead; heard: either. "
          f"{figures.asked_wrongly} question(s) about an intent the message did not say)")
    if figures.multi_total:
        print(f"two-intent messages: every intent found {figures.multi_score:.3f} "
              f"({figures.multi_all} of {figures.multi_total}); every safety intent found "
              f"{figures.multi_safety_score:.3f} ({figures.multi_safety} of {figures.multi_total})")
    if not show_messages:
        return
    for intent, shown, text in figures.misses:
        print(f"  missed {intent:<17} as {shown:<28} {text}")
    counts = Counter(intent for intent, _, _ in figures.false_alarms)
    for intent, shown, text in figures.false_alarms:
        print(f"  wrongly {intent:<16} ({counts[intent]}) from {shown:<20} {text}")
