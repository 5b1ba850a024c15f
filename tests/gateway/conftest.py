"""Fixtures for the gateway: an app on a temporary SQLite file with the demo
accounts, signed Twilio requests, and a fake Rasa reached over real HTTP."""
from __future__ import annotations

from pathlib import Path

import pytest
from gateway_support import API_KEY, AUTH_TOKEN, RASA_TIMEOUT, REPO, FakeRasa, SmsReply, post_sms

from server import create_app
from store.accounts import import_csv
from store.db import session_scope
from tests.app_support import clear_gateway_environment, copy_policy, fresh_database


@pytest.fixture
def fake_rasa():
    rasa = FakeRasa()
    rasa.up()
    yield rasa
    rasa.down()


@pytest.fixture
def policy_file(tmp_path) -> Path:
    """The lender's policy with a 1 s Rasa timeout, so slow-bot tests stay quick."""
    return copy_policy(tmp_path, rasa_timeout_seconds=RASA_TIMEOUT)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """The gateway's variables come from each test's config only, never the shell
    (a developer's real Twilio credentials must never reach a test)."""
    clear_gateway_environment(monkeypatch)


@pytest.fixture
def make_app(tmp_path, fake_rasa, policy_file):
    def build(**overrides):
        config = {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
            "RASA_URL": fake_rasa.url,
            "RASA_URL_ZH": fake_rasa.url,  # both languages: the one fake
            "POLICY_FILE": str(policy_file),
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "API_KEY": API_KEY,
            "REDELIVERY_INTERVAL_SECONDS": 0,
            **overrides,
        }
        app = create_app(config)
        with open(REPO / "lender" / "demo_accounts.csv", encoding="utf-8", newline="") as stream:
            with session_scope() as session:
                assert not import_csv(session, stream).errors
        return app

    return build


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, postgres_url) -> str:
    """For tests that must hold on both stores: a fresh SQLite file, then PostgreSQL."""
    return fresh_database(request.param, tmp_path, postgres_url)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sms(client):
    def send(body: str = "", **kwargs) -> SmsReply:
        return post_sms(client, body, **kwargs)

    return send
