"""Fixtures for the agent console: make_app (tests/conftest.py) with four people (alice
and bob, agents; sue, supervisor; tom, trainer), a fake Rasa that hands over when asked,
and signed Twilio webhooks."""
from __future__ import annotations

import pytest

from tests.support.console import Browser
from tests.support.twilio import post_sms


@pytest.fixture
def fake_rasa(fake_rasa):
    """The conversation's events are only those the console posts (hand-back notices)."""
    fake_rasa.keeps_turns = False
    return fake_rasa


@pytest.fixture
def app_settings() -> dict:
    return {"SECRET_KEY": "console-test-secret"}


@pytest.fixture
def console_people() -> bool:
    return True


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
