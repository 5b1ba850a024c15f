"""Fixtures for the voice gateway: make_app (tests/conftest.py) with the agents' line, its
fake Rasa (`rasa`) answering with voice payloads, and Twilio's side of a call."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.app import AGENT_PHONE, API_KEY, copy_policy
from tests.support.twilio import simulated_twilio


@pytest.fixture
def rasa(fake_rasa):
    return fake_rasa


@pytest.fixture
def policy_file(tmp_path) -> Path:
    # No voice test times the bot out (they take it down): room for a busy CI machine.
    return copy_policy(tmp_path, rasa_timeout_seconds=8)


@pytest.fixture
def app_settings() -> dict:
    return {"API_KEY": API_KEY, "AGENT_PHONE": AGENT_PHONE}


@pytest.fixture
def twilio(client):
    return simulated_twilio(client)
