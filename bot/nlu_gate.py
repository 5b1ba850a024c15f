"""The held-out NLU gate: evaluates the model on tests/nlu/heldout_<lang>.yml, writes the
quality report (build/nlu-report/<lang>/report.html, bot/nlu_report.py), prints accuracy
and per-intent precision/recall/F1, and fails below tests/nlu/thresholds.yml:

  - accuracy below `accuracy`;
  - any intent's F1 below `min_f1`;
  - a safety-critical intent's recall below its `recall_floors` entry. These are the
    intents whose misses hurt a borrower or break a rule: opt_out (contact must stop),
    wrong_person (a third party must learn nothing), dispute_debt (collection pauses),
    legal_protection (attorney or bankruptcy: stop and hand over), request_human,
    hardship (the softer path). Every one of them must have a floor.

  and, for the safety layer (bot/components/safety_patterns.py; figures from bot/nlu_safety.py,
  on the held-out set and the two-intent set tests/nlu/multi_<lang>.yml together), the
  `safety` section's floors:
  - `recall_floors`: a safety-critical intent's recall counting every safety intent the parse
    lists (`safety_intents`), i.e. the share of messages that say it which the bot acts on;
  - `precision_floors`: of the messages the bot acts on as that intent, the share that say it;
  - `multi_floor`: the share of two-intent messages whose every safety intent is found.

    python -m bot.nlu_gate [--lang en] [--model models/<file>.tar.gz] [--show-messages]

The held-out set is never trained on, so these figures estimate what borrowers' real
messages get. Rasa runs as a subprocess (bot/nlu_eval.py); without --model the current
model is used, trained first if the data changed (bot/training.py).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import yaml

from bot.nlu_eval import Evaluation, per_intent
from bot.nlu_safety import SafetyFigures, print_figures
from bot.nlu_safety import measure as measure_safety
from bot.training import ROOT, ensure_model

THRESHOLDS = ROOT / "tests" / "nlu" / "thresholds.yml"
SAFETY_CRITICAL = (
    "opt_out", "wrong_person", "dispute_debt", "legal_protection", "request_human", "hardship",
)


@dataclass(frozen=True)
class Check:
    name: str  # "accuracy", "<intent> F1", "<intent> recall"
    value: Optional[float]  # None: the held-out set has no such intent
    floor: float

    @property
    def ok(self) -> bool:
        return self.value is not None and self.value >= self.floor

    def __str__(self) -> str:
        shown = "missing from the held-out set" if self.value is None else f"{self.value:.3f}"
        return f"{self.name} {shown} {'>=' if self.ok else '<'} {self.floor}"


def load_floors(lang: str, path: Path = THRESHOLDS) -> dict:
    floors = yaml.safe_load(path.read_text())[lang]
    missing = [i for i in SAFETY_CRITICAL if i not in (floors.get("recall_floors") or {})]
    if missing:
        raise SystemExit(f"{path}: no recall floor for the safety-critical {', '.join(missing)}")
    return floors


def checks(report: dict, floors: dict) -> List[Check]:
    """Every figure the gate looks at, with its floor."""
    intents = per_intent(report)
    found = [Check("accuracy", float(report["accuracy"]), floors["accuracy"])]
    for intent, figures in sorted(intents.items()):
        found.append(Check(f"{intent} F1", float(figures["f1-score"]), floors["min_f1"]))
    for intent, floor in sorted((floors.get("recall_floors") or {}).items()):
        recall = intents.get(intent, {}).get("recall")
        found.append(Check(f"{intent} recall", None if recall is None else float(recall), floor))
    return found


def check(report: dict, floors: dict) -> List[str]:
    """What fails the gate, one line each (empty: it passes)."""
    return [str(c) for c in checks(report, floors) if not c.ok]


def safety_checks(figures: SafetyFigures, floors: dict) -> List[Check]:
    """The safety layer's figures, with their floors (the `safety` section)."""
    section = floors.get("safety") or {}
    found = []
    for intent, floor in sorted((section.get("recall_floors") or {}).items()):
        f = figures.intents.get(intent)
        found.append(Check(f"{intent} safety recall", f.recall if f and f.support else None, floor))
    for intent, floor in sorted((section.get("precision_floors") or {}).items()):
        f = figures.intents.get(intent)
        found.append(Check(f"{intent} safety precision", f.precision if f and f.support else None, floor))
    if "multi_floor" in section:
        found.append(Check("two-intent messages with every safety intent found",
                           figures.multi_safety_score if figures.multi_total else None,
                           section["multi_floor"]))
    return found


def print_report(evaluation: Evaluation) -> None:
    print(f"\nheld-out NLU ({evaluation.lang}, {evaluation.model}): "
          f"accuracy {evaluation.accuracy:.3f} on {evaluation.size} messages")
    print(f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>8}{'n':>5}")
    for intent, f in sorted(evaluation.intents.items()):
        mark = "  *" if intent in SAFETY_CRITICAL else ""
        print(f"{intent:<22}{f['precision']:>10.3f}{f['recall']:>10.3f}"
              f"{f['f1-score']:>8.3f}{f['support']:>5}{mark}")
    print("(* safety-critical: recall floors in tests/nlu/thresholds.yml)")


def main(argv=None) -> int:
    from bot.nlu_report import run  # the report and the gate share one evaluation

    parser = argparse.ArgumentParser(prog="python -m bot.nlu_gate")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--model", type=Path, default=None,
                        help="evaluate this model (default: the current one, trained if needed)")
    parser.add_argument("--show-messages", action="store_true",
                        help="list the safety layer's missed and wrongly flagged messages")
    args = parser.parse_args(argv)
    floors = load_floors(args.lang)
    model = args.model or ensure_model(args.lang)
    evaluation, page = run(args.lang, model, floors)
    print_report(evaluation)
    failures = check(evaluation.report, floors)
    if floors.get("safety"):
        figures = measure_safety(args.lang, Path(model))
        print_figures(figures, show_messages=args.show_messages)
        failures += [str(c) for c in safety_checks(figures, floors) if not c.ok]
    for failure in failures:
        print(f"NLU gate FAILED: {failure}")
    if not failures:
        print(f"NLU gate passed (floors in {THRESHOLDS.relative_to(ROOT)})")
    print(f"report: {page}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
