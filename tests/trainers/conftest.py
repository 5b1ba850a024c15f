"""Fixtures for the trainers' tests: make_app (tests/conftest.py) with the console's people
(tom is the trainer), a fake Rasa (`rasa`) that returns each message's parse and serves
trackers, and a temporary copy of data/nlu for approved examples to land in."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.app import copy_policy
from tests.support.console import Browser
from tests.support.fake_rasa import FakeRasa, rasa_parse
from tests.support.paths import ROOT
from tests.support.twilio import post_sms


def as_trainers_rasa(fake: FakeRasa) -> FakeRasa:
    """Rasa as the inbox meets it: each message's parse (a confident greet unless a test
    says otherwise) returned with the answer and kept as the tracker's latest_message; the
    tracker answers (no slots) as Rasa 3.6 does."""
    fake.keeps_turns = False
    fake.parse = lambda text: rasa_parse(text, "greet", 0.98)
    fake.answers_parse = True
    fake.slots = {}
    return fake


@pytest.fixture
def fake_rasa(fake_rasa):
    return as_trainers_rasa(fake_rasa)


@pytest.fixture
def rasa(fake_rasa):
    return fake_rasa


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


@pytest.fixture
def app_settings(nlu_dir) -> dict:
    return {"SECRET_KEY": "trainers-test-secret", "NLU_DATA_DIR": str(nlu_dir.parent),
            "NLU_REVIEW_SAMPLE_RATE": 0}


@pytest.fixture
def console_people() -> bool:
    return True


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
