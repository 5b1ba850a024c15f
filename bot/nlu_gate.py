"""The held-out NLU gate: evaluates the model on tests/nlu/heldout_<lang>.yml, prints
accuracy and per-intent precision/recall/F1, and fails below tests/nlu/thresholds.yml.

    python -m bot.nlu_gate [--lang en]

The held-out set is never trained on, so these figures estimate what borrowers'
real messages get. Rasa runs as a subprocess (`rasa test nlu`).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

from bot.training import ROOT, ensure_model, rasa_bin, rasa_env

THRESHOLDS = ROOT / "tests" / "nlu" / "thresholds.yml"
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def evaluate(lang: str, model: Path, out: Path) -> dict:
    subprocess.run(
        [rasa_bin(), "test", "nlu", "--nlu", str(ROOT / "tests" / "nlu" / f"heldout_{lang}.yml"),
         "--model", str(model), "--out", str(out)],
        check=True, cwd=ROOT, env=rasa_env(), stdout=subprocess.DEVNULL,
    )
    return json.loads((out / "intent_report.json").read_text())


def per_intent(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in SUMMARY_ROWS and isinstance(v, dict)}


def check(report: dict, floors: dict) -> list:
    failures = []
    if report["accuracy"] < floors["accuracy"]:
        failures.append(f"accuracy {report['accuracy']:.3f} < {floors['accuracy']}")
    for intent, figures in sorted(per_intent(report).items()):
        if figures["f1-score"] < floors["min_f1"]:
            failures.append(f"{intent} F1 {figures['f1-score']:.3f} < {floors['min_f1']}")
    return failures


def print_report(lang: str, report: dict) -> None:
    print(f"\nheld-out NLU ({lang}): accuracy {report['accuracy']:.3f}")
    print(f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>8}{'n':>5}")
    for intent, f in sorted(per_intent(report).items()):
        print(f"{intent:<22}{f['precision']:>10.3f}{f['recall']:>10.3f}"
              f"{f['f1-score']:>8.3f}{f['support']:>5}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_gate")
    parser.add_argument("--lang", default="en")
    args = parser.parse_args(argv)
    floors = yaml.safe_load(THRESHOLDS.read_text())[args.lang]
    out = ROOT / "build" / "nlu-report" / args.lang
    report = evaluate(args.lang, ensure_model(), out)
    print_report(args.lang, report)
    failures = check(report, floors)
    for failure in failures:
        print(f"NLU gate FAILED: {failure}")
    if not failures:
        print(f"NLU gate passed (floors: {floors})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
