"""The safety layer's figures on the development sets (tests/nlu/dev_<lang>.yml, then each later
round, dev_<lang>_2.yml, ...), with every miss and false alarm listed.

The held-out sets (tests/nlu/heldout_<lang>.yml, multi_<lang>.yml) measure; nobody writing
patterns or training examples reads their messages. A development set is the other kind: written
apart from the training data and the patterns, by someone who had read neither, and then *read*:
its misses show what the patterns and the training data still lack. Its figures are therefore
optimistic once it has been worked from; the held-out figures stay the ones the gate trusts.

    python -m bot.nlu_dev --lang en [--model models/repay-en-....tar.gz] [--set tests/nlu/dev_en_2.yml]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Tuple

from bot.annotation import dev_messages
from bot.nlu_eval import dev_paths
from bot.nlu_safety import Labelled, SafetyFigures, parse_all, print_figures, score
from bot.training import ensure_model
from language import safety


def split(messages: List[Tuple[str, List[str]]]) -> Tuple[List[Labelled], List[Labelled]]:
    """(one-intent, two-intent) messages, as the safety layer's scoring takes them."""
    labelled = [(tuple(intents), text) for text, intents in messages]
    return [m for m in labelled if len(m[0]) == 1], [m for m in labelled if len(m[0]) == 2]


def measure(lang: str, model: Path, path: Path) -> SafetyFigures:
    single, multi = split(dev_messages(path))
    parses = parse_all(model, [text for _, text in [*single, *multi]])
    return score(lang, single, multi, parses, safety.load(lang))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_dev")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--model", type=Path, default=None,
                        help="this model (default: the current one, trained if needed)")
    parser.add_argument("--set", type=Path, default=None,
                        help="this set (default: each of tests/nlu/dev_<lang>*.yml in turn)")
    args = parser.parse_args(argv)
    model = args.model or ensure_model(args.lang)
    for path in [args.set] if args.set else dev_paths(args.lang):
        print_figures(measure(args.lang, model, path), show_messages=True,
                      title=f"development set {path.name}, read freely")
    return 0


if __name__ == "__main__":
    sys.exit(main())
