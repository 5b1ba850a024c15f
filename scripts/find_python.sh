# Sourced by setup.sh and lock: finds a Python 3.10 that actually runs.
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

python_missing_help() {
  cat >&2 <<'MSG'
Python 3.10 was not found. Rasa 3.6 runs on Python 3.8-3.10 only. Install one of:
  pyenv install 3.10           (then run this again; pyenv's 3.10 is found automatically)
  apt-get install python3.10 python3.10-venv      (Debian/Ubuntu with 3.10 packages)
or point PYTHON=/path/to/python3.10 at an existing interpreter.
MSG
}
