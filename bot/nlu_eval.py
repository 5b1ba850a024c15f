"""One evaluation of a model on the held-out NLU test set, shared by the gate
(bot/nlu_gate.py) and the report (bot/nlu_report.py).

`evaluate` runs `rasa test nlu` as a subprocess on tests/nlu/heldout_<lang>.yml and reads
what Rasa writes to the output directory: intent_report.json (precision, recall, F1 and
support per intent, and accuracy), intent_errors.json (each misclassified sentence with
what the model said), intent_confusion_matrix.png and intent_histogram.png.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from bot.training import ROOT, rasa_command, rasa_env

HELDOUT_DIR = ROOT / "tests" / "nlu"
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")
RASA_OUTPUTS = ("intent_report.json", "intent_errors.json", "intent_confusion_matrix.png",
                "intent_histogram.png")


def heldout_path(lang: str) -> Path:
    return HELDOUT_DIR / f"heldout_{lang}.yml"


def dev_paths(lang: str) -> List[Path]:
    """The development sets (bot/nlu_dev.py), one a round, oldest first (dev_<lang>.yml, then
    dev_<lang>_2.yml, ...): read to find what is missed, never trained on."""
    rounds = {int(m.group(1)): path for path in HELDOUT_DIR.glob(f"dev_{lang}_*.yml")
              if (m := re.fullmatch(rf"dev_{lang}_(\d+)", path.stem))}
    first = HELDOUT_DIR / f"dev_{lang}.yml"
    return ([first] if first.exists() else []) + [rounds[n] for n in sorted(rounds)]


def multi_path(lang: str) -> Path:
    """The held-out messages that carry two intents at once (not part of the gate)."""
    return HELDOUT_DIR / f"multi_{lang}.yml"


def per_intent(report: dict) -> Dict[str, dict]:
    """The rows of the intents the held-out set has. A label only ever predicted (the safety
    layer's `check_safety`: a question, not an answer) has no recall and no F1 worth a floor;
    its predictions count as misses of the intents they were made for."""
    return {k: v for k, v in report.items()
            if k not in SUMMARY_ROWS and isinstance(v, dict) and float(v.get("support", 1)) > 0}


@dataclass(frozen=True)
class Confusion:
    intent: str  # what the sentence is
    predicted: str  # what the model said
    count: int
    texts: List[str]


@dataclass
class Evaluation:
    lang: str
    model: str  # the model's file name
    out: Path  # where Rasa wrote its files
    report: dict
    errors: List[dict] = field(default_factory=list)
    generated_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    )

    @property
    def accuracy(self) -> float:
        return float(self.report["accuracy"])

    @property
    def intents(self) -> Dict[str, dict]:
        return per_intent(self.report)

    @property
    def size(self) -> int:
        return sum(int(f["support"]) for f in self.intents.values())

    def confusions(self) -> List[Confusion]:
        """Pairs of (true intent, predicted intent), most frequent first."""
        counts: Counter = Counter()
        texts: Dict[tuple, List[str]] = defaultdict(list)
        for error in self.errors:
            pair = (error.get("intent"), (error.get("intent_prediction") or {}).get("name"))
            counts[pair] += 1
            texts[pair].append(error.get("text", ""))
        return [
            Confusion(intent, predicted, count, texts[(intent, predicted)])
            for (intent, predicted), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    def summary(self) -> dict:
        """What the next report compares itself with."""
        return {
            "lang": self.lang,
            "model": self.model,
            "generated_at": self.generated_at,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(float(self.report.get("macro avg", {}).get("f1-score", 0.0)), 4),
            "weighted_f1": round(float(self.report.get("weighted avg", {}).get("f1-score", 0.0)), 4),
            "size": self.size,
            "intents": {
                name: {
                    "precision": round(float(f["precision"]), 4),
                    "recall": round(float(f["recall"]), 4),
                    "f1": round(float(f["f1-score"]), 4),
                    "support": int(f["support"]),
                }
                for name, f in sorted(self.intents.items())
            },
            "errors": sorted(
                ({"text": e.get("text", ""), "intent": e.get("intent"),
                  "predicted": (e.get("intent_prediction") or {}).get("name")}
                 for e in self.errors),
                key=lambda e: (e["intent"] or "", e["text"]),
            ),
        }


def load(lang: str, out: Path, model: str) -> Evaluation:
    """An evaluation from the files a `rasa test nlu` run left in `out`."""
    report = json.loads((out / "intent_report.json").read_text())
    errors_file = out / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    return Evaluation(lang=lang, model=model, out=out, report=report, errors=errors)


def evaluate(lang: str, model: Path, out: Path) -> Evaluation:
    """Runs `rasa test nlu` for `model` on the held-out set of `lang` into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for name in RASA_OUTPUTS:  # a stale file must never pass for this run's
        (out / name).unlink(missing_ok=True)
    run = subprocess.run(
        [*rasa_command(), "test", "nlu", "--nlu", str(heldout_path(lang)),
         "--model", str(model), "--out", str(out)],
        cwd=ROOT, env={"LOG_LEVEL": "WARNING", **rasa_env()},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,  # progress bars
    )
    if run.returncode != 0:
        raise RuntimeError(f"rasa test nlu ({lang}) exited {run.returncode}:\n{run.stderr[-3000:]}")
    return load(lang, out, model.name)
