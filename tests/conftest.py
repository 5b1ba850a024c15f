"""Fixtures shared by every test package: real servers' addresses, the one app builder
with its fake Rasa, and the markers each test gets from what it uses (docs/testing.md).

Both runtimes load this file: the dialogue runtime (Python 3.10, no Flask) runs
tests/dialogue, tests/shared and tests/store, so the gateway's pieces are imported by the
fixtures that build it, not here."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

# sanic (under rasa and rasa_sdk) turns every DeprecationWarning on when imported, above the
# filters in pyproject.toml: imported here first, with the filters put back right after.
with warnings.catch_warnings():
    import sanic  # noqa: F401

from tests.support.app import (  # noqa: E402
    API_KEY,
    RASA_TIMEOUT,
    build_app,
    clear_gateway_environment,
    copy_policy,
)
from tests.support.markers import mark_by_what_tests_use  # noqa: E402


def pytest_collection_modifyitems(config, items):
    mark_by_what_tests_use(items)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis; tests that use it fail (never skip) when it is unreachable."""
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return os.environ.get(
        "TEST_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/repay_test"
    )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """The gateway's variables come from each test only, never the shell (a developer's
    real Twilio credentials must never reach a test)."""
    clear_gateway_environment(monkeypatch)


@pytest.fixture
def fake_rasa():
    from tests.support.fake_rasa import FakeRasa
    rasa = FakeRasa()
    rasa.up()
    yield rasa
    rasa.down()


@pytest.fixture
def policy_file(tmp_path) -> Path:
    """The lender's policy with a short Rasa timeout, so slow-bot tests stay quick."""
    return copy_policy(tmp_path, rasa_timeout_seconds=RASA_TIMEOUT)


@pytest.fixture
def app_settings() -> dict:
    """A suite's own settings over make_app's (its conftest.py overrides this)."""
    return {"API_KEY": API_KEY}


@pytest.fixture
def console_people() -> bool:
    """Whether make_app's store holds the console's people (alice, bob, sue, tom)."""
    return False


@pytest.fixture
def make_app(tmp_path, fake_rasa, policy_file, app_settings, console_people):
    """Builds the gateway on a temporary SQLite store holding the demo accounts, talking to
    `fake_rasa` in both languages; keyword arguments override any setting."""
    apps = []

    def build(**overrides):
        app = build_app({
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
            "RASA_URL": fake_rasa.url, "RASA_URL_ZH": fake_rasa.url,
            "POLICY_FILE": str(policy_file),
            **app_settings, **overrides,
        }, people=console_people)
        apps.append(app)
        return app

    yield build
    for app in apps:  # no capture of a message for review may outlive its test's store
        capture = app.extensions.get("repay.nlu_review")
        if capture is not None:
            capture.wait_idle()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
