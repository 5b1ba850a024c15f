"""Fixtures for the voice gateway: an app on a temporary SQLite store with the demo
accounts, a fake Rasa that speaks with voice payloads, and Twilio's side of a call."""
from __future__ import annotations

from pathlib import Path

import pytest

from server import create_app
from store.accounts import import_csv
from store.db import session_scope
from tests.app_support import clear_gateway_environment, copy_policy
from tests.gateway.gateway_support import API_KEY, AUTH_TOKEN
from tests.voice.voice_support import REPO, VoiceRasa, simulated_twilio

AGENT_PHONE = "+18005550142"


@pytest.fixture
def rasa():
    fake = VoiceRasa()
    fake.up()
    yield fake
    fake.down()


@pytest.fixture
def policy_file(tmp_path) -> Path:
    # No voice test times the bot out (they take it down): room for a busy CI machine.
    return copy_policy(tmp_path, rasa_timeout_seconds=8)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Only each test's config reaches the app (never a developer's Twilio credentials)."""
    clear_gateway_environment(monkeypatch)


@pytest.fixture
def make_app(tmp_path, rasa, policy_file):
    def build(**overrides):
        config = {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
            "RASA_URL": rasa.url,
            "RASA_URL_ZH": rasa.url,  # both languages: the one fake
            "POLICY_FILE": str(policy_file),
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "API_KEY": API_KEY,
            "REDELIVERY_INTERVAL_SECONDS": 0,
            "AGENT_PHONE": AGENT_PHONE,
            **overrides,
        }
        app = create_app(config)
        with open(REPO / "lender" / "demo_accounts.csv", encoding="utf-8", newline="") as stream:
            with session_scope() as session:
                assert not import_csv(session, stream).errors
        return app

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def twilio(client):
    return simulated_twilio(client)
