"""Fixtures for the gateway: make_app (tests/conftest.py) on a temporary SQLite file with
the demo accounts and a fake Rasa over real HTTP, and texts from a borrower as signed
Twilio webhooks."""
from __future__ import annotations

import pytest

from tests.support.app import fresh_database
from tests.support.twilio import SmsReply, post_sms


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, postgres_url) -> str:
    """For tests that must hold on both stores: a fresh SQLite file, then PostgreSQL."""
    return fresh_database(request.param, tmp_path, postgres_url)


@pytest.fixture
def sms(client):
    def send(body: str = "", **kwargs) -> SmsReply:
        return post_sms(client, body, **kwargs)

    return send
