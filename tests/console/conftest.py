"""Fixtures for the agent console: the gateway on a temporary SQLite store holding the
demo accounts and four people (alice and bob, agents; sue, supervisor; tom, trainer),
a fake Rasa reached over real HTTP, and signed Twilio webhooks."""
from __future__ import annotations

from pathlib import Path

import pytest

from server import create_app
from store.accounts import import_csv
from store.db import session_scope
from tests.app_support import clear_gateway_environment, copy_policy
from tests.conftest import DEMO_ACCOUNTS
from tests.console.console_support import Browser, FakeRasa, create_agents
from tests.gateway.gateway_support import AUTH_TOKEN, post_sms


@pytest.fixture
def fake_rasa():
    rasa = FakeRasa()
    rasa.up()
    yield rasa
    rasa.down()


@pytest.fixture
def policy_file(tmp_path) -> Path:
    """The lender's policy with a 1 s Rasa timeout."""
    return copy_policy(tmp_path, rasa_timeout_seconds=1)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    clear_gateway_environment(monkeypatch)


@pytest.fixture
def make_app(tmp_path, fake_rasa, policy_file):
    def build(**overrides):
        config = {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
            "RASA_URL": fake_rasa.url,
            "RASA_URL_ZH": fake_rasa.url,  # both languages: the one fake
            "POLICY_FILE": str(policy_file),
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "REDELIVERY_INTERVAL_SECONDS": 0,
            "SECRET_KEY": "console-test-secret",
            **overrides,
        }
        app = create_app(config)
        with session_scope() as session, open(DEMO_ACCOUNTS, encoding="utf-8", newline="") as stream:
            assert not import_csv(session, stream).errors
        create_agents()
        return app

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def sms(app):
    client = app.test_client()

    def send(body: str, **kwargs):
        return post_sms(client, body, **kwargs)

    return send


@pytest.fixture
def browser(app):
    """A new browser, signed in as `username` (or not signed in)."""

    def open_as(username=None) -> Browser:
        return Browser(app.test_client(), username)

    return open_as
