"""What every suite that builds the gateway needs: a private copy of the lender's policy
(tests may change it) and an environment free of the developer's own settings (a real
Twilio credential in the shell must never reach a test)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import yaml

from server.config import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent


def copy_policy(directory: Path, rasa_timeout_seconds: Optional[float] = None) -> Path:
    """lender/policy.yml and its jurisdictions under `directory`; a short Rasa timeout
    keeps slow-bot tests quick."""
    lender = directory / "lender"
    shutil.copytree(ROOT / "lender" / "jurisdictions", lender / "jurisdictions")
    policy = yaml.safe_load((ROOT / "lender" / "policy.yml").read_text())
    if rasa_timeout_seconds is not None:
        policy["conversation"]["rasa_timeout_seconds"] = rasa_timeout_seconds
    path = lender / "policy.yml"
    path.write_text(yaml.safe_dump(policy))
    return path


def clear_gateway_environment(monkeypatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
