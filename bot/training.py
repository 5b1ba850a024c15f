"""Builds what the dialogue models need, only when their inputs changed.

One model per language (see docs/languages.md): they share domain.yml,
data/rules and data/stories, and differ in their NLU pipeline (config.yml for English,
config.<lang>.yml for the others) and NLU data (data/nlu/<lang>/).

`python -m bot.training [--evaluate] [--force] [LANG ...]` (default: every language, English
first) makes sure that
  1. the spaCy pipeline in build/spacy/en matches bot/spacy_pipeline.py and its patterns, and
  2. models/repay-<lang>-<fingerprint>.tar.gz exists for the current config, domain and data.
The fingerprint hashes every input, so an unchanged repository never retrains and a
changed example always does. Beside each model, repay-<lang>-<fingerprint>.json keeps how
long its training took. `--evaluate` (what `./repay train` runs) then scores each model on
its held-out set and prints training time and accuracy side by side, so the cost and the
gain of a setting are read together. Rasa runs as a subprocess: nothing here imports it.

Why training is fast (docs/training.md): DIET classifies intents without transformer
layers (the features are bags of words and character n-grams, which the layers did not
improve on the held-out sets) and TED trains once for every language: the dialogue
policies are identical (tests/unit/test_model_configs.py), so the second language takes
them from Rasa's training cache.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

from bot.domain_file import DOMAIN_PATH
from settings.runtimes import dialogue_python

ROOT = Path(__file__).resolve().parent.parent
SPACY_DIR = ROOT / "build" / "spacy" / "en"
MODELS_DIR = ROOT / "models"
NLU_DIR = ROOT / "data" / "nlu"
KEEP_MODELS = 3  # per language

# Each language's NLU pipeline and what else its training reads besides data/nlu/<lang>.
CONFIGS: Dict[str, str] = {"en": "config.yml", "zh": "config.zh.yml"}
EXTRA_INPUTS: Dict[str, List[str]] = {
    "en": [],  # the spaCy pipeline: its fingerprint is part of the model's
    "zh": ["language/zh/userdict/*.txt"],
}
LANGUAGES = tuple(CONFIGS)
DOMAIN_FILE = str(DOMAIN_PATH.relative_to(ROOT))  # shared by the languages, given as the configs are
SHARED_DATA = ("data/rules", "data/stories")
# Rasa's default (50) stitches the stories together into longer made-up histories for TED.
# With max_history 5 and the rules carrying the conversation they added nothing (the 54 test
# stories pass either way) and cost two thirds of the dialogue's training time.
TRAINING_OPTIONS = ("--augmentation", "0")


def _files(patterns: Iterable[str]) -> List[Path]:
    found = set()
    for pattern in patterns:
        found.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(found)


def _digest(files: List[Path], *extra: str) -> str:
    sha = hashlib.sha256("\0".join(extra).encode())
    for path in files:
        sha.update(str(path.relative_to(ROOT)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def spacy_fingerprint() -> str:
    return _digest(_files(["bot/spacy_pipeline.py", "bot/entity_patterns.py",
                           "language/vocabulary.py"]))


def config_path(lang: str) -> Path:
    return ROOT / CONFIGS[lang]


def nlu_dir(lang: str) -> Path:
    return NLU_DIR / lang


def model_fingerprint(lang: str = "en") -> str:
    inputs = _files([CONFIGS[lang], DOMAIN_FILE, f"data/nlu/{lang}/**/*.yml",
                     *(f"{d}/**/*.yml" for d in SHARED_DATA), "bot/components/*.py",
                     "language/safety.py", f"data/safety/{lang}.yml", *EXTRA_INPUTS[lang]])
    return _digest(inputs, *TRAINING_OPTIONS) + (spacy_fingerprint()[:4] if lang == "en" else "")


def model_path(lang: str = "en") -> Path:
    return MODELS_DIR / f"repay-{lang}-{model_fingerprint(lang)}.tar.gz"


def rasa_env() -> dict:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no network here, nor wanted
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


# Set to 1 in a Rasa process's environment: Rasa without bot/rasa_speedups.py (the
# benchmark's comparison).
STOCK_RASA_SWITCH = "REPAY_STOCK_RASA"


def rasa_command() -> List[str]:
    """Rasa's command line in the dialogue runtime (settings/runtimes.py), without its
    dependencies' deprecation notices (bot/rasa_cli.py says why)."""
    return [dialogue_python(), "-m", "bot.rasa_cli"]


def training_data_args(lang: str, nlu: Optional[Path] = None) -> List[str]:
    """`--config/--domain/--data` for `rasa train` or `rasa data validate` of one language
    (its NLU data from `nlu` instead of data/nlu/<lang> when given)."""
    return ["--config", CONFIGS[lang], "--domain", DOMAIN_FILE,
            "--data", str(nlu or f"data/nlu/{lang}"), *SHARED_DATA]


def ensure_spacy_pipeline(force: bool = False) -> None:
    stamp = SPACY_DIR / ".fingerprint"
    wanted = spacy_fingerprint()
    if stamp.exists() and stamp.read_text() == wanted and not force:
        return
    print("training: building the spaCy pipeline", flush=True)
    subprocess.run([dialogue_python(), "-m", "bot.spacy_pipeline", str(SPACY_DIR)], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def record_path(model: Path) -> Path:
    """The file beside a model that keeps how long its training took."""
    return model.with_name(model.name[: -len(".tar.gz")] + ".json")


def training_seconds(model: Path) -> Optional[float]:
    try:
        return float(json.loads(record_path(model).read_text())["seconds"])
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def progress(what: str, every: float = 20.0) -> Iterator[None]:
    """Prints `what` with the elapsed time every `every` seconds until the block ends:
    a long step that says nothing looks like a hung one."""
    started, done = time.monotonic(), threading.Event()

    def tick() -> None:
        while not done.wait(every):
            print(f"training: {what}, {time.monotonic() - started:.0f} s", flush=True)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


def ensure_model(lang: str = "en", force: bool = False) -> Path:
    started = time.monotonic()
    if lang == "en":
        ensure_spacy_pipeline(force)
    target = model_path(lang)
    if target.exists() and not force:
        print(f"training: {lang} model up to date ({target.name})", flush=True)
        return target
    print(f"training: {lang}: data, config or domain changed; training {target.name}", flush=True)
    with progress(f"training {lang}"):
        subprocess.run(
            # Validation is bot/validate.py's job (./repay test): Rasa's own would warn about
            # every response only the actions send, which it cannot see.
            [*rasa_command(), "train", "--skip-validation", *TRAINING_OPTIONS,
             *training_data_args(lang),
             "--fixed-model-name", target.name[: -len(".tar.gz")], "--out", str(MODELS_DIR),
             *(["--force"] if force else [])],
            check=True, cwd=ROOT, env={"LOG_LEVEL": "WARNING", **rasa_env()},
        )
    seconds = time.monotonic() - started  # the spaCy pipeline's build included
    record_path(target).write_text(json.dumps({
        "seconds": round(seconds, 1),
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))
    print(f"training: {lang} done in {seconds:.0f} s", flush=True)
    old = sorted(MODELS_DIR.glob(f"repay-{lang}-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for stale in old[:-KEEP_MODELS]:
        stale.unlink()
        record_path(stale).unlink(missing_ok=True)
    return target


def ensure_models(languages: Iterable[str] = LANGUAGES, force: bool = False) -> Dict[str, Path]:
    return {lang: ensure_model(lang, force) for lang in languages}


def print_evaluations(models: Dict[str, Path]) -> None:
    """Each language's training time beside its held-out figures."""
    from bot.nlu_eval import evaluate  # it imports this module
    from bot.nlu_gate import SAFETY_CRITICAL

    rows = []
    for lang, model in models.items():
        print(f"training: evaluating {lang} on its held-out set", flush=True)
        evaluation = evaluate(lang, model, ROOT / "build" / "nlu-eval" / lang)
        recalls = {i: float(evaluation.intents[i]["recall"]) for i in SAFETY_CRITICAL
                   if i in evaluation.intents}
        weakest = min(recalls, key=recalls.get)
        seconds = training_seconds(model)
        rows.append((lang, "?" if seconds is None else f"{seconds:.0f} s",
                     f"{evaluation.accuracy:.3f} of {evaluation.size}",
                     f"{weakest} {recalls[weakest]:.3f}", model.name))
    header = ("language", "training", "held-out accuracy", "lowest safety recall", "model")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.training")
    parser.add_argument("languages", nargs="*", metavar="LANG",
                        help=f"languages to train ({', '.join(LANGUAGES)}; default: all)")
    parser.add_argument("--evaluate", action="store_true",
                        help="then print each model's training time and held-out accuracy")
    parser.add_argument("--force", action="store_true",
                        help="train even when the model is up to date (to time a setting)")
    args = parser.parse_args(argv)
    unknown = [lang for lang in args.languages if lang not in CONFIGS]
    if unknown:
        parser.error(f"unknown language {', '.join(unknown)} (known: {', '.join(LANGUAGES)})")
    models = ensure_models(args.languages or LANGUAGES, force=args.force)
    if args.evaluate:
        print_evaluations(models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
