#!/usr/bin/env bash
# Idempotent set-up: Python 3.10 venv, pinned dependencies, spaCy pipeline, model.
# Each step is skipped when its inputs have not changed since it last ran.
set -euo pipefail
cd "$(dirname "$0")/.."

# A pyenv shim can be on PATH and still refuse to run, so each candidate is tried.
is_python310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python() {
  local candidates=()
  [[ -n "${PYTHON:-}" ]] && candidates+=("$PYTHON")
  command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=($(ls -d "$(pyenv root)"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -rV))
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
  for candidate in "${candidates[@]}"; do
    if is_python310 "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}

if [[ ! -x .venv/bin/python ]]; then
  if ! PY=$(find_python); then
    cat >&2 <<'MSG'
Python 3.10 was not found. Rasa 3.6 runs on Python 3.8-3.10 only. Install one of:
  pyenv install 3.10           (then run this again; pyenv's 3.10 is found automatically)
  apt-get install python3.10 python3.10-venv      (Debian/Ubuntu with 3.10 packages)
or point PYTHON=/path/to/python3.10 at an existing interpreter.
MSG
    exit 1
  fi
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
