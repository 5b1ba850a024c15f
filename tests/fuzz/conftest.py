"""The fuzz suite: the gateway on SQLite and on PostgreSQL, with a fake Rasa whose
answers the tests choose, Twilio's signatures and the API key.

Hypothesis runs each property with the "ci" profile: a bounded number of examples,
derandomized (the same examples every run, so a failure in CI fails again on a laptop),
no deadline (PostgreSQL and the fake Rasa vary). For a longer search:

    HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/fuzz
    HYPOTHESIS_PROFILE=deep FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/fuzz

"deep" draws new random examples every run and prints the seed of a failing one
(re-run it with --hypothesis-seed=<seed>).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.support.app import (
    AGENT_PHONE,
    API_KEY,
    fresh_database,
)

_COMMON = dict(
    deadline=None,
    # The app and the database are built once per test function, not per example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)),
                          derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("deep", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 1000)),
                          print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

@pytest.fixture
def rasa(fake_rasa):
    return fake_rasa


@pytest.fixture
def app_settings() -> dict:
    return {"API_KEY": API_KEY, "AGENT_PHONE": AGENT_PHONE}


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, postgres_url, make_app):
    """The gateway with the demo accounts, on a fresh store of each kind."""
    return make_app(DATABASE_URL=fresh_database(request.param, tmp_path, postgres_url))
