"""A quick NLU-only model, to see what new examples do before the real training.

    python -m bot.nlu_try "the bailiff took my car" "can i pay on the 15th"
    python -m bot.nlu_try --lang zh "能不能分期"
    python -m bot.nlu_try --nlu /path/to/nlu-copy/en --out build/nlu-try "..."

Trains the pipeline of the language's config (config.yml, config.zh.yml) on the NLU data alone (no stories, no dialogue
policies) with a lighter intent classifier (no transformer layers, fewer epochs):
about a minute on two cores instead of the full training's several, then prints how it
classifies each sentence. Its figures are close to the real model's, not equal: the
held-out report (python -m bot.nlu_report) on a fully trained model is what counts.
The model goes to build/nlu-try/ (never to models/, which the bot serves from).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import yaml

from bot.domain_file import DOMAIN_PATH
from bot.training import LANGUAGES, ROOT, SPACY_DIR, config_path, ensure_spacy_pipeline, nlu_dir

QUICK_EPOCHS = 30
TRY_DIR = ROOT / "build" / "nlu-try"


def quick_config(source: Path = ROOT / "config.yml") -> dict:
    """A config's NLU pipeline, lighter: DIET without transformer layers and with
    fewer epochs; the spaCy model and jieba dictionary paths made absolute; no policies."""
    config = yaml.safe_load(source.read_text())
    pipeline = copy.deepcopy(config["pipeline"])
    for component in pipeline:
        if component["name"] == "SpacyNLP":
            component["model"] = str(SPACY_DIR)
        if component.get("dictionary_path"):
            component["dictionary_path"] = str(ROOT / component["dictionary_path"])
        if component["name"].endswith("DIETClassifier"):
            component.update(
                epochs=min(int(component.get("epochs", QUICK_EPOCHS)), QUICK_EPOCHS),
                number_of_transformer_layers=0,
                batch_size=[64, 128],
            )
    return {
        "recipe": config.get("recipe", "default.v1"),
        "language": config["language"],
        "assistant_id": f"{config.get('assistant_id', 'repay')}-quick",
        "pipeline": pipeline,
        "policies": [],
    }


def _quiet_rasa() -> None:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")  # nothing to reuse: no cache


def train_quick(data: Path, out: Path, name: str = "quick", lang: str = "en") -> Path:
    """Trains a quick NLU-only model of `lang` on the NLU data in `data` into `out`;
    returns the archive."""
    _quiet_rasa()
    ensure_spacy_pipeline()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(out / "cache"))
    quick = out / "config.quick.yml"
    quick.write_text(yaml.safe_dump(quick_config(config_path(lang)), sort_keys=False))
    from rasa.model_training import train_nlu  # heavy: imported only when asked
    from rasa.utils.log_utils import configure_structlog

    configure_structlog()
    archive = train_nlu(
        str(quick), str(data), str(out), fixed_model_name=name,
        domain=str(DOMAIN_PATH),
    )
    if not archive:
        raise RuntimeError(f"training on {data} produced no model")
    return Path(archive)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_try")
    parser.add_argument("texts", nargs="+", help="sentences to classify")
    parser.add_argument("--lang", default="en", choices=LANGUAGES)
    parser.add_argument("--nlu", type=Path, default=None,
                        help="NLU data directory (default: data/nlu/<lang>)")
    parser.add_argument("--out", type=Path, default=TRY_DIR, help="where the quick model goes")
    parser.add_argument("--json", action="store_true", help="one JSON object per sentence")
    args = parser.parse_args(argv)
    from bot.nlu_parse import parse

    model = train_quick(args.nlu or nlu_dir(args.lang), args.out, lang=args.lang)
    for result in parse(model, args.texts):
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{result['intent']:<20} {result['confidence']:.2f}  {result['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
