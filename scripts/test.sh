#!/usr/bin/env bash
# Every check, in the order that fails fastest: lint, then the dialogue runtime's checks
# (data validation, dialogue test stories, the held-out NLU gates, and its pytest: Rasa's
# components and the shared code on Python 3.10), then the service's pytest suite on Python
# 3.12 (unit, store, gateway, actions, end to end against Rasa in the dialogue runtime).
# Each language has its own model (docs/languages.md): each is validated and passes its own
# gate. The test stories run against the English model: every language's dialogue policies
# are the same files (tests/unit/test_model_configs.py compares them). Extra arguments go to
# the service's pytest.
#   --quick   only lint and the service's tests that need no server, no trained model and no
#             browser (the markers tests/support/markers.py gives), in two processes
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
DIALOGUE_TESTS=(tests/dialogue tests/shared tests/store)  # what runs on Python 3.10 too

if [[ "${1:-}" == --quick ]]; then
  shift
  lock_hash=$(sha256sum requirements/service.lock | cut -c1-16)
  if [[ "$(cat .venv/.installed 2>/dev/null || true)" != "$lock_hash" ]]; then
    echo "The quick lane does not set up: run ./repay setup first (requirements/service.lock changed)." >&2
    exit 1
  fi
  quick="not e2e and not rasa and not browser and not postgres and not redis"
  echo "== QUICK LANE: lint and pytest -m \"$quick\" (the service's tests, two processes)"
  echo "   Not run: the model checks, the dialogue runtime's tests and the tests of those markers."
  echo "   ./repay test runs everything."
  echo "== lint"
  .venv/bin/ruff check .
  echo "== pytest"
  mkdir -p build/test-run
  # Nothing listens at these addresses: a test that needs Redis or PostgreSQL but lacks its
  # marker fails here, rather than passing on whatever servers this machine runs.
  TEST_REDIS_URL=redis://127.0.0.1:1/0 \
  TEST_POSTGRES_URL=postgresql://postgres:postgres@127.0.0.1:1/unreachable \
    exec .venv/bin/python -m pytest -n 2 --basetemp build/test-run/quick -m "$quick" \
      --ignore tests/dialogue "$@"
fi
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres:postgres@127.0.0.1:5432/repay_test}"
started=$SECONDS

scripts/services.sh

echo "== lint"
.venv/bin/ruff check .

# The model checks do not depend on each other and spend much of their time loading Rasa:
# they run side by side, each into its own log, shown in full when it ends.
model=$(.venv/bin/python -c "from bot.training import model_path; print(model_path('en'))")
checks=build/checks
rm -rf "$checks" && mkdir -p "$checks"
declare -A check_pids=()
check() {
  local name=$1; shift
  ( "$@" ) > "$checks/$name.log" 2>&1 &
  check_pids[$name]=$!
}
dialogue=.venv-rasa/bin/python
check "rasa-data-validate" $dialogue -m bot.validate
check "dialogue-test-stories" $dialogue -m bot.rasa_cli test core --stories tests/stories \
  --model "$model" --fail-on-prediction-errors --out build/core-report
for lang in en zh; do
  # Each gate leaves its report: build/nlu-report/<lang>/report.html.
  check "held-out-nlu-gate-$lang" $dialogue -m bot.nlu_gate --lang "$lang"
done
# The dialogue runtime's own tests (Rasa's components) and the shared code's, on its Python
# and its versions of SQLAlchemy, pydantic and redis. The service's run below runs the
# shared code's tests again on Python 3.12.
mkdir -p build/test-run
check "pytest-dialogue-runtime" $dialogue -m pytest --basetemp build/test-run/dialogue \
  --junitxml "$checks/pytest-dialogue.xml" "${DIALOGUE_TESTS[@]}"
failed=()
for name in rasa-data-validate dialogue-test-stories held-out-nlu-gate-en held-out-nlu-gate-zh \
            pytest-dialogue-runtime; do
  status=0; wait "${check_pids[$name]}" || status=$?
  echo "== $name ($((SECONDS - started)) s)"
  grep -v "Processed story blocks\|Processed trackers\|Processed actions\|^\s*$" "$checks/$name.log" || true
  [[ $status -eq 0 ]] || failed+=("$name")
done
if (( ${#failed[@]} )); then
  echo "FAILED: ${failed[*]} (logs in $checks/)" >&2
  exit 1
fi

echo "== pytest ($((SECONDS - started)) s)"
if (( $# )); then
  .venv/bin/python -m pytest --basetemp build/test-run/service "$@"
else
  # The end-to-end tests spend most of their time waiting on Rasa, the rest on the CPU: two
  # pytest processes side by side, each with its own Redis database and temporary folder.
  # The retrained-model test (a minute of training, no shared server) goes with the end to
  # end ones to even them out; only the rest use PostgreSQL. Output shown as each ends.
  side=(tests/e2e tests/trainers/test_retrained_model.py)
  side_redis="${TEST_REDIS_URL%/*}/$(( ${TEST_REDIS_URL##*/} - 1 ))"
  pytest_part() {
    local name=$1; shift
    .venv/bin/python -m pytest --basetemp "build/test-run/$name" \
      --junitxml "$checks/pytest-$name.xml" "$@" > "$checks/pytest-$name.log" 2>&1
  }
  mkdir -p build/test-run  # pytest makes its --basetemp, not the folders above it
  TEST_REDIS_URL=$side_redis pytest_part side "${side[@]}" & side_pid=$!
  pytest_part rest "${side[@]/#/--ignore=}" --ignore=tests/dialogue & rest_pid=$!
  pytest_failed=0
  for part in rest side; do
    pid_var="${part}_pid"
    wait "${!pid_var}" || pytest_failed=1
    echo "== pytest: $( [[ $part == side ]] && echo "${side[*]}" || echo "the rest") ($((SECONDS - started)) s)"
    cat "$checks/pytest-$part.log"
  done
fi

# The processes the tests started logged under pytest's --basetemp: none of it may hold
# a test account's phone, birth date, ID digits or name (devtools/log_scan.py).
echo "== personal data in the test run's logs"
.venv/bin/python -m devtools.log_scan build/test-run --postgres "$TEST_POSTGRES_URL"

if (( ! $# )); then
  echo "== done in $((SECONDS - started)) s"
  # Every pytest run's counts (the dialogue runtime's and the service's two) in one closing line.
  .venv/bin/python - "$checks"/pytest-*.xml <<'PY'
import sys
import xml.etree.ElementTree as ET
totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
print(f"pytest: {passed} passed, {totals['failures'] + totals['errors']} failed, "
      f"{totals['skipped']} skipped")
PY
  exit $pytest_failed
fi
