"""Handing a conversation back writes to Rasa's tracker through its HTTP API, which asks for
RASA_TOKEN (`rasa run --auth-token`): the gateway sends it."""
from __future__ import annotations

import pytest

from tests.support.app import PRODUCTION_SECRETS
from tests.support.console import ask_for_a_person


@pytest.fixture
def fake_rasa(fake_rasa):
    fake_rasa.token = PRODUCTION_SECRETS["RASA_TOKEN"]
    return fake_rasa


def hand_back(sms, fake_rasa, browser) -> str:
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice = browser("alice")
    alice.claim(handoff_id)
    assert alice.hand_back(handoff_id).status_code == 200
    return fake_rasa.calls[-1]["sender"]


@pytest.fixture
def rasa_token():
    return PRODUCTION_SECRETS["RASA_TOKEN"]


@pytest.fixture
def app(make_app, rasa_token):
    return make_app(RASA_TOKEN=rasa_token)


def test_the_hand_back_reaches_rasa_with_its_token(sms, fake_rasa, browser):
    conversation_id = hand_back(sms, fake_rasa, browser)
    assert {"event": "slot", "name": "abuse_count", "value": 0} in fake_rasa.events[conversation_id]
    assert fake_rasa.refused == 0


@pytest.mark.parametrize("rasa_token", [None, "not-the-rasa-token"])
def test_without_the_token_rasa_refuses(sms, fake_rasa, browser):
    conversation_id = hand_back(sms, fake_rasa, browser)
    assert conversation_id not in fake_rasa.events and fake_rasa.refused > 0
