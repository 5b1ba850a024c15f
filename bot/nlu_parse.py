"""How a model classifies sentences: a trainer's and a test's look at the NLU alone.

    python -m bot.nlu_parse "can i pay next friday" "who is this"
    python -m bot.nlu_parse --model models/repay-<fingerprint>.tar.gz --json "..."

Prints each sentence's intent, its confidence and the runners-up (`--json`: one JSON
object per line). Without `--model` it uses the newest model in models/. This module
imports rasa, so it runs as its own process; the gateway never imports it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

from bot.training import MODELS_DIR

RUNNERS_UP = 3


def newest_model() -> Path:
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no model in models/: train one first (python -m bot.training)")
    return models[-1]


def parse(model: Path, texts: List[str]) -> List[dict]:
    """Rasa's parse of each text: {"text", "intent", "confidence", "ranking": [...]}."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent  # heavy: imported only when asked
    from rasa.utils.log_utils import configure_structlog

    configure_structlog()  # Rasa's structured log prints to stdout, at LOG_LEVEL
    agent = Agent.load(str(model))
    results = []
    for text in texts:
        data = asyncio.run(agent.parse_message(text))
        ranking = [
            {"intent": r["name"], "confidence": round(float(r["confidence"]), 4)}
            for r in data.get("intent_ranking") or []
        ]
        intent = data.get("intent") or {}
        results.append({
            "text": text,
            "intent": intent.get("name"),
            "confidence": round(float(intent.get("confidence") or 0.0), 4),
            # the safety layer's (bot/components/safety_patterns.py)
            "safety_intents": list(data.get("safety_intents") or []),
            "safety_check": data.get("safety_check"),
            "ranking": ranking[: RUNNERS_UP + 2],
            "entities": [
                {"entity": e["entity"], "value": e.get("value"), "text": text[e["start"]:e["end"]]}
                for e in data.get("entities") or []
                if "start" in e and "end" in e
            ],
        })
    return results


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_parse")
    parser.add_argument("texts", nargs="*", help="sentences to classify")
    parser.add_argument("--file", type=Path, default=None, help="also classify each line of this file")
    parser.add_argument("--model", type=Path, default=None, help="a model .tar.gz (default: newest)")
    parser.add_argument("--json", action="store_true", help="one JSON object per sentence")
    args = parser.parse_args(argv)
    texts = list(args.texts)
    if args.file:
        texts += args.file.read_text(encoding="utf-8").splitlines()
    if not texts:
        parser.error("no sentences: give some, or --file")
    for result in parse(args.model or newest_model(), texts):
        if args.json:
            print(json.dumps(result), flush=True)
            continue
        others = ", ".join(
            f"{r['intent']} {r['confidence']:.2f}" for r in result["ranking"]
            if r["intent"] != result["intent"]
        )[:200]
        print(f"{result['intent']:<20} {result['confidence']:.2f}  {result['text']}")
        if result["safety_intents"] or result["safety_check"]:
            print(f"{'':<26}safety: {', '.join(result['safety_intents']) or '-'}"
                  + (f"; asks about {result['safety_check']}" if result["safety_check"] else ""))
        if others:
            print(f"{'':<26}then: {others}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
