#!/usr/bin/env bash
# Idempotent set-up: Python 3.10 venv, pinned dependencies, spaCy pipeline, model.
# Each step is skipped when its inputs have not changed since it last ran.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/find_python.sh

if [[ ! -x .venv/bin/python ]]; then
  PY=$(find_python) || { python_missing_help; exit 1; }
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi

lock_hash=$(sha256sum requirements.lock | cut -c1-16)
if [[ "$(cat .venv/.installed 2>/dev/null || true)" != "$lock_hash" ]]; then
  echo "setup: installing pinned dependencies (requirements.lock)"
  # One pip call: Rasa's pins only resolve when everything is installed together.
  # (Some machines' pip configuration names local indexes that may not exist: quiet them.)
  { .venv/bin/python -m pip install --quiet --upgrade "pip==24.0" &&
    .venv/bin/python -m pip install --quiet -r requirements.lock; } 2>&1 |
    { grep -v "^WARNING: Location" || true; }
  [[ ${PIPESTATUS[0]} -eq 0 ]] || { echo "setup: pip install failed" >&2; exit 1; }
  echo "$lock_hash" > .venv/.installed
fi

.venv/bin/python -m bot.training
