#!/usr/bin/env bash
# Idempotent set-up of the two runtimes (docs/dependencies.md), then the models:
#   .venv       the service on Python 3.12: gateway, console, API, workers, action server, tests
#   .venv-rasa  the dialogue engine on Python 3.10: Rasa 3.6, training, the model checks
# Each venv installs its lock only when the lock changed; the models train only when their
# inputs changed.
#   scripts/setup.sh          every language's model
#   scripts/setup.sh en       only English's (demo and serve train the others after start)
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/find_python.sh

# make_venv RUNTIME DIR: DIR holds a venv of RUNTIME's Python (one of another version, such
# as an older checkout's single 3.10 .venv, is made anew).
make_venv() {
  local runtime=$1 dir=$2 py version
  if [[ -x $dir/bin/python ]]; then
    for version in $(versions_of "$runtime"); do
      runs_version "$dir/bin/python" "$version" && return 0
    done
    echo "setup: $dir is not a $runtime venv ($("$dir/bin/python" -V 2>&1)): making it anew"
    rm -rf "$dir"
  fi
  py=$(find_python "$runtime") || { python_missing_help "$runtime"; return 1; }
  echo "setup: creating $dir with $py ($("$py" -V))"
  "$py" -m venv "$dir"
}

# install DIR LOCK: installs LOCK into DIR unless DIR has it already. Its output is kept
# to what someone can act on: some machines' pip configuration names local indexes that
# may not exist (WARNING: Location), and pip's notes on how a package is built (DEPRECATION).
install() {
  local dir=$1 lock=$2 hash started status=0 output
  hash=$(sha256sum "$lock" | cut -c1-16)
  [[ "$(cat "$dir/.installed" 2>/dev/null || true)" != "$hash" ]] || return 0
  started=$SECONDS
  output=$({ "$dir/bin/python" -m pip install --quiet --upgrade "pip==24.0" &&
             "$dir/bin/python" -m pip install --quiet -r "$lock"; } 2>&1) || status=$?
  local elapsed=$((SECONDS - started))
  [[ -z "$output" ]] || grep -v -e "^WARNING: Location" -e "^DEPRECATION:" <<<"$output" || true
  if [[ $status -ne 0 ]]; then
    echo "setup: installing $lock into $dir failed after $((elapsed / 60))m$((elapsed % 60))s (above)" >&2
    return 1
  fi
  echo "setup: installed $lock into $dir in $((elapsed / 60))m$((elapsed % 60))s"
  echo "$hash" > "$dir/.installed"
}

make_venv service .venv
make_venv dialogue .venv-rasa
# The two installs share nothing: side by side, each mostly waits on downloads and disk.
if ! cmp -s <(cat .venv/.installed .venv-rasa/.installed 2>/dev/null) \
          <(sha256sum requirements/service.lock requirements/dialogue.lock | cut -c1-16); then
  echo "setup: installing the pinned dependencies (requirements/*.lock; a few minutes) ..."
fi
install .venv requirements/service.lock & service_pid=$!
install .venv-rasa requirements/dialogue.lock & dialogue_pid=$!
failed=0
wait $service_pid || failed=1
wait $dialogue_pid || failed=1
(( ! failed )) || exit 1

.venv-rasa/bin/python -m bot.training "$@"
