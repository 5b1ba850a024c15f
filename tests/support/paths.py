"""Where the repository's files are."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO_ACCOUNTS = ROOT / "lender" / "demo_accounts.csv"


def model_config(lang: str) -> dict:
    """A language's Rasa config file (config.yml, config.zh.yml), as loaded."""
    from bot.training import CONFIGS

    return yaml.safe_load((ROOT / CONFIGS[lang]).read_text(encoding="utf-8"))
