"""Training benchmark: each language's model trained on its NLU data as it is (the baseline)
and on three times as much, in the same run, from an empty training cache each time.

    python -m devtools.training_bench [--languages en zh] [--factor 3]

The larger data set repeats every training example with two neutral lead-ins ("well ...",
"so ..."; "嗯...", "那个..."): as many examples, tokens and n-grams per example as the trainers'
data would have once it triples. Prints seconds per training and the ratio to the baseline;
the target (docs/training.md) is two minutes per language on the 2-core development
machine, the spaCy pipeline's build included, whatever the data's size. The dialogue policies
train in every run here (each from an empty cache), so these figures are the dearer case:
`./repay setup` trains them once for all languages.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.training import (
    LANGUAGES,
    ROOT,
    TRAINING_OPTIONS,
    ensure_spacy_pipeline,
    nlu_dir,
    rasa_command,
    rasa_env,
    training_data_args,
)

LEAD_INS: Dict[str, List[str]] = {"en": ["well ", "so "], "zh": ["嗯", "那个"]}


def multiplied(lang: str, factor: int, out: Path) -> int:
    """Writes `lang`'s NLU data with each example `factor` times (the original first, then
    with lead-ins) into `out`; returns the number of examples written."""
    lead_ins = ([""] + LEAD_INS[lang] * factor)[:factor]
    count = 0
    for source in sorted(nlu_dir(lang).rglob("*.yml")):
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" not in block:
                continue  # regexes, lookups and synonyms stay as they are
            examples = [line.strip()[2:] for line in block["examples"].splitlines()
                        if line.strip().startswith("- ")]
            block["examples"] = "".join(f"- {lead}{e}\n" for lead in lead_ins for e in examples)
            count += len(examples) * len(lead_ins)
        target = out / source.relative_to(nlu_dir(lang))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
    return count


def train_seconds(lang: str, nlu: Optional[Path], work: Path, name: str) -> float:
    """One training from an empty cache into `work`, the spaCy pipeline's build included."""
    started = time.monotonic()
    if lang == "en":
        ensure_spacy_pipeline(force=True)
    subprocess.run(
        [*rasa_command(), "train", "--skip-validation", *TRAINING_OPTIONS,
         *training_data_args(lang, nlu), "--fixed-model-name", name, "--out", str(work)],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        env={**rasa_env(), "LOG_LEVEL": "WARNING", "RASA_CACHE_DIRECTORY": str(work / f"cache-{name}")},
    )
    return time.monotonic() - started


def count_examples(lang: str) -> int:
    return sum(
        sum(1 for line in block["examples"].splitlines() if line.strip().startswith("- "))
        for source in nlu_dir(lang).rglob("*.yml")
        for block in (yaml.safe_load(source.read_text(encoding="utf-8")) or {}).get("nlu") or []
        if "intent" in block
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.training_bench")
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    parser.add_argument("--factor", type=int, default=3, help="how many times the data (3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="training-bench-") as tmp:
        work = Path(tmp)
        for lang in args.languages:
            larger = work / f"nlu-{lang}-x{args.factor}"
            examples = multiplied(lang, args.factor, larger)
            baseline = train_seconds(lang, None, work, f"{lang}-baseline")
            print(f"{lang}  baseline     {count_examples(lang):>6} examples  {baseline:6.0f} s  x1.00",
                  flush=True)
            seconds = train_seconds(lang, larger, work, f"{lang}-x{args.factor}")
            print(f"{lang}  data x{args.factor:<6} {examples:>6} examples  {seconds:6.0f} s  "
                  f"x{seconds / baseline:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
