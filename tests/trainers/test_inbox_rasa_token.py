"""From a Rasa that does not answer with the parse (without bot/rest_channel.py), the
trainers' inbox reads each message's parse from Rasa's tracker through its HTTP API, which
asks for RASA_TOKEN (`rasa run --auth-token`): the gateway sends it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from store.db import session_scope
from store.models import ReviewItem
from tests.support.app import PRODUCTION_SECRETS
from tests.support.fake_rasa import rasa_parse


@pytest.fixture
def fake_rasa(fake_rasa):
    fake_rasa.token = PRODUCTION_SECRETS["RASA_TOKEN"]
    fake_rasa.answers_parse = False
    fake_rasa.parse = lambda text: rasa_parse(text, "nlu_fallback", 0.3)
    return fake_rasa


@pytest.fixture
def rasa_token():
    return PRODUCTION_SECRETS["RASA_TOKEN"]


@pytest.fixture
def app(make_app, rasa_token):
    return make_app(RASA_TOKEN=rasa_token)


def filed() -> list:
    with session_scope() as session:
        return list(session.execute(select(ReviewItem.text)).scalars())


def test_the_inbox_reads_the_tracker_with_the_token(sms, rasa):
    sms("wat is this about")
    assert filed() == ["wat is this about"] and rasa.refused == 0


@pytest.mark.parametrize("rasa_token", [None, "not-the-rasa-token"])
def test_without_the_token_rasa_refuses(sms, rasa):
    sms("wat is this about")
    assert filed() == [] and rasa.refused == 1


@pytest.mark.parametrize("rasa_token", ["not-the-rasa-token"])
def test_a_refused_token_is_a_warning_that_names_the_setting(sms, rasa, caplog):
    sms("wat is this about")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("check RASA_TOKEN" in w for w in warnings), warnings
