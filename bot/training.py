"""Builds what the dialogue models need, only when their inputs changed.

One model per language (see README, "One model per language"): they share domain.yml,
data/rules and data/stories, and differ in their NLU pipeline (config.yml for English,
config.<lang>.yml for the others) and NLU data (data/nlu/<lang>/).

`python -m bot.training [LANG ...]` (default: every language) makes sure that
  1. the spaCy pipeline in build/spacy/en matches bot/spacy_pipeline.py and its patterns, and
  2. models/repay-<lang>-<fingerprint>.tar.gz exists for the current config, domain and data.
The fingerprint hashes every input, so an unchanged repository never retrains and a
changed example always does. Rasa runs as a subprocess: nothing here imports it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List

ROOT = Path(__file__).resolve().parent.parent
SPACY_DIR = ROOT / "build" / "spacy" / "en"
MODELS_DIR = ROOT / "models"
NLU_DIR = ROOT / "data" / "nlu"
KEEP_MODELS = 3  # per language

# Each language's NLU pipeline and what else its training reads besides data/nlu/<lang>.
CONFIGS: Dict[str, str] = {"en": "config.yml", "zh": "config.zh.yml"}
EXTRA_INPUTS: Dict[str, List[str]] = {
    "en": [],  # the spaCy pipeline: its fingerprint is part of the model's
    "zh": ["bot/language/zh/userdict/*.txt"],
}
LANGUAGES = tuple(CONFIGS)
SHARED_DATA = ("data/rules", "data/stories")


def _files(patterns: Iterable[str]) -> List[Path]:
    found = set()
    for pattern in patterns:
        found.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(found)


def _digest(files: List[Path]) -> str:
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.relative_to(ROOT)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def spacy_fingerprint() -> str:
    return _digest(_files(["bot/spacy_pipeline.py", "bot/entity_patterns.py",
                           "bot/language/vocabulary.py"]))


def config_path(lang: str) -> Path:
    return ROOT / CONFIGS[lang]


def nlu_dir(lang: str) -> Path:
    return NLU_DIR / lang


def model_fingerprint(lang: str = "en") -> str:
    inputs = _files([CONFIGS[lang], "domain.yml", f"data/nlu/{lang}/**/*.yml",
                     *(f"{d}/**/*.yml" for d in SHARED_DATA), *EXTRA_INPUTS[lang]])
    return _digest(inputs) + (spacy_fingerprint()[:4] if lang == "en" else "")


def model_path(lang: str = "en") -> Path:
    return MODELS_DIR / f"repay-{lang}-{model_fingerprint(lang)}.tar.gz"


def rasa_env() -> dict:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no network here, nor wanted
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def rasa_bin() -> str:
    """The rasa command of the running venv."""
    return str(Path(sys.executable).parent / "rasa")


def training_data_args(lang: str) -> List[str]:
    """`--config/--domain/--data` for `rasa train` or `rasa data validate` of one language."""
    return ["--config", CONFIGS[lang], "--domain", "domain.yml",
            "--data", f"data/nlu/{lang}", *SHARED_DATA]


def ensure_spacy_pipeline() -> None:
    stamp = SPACY_DIR / ".fingerprint"
    wanted = spacy_fingerprint()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("training: building the spaCy pipeline", flush=True)
    subprocess.run([sys.executable, "-m", "bot.spacy_pipeline", str(SPACY_DIR)], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def ensure_model(lang: str = "en") -> Path:
    if lang == "en":
        ensure_spacy_pipeline()
    target = model_path(lang)
    if target.exists():
        print(f"training: model up to date ({target.name})", flush=True)
        return target
    print(f"training: data, config or domain changed; training {target.name} "
          "(a few minutes; LOG_LEVEL=INFO shows Rasa's progress)", flush=True)
    started = time.monotonic()
    subprocess.run(
        [rasa_bin(), "train", *training_data_args(lang),
         "--fixed-model-name", target.name[: -len(".tar.gz")], "--out", str(MODELS_DIR)],
        # Rasa's own warnings (e.g. "utterance not used": bot/validate.py judges those).
        check=True, cwd=ROOT, env={"LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore", **rasa_env()},
    )
    print(f"training: done in {time.monotonic() - started:.0f} s", flush=True)
    old = sorted(MODELS_DIR.glob(f"repay-{lang}-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for stale in old[:-KEEP_MODELS]:
        stale.unlink()
    return target


def ensure_models(languages: Iterable[str] = LANGUAGES) -> Dict[str, Path]:
    return {lang: ensure_model(lang) for lang in languages}


if __name__ == "__main__":
    unknown = [lang for lang in sys.argv[1:] if lang not in CONFIGS]
    if unknown:
        sys.exit(f"usage: python -m bot.training [{' '.join(LANGUAGES)}]: unknown {' '.join(unknown)}")
    ensure_models(sys.argv[1:] or LANGUAGES)
