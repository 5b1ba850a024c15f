"""Each test carries the markers of what it needs (tests/support/markers.py), so that
`-m` picks exactly those: the quick lane (`./repay test --quick`) deselects every test
that needs a server, a trained model or a browser, and runs the rest."""
from __future__ import annotations

import subprocess
import sys
from typing import Dict, Set

from tests.support.paths import ROOT

FILES = [
    "tests/store/test_accounts.py",  # each test on SQLite and on PostgreSQL
    "tests/gateway/test_gateway_state.py",  # in memory and on Redis; make_app with Redis
    "tests/shared/test_policy.py",  # nothing but Python
    "tests/trainers/test_retrained_model.py",  # trains models, marked by hand
    "tests/e2e/test_internal_auth.py",  # the whole stack
    "tests/e2e/test_console_browser.py",  # the whole stack and Chromium
]
MARKERS = ("postgres", "redis", "rasa", "browser", "e2e")


def selected() -> Dict[str, Set[str]]:
    """{marker: the test ids `pytest --collect-only -m <marker>` selects among FILES}."""
    runs = {
        marker: subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
             "-m", marker, *FILES],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for marker in MARKERS
    }
    found = {}
    for marker, run in runs.items():
        out, _ = run.communicate(timeout=300)
        assert run.returncode == 0, out
        found[marker] = {line for line in out.splitlines() if "::" in line}
    return found


def test_markers_follow_what_each_test_uses():
    found = selected()
    store = "tests/store/test_accounts.py::test_demo_accounts_load_with_exact_amounts"
    claims = "tests/gateway/test_gateway_state.py::test_a_sid_is_claimed_once"
    shared = "tests/gateway/test_gateway_state.py::test_the_gateway_runs_on_redis"
    retrained = "tests/trainers/test_retrained_model.py::test_an_approved_example_is_learnt_by_the_retrained_model"
    browser = "tests/e2e/test_console_browser.py::test_an_agent_takes_over_and_hands_back_in_the_browser"
    stack = "tests/e2e/test_internal_auth.py::test_rasas_http_api_needs_the_token"

    assert f"{store}[postgresql]" in found["postgres"]
    assert f"{store}[sqlite]" not in found["postgres"]
    assert {f"{claims}[redis]", shared} <= found["redis"]
    assert f"{claims}[memory]" not in found["redis"]
    assert {retrained, browser, stack} <= found["rasa"]
    assert found["browser"] == {browser, browser.replace(
        "test_an_agent_takes_over_and_hands_back_in_the_browser",
        "test_the_console_shows_what_the_gate_refuses_and_a_supervisor_overrides")}
    assert {browser, stack} <= found["e2e"] and retrained not in found["e2e"]
    # Nothing but Python: in no marker's selection.
    assert not any("tests/shared/test_policy.py" in test for tests in found.values() for test in tests)
