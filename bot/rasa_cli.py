"""Rasa's command line (`python -m bot.rasa_cli train ...`), with bot/rasa_speedups.py
installed first for `run` (REPAY_STOCK_RASA=1: without), and without its dependencies'
deprecation notices.

Rasa 3.6 is the last open-source line and pins libraries that now warn about their own
APIs (pkg_resources, typer/click, pyparsing in matplotlib, jax in TensorFlow, SQLAlchemy
2.0). Nobody running this service can act on them, and they buried the lines that
matter. Two things put them back on after PYTHONWARNINGS or -W: Sanic's import turns every
DeprecationWarning on ("once"), and Rasa's main() shows every UserWarning once, which
pyparsing's deprecations also are. So this entry point silences DeprecationWarning (and
only that category) after both, and two notices that do not apply here (below). Every other
warning and every error is shown as before.
"""
from __future__ import annotations

import os
import sys
import warnings

# SQLAlchemy 1.4's one-off "MovedIn20Warning" has its own switch, read at import.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
warnings.filterwarnings("ignore", category=DeprecationWarning)
import sanic  # noqa: E402,F401  (its import re-enables the category: see above)

warnings.filterwarnings("ignore", category=DeprecationWarning)

import rasa.utils.common  # noqa: E402
from rasa.__main__ import main  # noqa: E402

from bot import rasa_speedups  # noqa: E402

_rasa_filters = rasa.utils.common._filter_warnings
ENTITY_EXTRACTOR_NOTICE = "You have defined training data consisting of entity examples"
# Matplotlib, when `rasa test` draws a confusion matrix with a single label in it.
SINGLE_LABEL_PLOT_NOTICE = "Attempting to set identical"


def _rasa_filters_then_ours(*args, **kwargs) -> None:
    """Rasa's own filters (called by main()), then ours in front of them."""
    _rasa_filters(*args, **kwargs)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # Rasa's recipe validator knows DIET by its exact class, not our subclass
    # (bot/components/scaled_diet.py). The entity annotations in data/nlu are read by the
    # rule-based extractors (tests check every span against them), not trained: not a problem.
    warnings.filterwarnings("ignore", category=UserWarning, message=ENTITY_EXTRACTOR_NOTICE)
    warnings.filterwarnings("ignore", category=UserWarning, message=SINGLE_LABEL_PLOT_NOTICE)


rasa.utils.common._filter_warnings = _rasa_filters_then_ours

# The commands the speedups are for: a Rasa server answering borrowers. Training and the
# dialogue tests run Rasa as it ships (they replay thousands of story trackers in worker
# threads, a load the per-conversation memos were not written for).
SERVING = ("run",)

if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1] in SERVING:
        replaced = rasa_speedups.install()
        print(f"rasa speedups: {len(replaced)} of Rasa's functions replaced (bot/rasa_speedups.py)",
              file=sys.stderr, flush=True)
    sys.argv[0] = "rasa"
    sys.exit(main())
