"""Fixtures for the trainers' tests: the gateway on a temporary SQLite store with the
demo accounts and the console's people (tom is the trainer), a fake Rasa that serves
trackers, and a temporary copy of data/nlu for approved examples to land in."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server import create_app
from store.accounts import import_csv
from store.db import session_scope
from tests.app_support import clear_gateway_environment, copy_policy
from tests.conftest import DEMO_ACCOUNTS, ROOT
from tests.console.console_support import Browser, create_agents
from tests.gateway.gateway_support import AUTH_TOKEN, post_sms
from tests.trainers.trainer_support import TrackerRasa


@pytest.fixture
def rasa():
    fake = TrackerRasa()
    fake.up()
    yield fake
    if fake.hold_trackers is not None:
        fake.hold_trackers.set()
    fake.down()


@pytest.fixture
def nlu_dir(tmp_path) -> Path:
    """A copy of data/nlu/en: tests never write into the real training data. The app's
    NLU_DATA_DIR is its parent (examples go into <dir>/<language>)."""
    copy = tmp_path / "data" / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", copy)
    return copy / "en"


@pytest.fixture
def policy_file(tmp_path) -> Path:
    return copy_policy(tmp_path, rasa_timeout_seconds=2)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    clear_gateway_environment(monkeypatch)


@pytest.fixture
def make_app(tmp_path, rasa, nlu_dir, policy_file):
    apps = []

    def build(**overrides):
        config = {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'trainers.db'}",
            "RASA_URL": rasa.url,
            "RASA_URL_ZH": rasa.url,  # both languages: the one fake
            "POLICY_FILE": str(policy_file),
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "REDELIVERY_INTERVAL_SECONDS": 0,
            "SECRET_KEY": "trainers-test-secret",
            "NLU_DATA_DIR": str(nlu_dir.parent),
            "NLU_REVIEW_SAMPLE_RATE": 0,
            **overrides,
        }
        app = create_app(config)
        with session_scope() as session, open(DEMO_ACCOUNTS, encoding="utf-8", newline="") as stream:
            assert not import_csv(session, stream).errors
        create_agents()
        apps.append(app)
        return app

    yield build
    for app in apps:  # no capture may outlive its test's database
        app.extensions["repay.nlu_review"].wait_idle()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def capture(app):
    return app.extensions["repay.nlu_review"]


@pytest.fixture
def sms(app, capture):
    """Texts the gateway as a borrower (signed webhook); waits for the capture too."""
    client = app.test_client()

    def send(body: str, wait: bool = True, **kwargs):
        reply = post_sms(client, body, **kwargs)
        if wait:
            assert capture.wait_idle(), "the capture did not finish"
        return reply

    return send


@pytest.fixture
def browser(app):
    def open_as(username=None) -> Browser:
        return Browser(app.test_client(), username)

    return open_as
