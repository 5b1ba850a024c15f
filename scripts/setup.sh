#!/usr/bin/env bash
# Idempotent set-up: Python 3.10 venv, pinned dependencies, spaCy pipeline, models.
# Each step is skipped when its inputs have not changed since it last ran.
#   scripts/setup.sh          every language's model
#   scripts/setup.sh en       only English's (demo and serve train the others after start)
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
  echo -n "setup: installing pinned dependencies (requirements.lock; a few minutes) ... "
  started=$SECONDS
  # One pip call: Rasa's pins only resolve when everything is installed together. Its
  # output is shown after the progress line, less what nobody here can act on: some
  # machines' pip configuration names local indexes that may not exist (WARNING:
  # Location), and pip's notes on how a dependency's own package is built (DEPRECATION).
  status=0
  output=$({ .venv/bin/python -m pip install --quiet --upgrade "pip==24.0" &&
             .venv/bin/python -m pip install --quiet -r requirements.lock; } 2>&1) || status=$?
  elapsed=$((SECONDS - started))
  if [[ $status -eq 0 ]]; then
    echo "done in $((elapsed / 60))m$((elapsed % 60))s"
  else
    echo "failed after $((elapsed / 60))m$((elapsed % 60))s"
  fi
  [[ -z "$output" ]] || grep -v -e "^WARNING: Location" -e "^DEPRECATION:" <<<"$output" || true
  [[ $status -eq 0 ]] || { echo "setup: pip install failed (above)" >&2; exit 1; }
  echo "$lock_hash" > .venv/.installed
fi

.venv/bin/python -m bot.training "$@"
