# Sourced by setup.sh and lock: finds the interpreters of the two runtimes (docs/dependencies.md).
#   find_python service    Python 3.12 (3.13 too): the gateway, workers, action server, tests
#   find_python dialogue   Python 3.10: Rasa 3.6, which runs on nothing newer
# SERVICE_PYTHON or RASA_PYTHON names one outright; otherwise PATH (python3.12, python3.10),
# then pyenv's versions.
# A pyenv shim can be on PATH and still refuse to run, so each candidate is tried.

runs_version() {  # runs_version PYTHON 3.12
  "$1" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$2')" >/dev/null 2>&1
}

versions_of() {
  case "$1" in
    service) echo "3.12 3.13" ;;
    dialogue) echo "3.10" ;;
  esac
}

find_python() {
  local runtime=$1 named version candidate
  named=$([[ $runtime == service ]] && echo "${SERVICE_PYTHON:-}" || echo "${RASA_PYTHON:-}")
  if [[ -n "$named" ]]; then  # named outright: that one, or a clear refusal
    for version in $(versions_of "$runtime"); do
      if runs_version "$named" "$version"; then echo "$named"; return; fi
    done
    echo "$([[ $runtime == service ]] && echo SERVICE_PYTHON || echo RASA_PYTHON)=$named" \
         "is not Python $(versions_of "$runtime" | sed 's/ / or /g'):" \
         "$("$named" -V 2>&1 || echo 'it does not run')" >&2
    return 1
  fi
  for version in $(versions_of "$runtime"); do
    local candidates=()
    command -v "python$version" >/dev/null 2>&1 && candidates+=("$(command -v "python$version")")
    if command -v pyenv >/dev/null 2>&1; then
      candidates+=($(ls -d "$(pyenv root)"/versions/"$version".*/bin/python"$version" 2>/dev/null | sort -rV))
    fi
    candidates+=($(ls -d "$HOME"/.pyenv/versions/"$version".*/bin/python"$version" 2>/dev/null | sort -rV))
    for candidate in "${candidates[@]}"; do
      if runs_version "$candidate" "$version"; then echo "$candidate"; return; fi
    done
  done
  return 1
}

python_missing_help() {
  if [[ $1 == service ]]; then
    cat >&2 <<'MSG'
Python 3.12 was not found. The service (gateway, console, API, workers, action server) runs
on a Python that still gets security fixes. Install one of:
  pyenv install 3.12           (then run this again; pyenv's versions are found automatically)
  apt-get install python3.12 python3.12-venv      (where the distribution packages 3.12)
or point SERVICE_PYTHON=/path/to/python3.12 at an existing interpreter.
MSG
  else
    cat >&2 <<'MSG'
Python 3.10 was not found. The dialogue engine, Rasa 3.6, runs on Python 3.8-3.10 only. Install one of:
  pyenv install 3.10           (then run this again; pyenv's versions are found automatically)
  apt-get install python3.10 python3.10-venv      (Debian/Ubuntu with 3.10 packages)
or point RASA_PYTHON=/path/to/python3.10 at an existing interpreter.
MSG
  fi
}
