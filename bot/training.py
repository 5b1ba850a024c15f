"""Builds what the dialogue model needs, only when its inputs changed.

`python -m bot.training` makes sure that
  1. the spaCy pipeline in build/spacy/en matches bot/spacy_pipeline.py and its patterns, and
  2. models/repay-<fingerprint>.tar.gz exists for the current config, domain and data.
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
from typing import Iterable, List

ROOT = Path(__file__).resolve().parent.parent
SPACY_DIR = ROOT / "build" / "spacy" / "en"
MODELS_DIR = ROOT / "models"
KEEP_MODELS = 3


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


def model_fingerprint() -> str:
    inputs = _files(["config.yml", "domain.yml", "data/**/*.yml", "data/**/*.txt"])
    return _digest(inputs) + spacy_fingerprint()[:4]


def model_path() -> Path:
    return MODELS_DIR / f"repay-{model_fingerprint()}.tar.gz"


def rasa_env() -> dict:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no network here, nor wanted
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def rasa_bin() -> str:
    """The rasa command of the running venv."""
    return str(Path(sys.executable).parent / "rasa")


def ensure_spacy_pipeline() -> None:
    stamp = SPACY_DIR / ".fingerprint"
    wanted = spacy_fingerprint()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("training: building the spaCy pipeline", flush=True)
    subprocess.run([sys.executable, "-m", "bot.spacy_pipeline", str(SPACY_DIR)], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def ensure_model() -> Path:
    ensure_spacy_pipeline()
    target = model_path()
    if target.exists():
        print(f"training: model up to date ({target.name})", flush=True)
        return target
    print(f"training: data, config or domain changed; training {target.name} "
          "(a few minutes; LOG_LEVEL=INFO shows Rasa's progress)", flush=True)
    started = time.monotonic()
    subprocess.run(
        [rasa_bin(), "train", "--fixed-model-name", target.name[: -len(".tar.gz")],
         "--out", str(MODELS_DIR)],
        check=True, cwd=ROOT, env={"LOG_LEVEL": "WARNING", **rasa_env()},
    )
    print(f"training: done in {time.monotonic() - started:.0f} s", flush=True)
    old = sorted(MODELS_DIR.glob("repay-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for stale in old[:-KEEP_MODELS]:
        stale.unlink()
    return target


if __name__ == "__main__":
    ensure_model()
