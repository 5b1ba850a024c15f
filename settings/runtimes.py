"""The two runtimes' interpreters (docs/dependencies.md).

The service (gateway, console, API, workers, action server, devtools) runs on Python 3.12
in .venv; the dialogue engine (Rasa 3.6, training, the model checks) on Python 3.10 in
.venv-rasa, and the service starts it as a process of that interpreter, never importing it.

- REPAY_DIALOGUE_PYTHON  the dialogue runtime's interpreter, where it is not
                         .venv-rasa/bin/python (a deployment that installs Rasa elsewhere).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIALOGUE_PYTHON = "REPAY_DIALOGUE_PYTHON"
DIALOGUE_VENV = ROOT / ".venv-rasa"


class RuntimeMissing(RuntimeError):
    """The other runtime is not installed; the message says how to install it."""


def dialogue_python() -> str:
    """The interpreter that runs Rasa and imports `rasa`."""
    named = os.environ.get(DIALOGUE_PYTHON)
    python = Path(named) if named else DIALOGUE_VENV / "bin" / "python"
    if not python.exists():
        raise RuntimeMissing(
            f"The dialogue engine's Python ({python}) is missing: run ./repay setup, which "
            f"installs Rasa's runtime into {DIALOGUE_VENV.name}/, or set {DIALOGUE_PYTHON}.")
    return str(python)
