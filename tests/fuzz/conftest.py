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

from server import create_app
from store.accounts import import_csv
from store.db import session_scope
from tests.app_support import clear_gateway_environment, copy_policy, fresh_database
from tests.gateway.gateway_support import API_KEY, AUTH_TOKEN, RASA_TIMEOUT, REPO
from tests.voice.voice_support import VoiceRasa

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

AGENT_PHONE = "+18005550142"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    clear_gateway_environment(monkeypatch)


@pytest.fixture
def rasa():
    fake = VoiceRasa()
    fake.up()
    yield fake
    fake.down()


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, postgres_url, rasa):
    """The gateway with the demo accounts, on a fresh store of each kind."""
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": fresh_database(request.param, tmp_path, postgres_url),
        "RASA_URL": rasa.url, "RASA_URL_ZH": rasa.url,
        "POLICY_FILE": str(copy_policy(tmp_path, rasa_timeout_seconds=RASA_TIMEOUT)),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "API_KEY": API_KEY, "AGENT_PHONE": AGENT_PHONE,
        "REDELIVERY_INTERVAL_SECONDS": 0,
    })
    with open(REPO / "lender" / "demo_accounts.csv", encoding="utf-8", newline="") as stream:
        with session_scope() as session:
            assert not import_csv(session, stream).errors
    return app


@pytest.fixture
def client(app):
    return app.test_client()
