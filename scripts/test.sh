#!/usr/bin/env bash
# Every check, in the order that fails fastest: lint, data validation, dialogue
# test stories, the held-out NLU gates, then the pytest suite (unit, store, gateway,
# actions, end to end). Each language has its own model (README, "One model per
# language"): each is validated and passes its own gate. The test stories run against
# the English model: every language's dialogue policies are the same files
# (tests/unit/test_model_configs.py compares them). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres:postgres@127.0.0.1:5432/repay_test}"

scripts/services.sh

echo "== lint"
.venv/bin/ruff check .

echo "== rasa data validate"
.venv/bin/python -m bot.validate

model=$(.venv/bin/python -c "from bot.training import model_path; print(model_path('en'))")
echo "== dialogue test stories"
.venv/bin/rasa test core --stories tests/stories --model "$model" --fail-on-prediction-errors \
  --out build/core-report

for lang in en zh; do
  echo "== held-out NLU gate, $lang (and its report: build/nlu-report/$lang/report.html)"
  .venv/bin/python -m bot.nlu_gate --lang "$lang"
done

echo "== pytest"
.venv/bin/python -m pytest "$@"
