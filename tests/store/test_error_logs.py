"""A failing statement's error and log name the statement, never its values (issue 11,
finding 6): a phone number or a message body must not reach an error log."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

import store.db
from store.models import Message

PHONE = "+15550107777"
BODY = "my card is 4111 1111 1111 1111, Dana Rivers"


def test_a_failing_insert_shows_no_parameters(store_url, caplog):
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # as verbose as SQLAlchemy gets
    store.db.connect(store_url)
    with pytest.raises(IntegrityError) as failed:
        with store.db.session_scope() as session:
            # No such conversation: the foreign key fails on SQLite and PostgreSQL alike.
            session.add(Message(conversation_id="c-missing", direction="in", channel="sms",
                                phone=PHONE, body=BODY, status="received"))
    text = str(failed.value)
    assert "INSERT INTO messages" in text  # still says what failed
    logged = caplog.text
    for value in (PHONE, BODY, "4111"):
        assert value not in text
        assert value not in logged
    assert "INSERT INTO messages" in logged
