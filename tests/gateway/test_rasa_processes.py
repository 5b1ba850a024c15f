"""Several Rasa processes for one language (RASA_URL as a list, trackers and locks in
Redis): conversations spread over them, each staying with its process; one that is down
is skipped, and used again once its health check passes (server/rasa_client.RasaPool)."""
from __future__ import annotations

import time

import pytest

from messaging.sms_text import gateway_reply, with_opt_out
from server import services
from server.conversation.redelivery import redeliver_once
from store.models import MessageStatus
from tests.support.fake_rasa import FakeRasa
from tests.support.store import inbound, outbox
from tests.support.twilio import post_sms

STRANGERS = [f"+155501990{n:02d}" for n in range(16)]  # reach no account: English


@pytest.fixture
def second_rasa(fake_rasa):
    rasa = FakeRasa()
    rasa.events = fake_rasa.events  # one tracker store (Redis) for both
    rasa.up()
    yield rasa
    rasa.down()


@pytest.fixture
def two_rasa_app(make_app, fake_rasa, second_rasa):
    for rasa in (fake_rasa, second_rasa):
        rasa.slots = {}  # tracker reads (the trainers' capture) answered, as by Rasa
    app = make_app(RASA_URL=f"{fake_rasa.url}, {second_rasa.url}/")
    services(app).rasa.for_language("en").recheck_seconds = 0.3
    return app


def senders(rasa):
    return {call["sender"] for call in rasa.calls}


def test_conversations_are_spread_over_the_processes_and_each_stays_with_one(
        two_rasa_app, fake_rasa, second_rasa):
    client = two_rasa_app.test_client()
    for phone in STRANGERS:
        assert post_sms(client, "hello", phone=phone).texts == [with_opt_out("Bot heard: hello")]
        assert post_sms(client, "and again", phone=phone).texts == [
            with_opt_out("Bot heard: and again")]
    first, second = senders(fake_rasa), senders(second_rasa)
    assert len(first) + len(second) == len(STRANGERS) and not first & second
    assert len(first) >= 3 and len(second) >= 3  # 16 conversations: both get a share
    assert len(fake_rasa.calls) == 2 * len(first) and len(second_rasa.calls) == 2 * len(second)


def test_a_process_that_is_down_is_skipped_and_used_again_once_healthy(
        two_rasa_app, fake_rasa, second_rasa):
    client = two_rasa_app.test_client()
    second_rasa.down()
    for phone in STRANGERS[:8]:
        assert post_sms(client, "hello", phone=phone).texts == [with_opt_out("Bot heard: hello")]
    assert len(fake_rasa.calls) == 8 and second_rasa.calls == []
    assert client.get("/healthz").json["rasa"]["en"] == "1/2 up"

    second_rasa.up()
    time.sleep(0.4)  # past the pool's next health check
    for phone in STRANGERS[:8]:
        assert post_sms(client, "back?", phone=phone).texts == [with_opt_out("Bot heard: back?")]
    # The conversations that rank the second process first went back to it.
    assert senders(second_rasa) and not senders(second_rasa) & {
        call["sender"] for call in fake_rasa.calls if call["message"] == "back?"}
    assert client.get("/healthz").json["rasa"]["en"] == "up"


def test_a_process_failing_with_5xx_is_skipped_and_its_message_answered_once(
        two_rasa_app, fake_rasa, second_rasa):
    """A 5xx leaves in doubt whether Rasa applied the message: it is not resent at once,
    it waits for redelivery, which asks the tracker first and sends it to the other."""
    client = two_rasa_app.test_client()
    services(two_rasa_app).rasa.for_language("en").recheck_seconds = 60  # no check meanwhile
    second_rasa.status = 500
    holding = [with_opt_out(gateway_reply("holding"))]
    replies = {phone: post_sms(client, "hello", phone=phone).texts for phone in STRANGERS[:8]}
    [failed] = [phone for phone, texts in replies.items() if texts == holding]
    assert len(second_rasa.calls) == 1 and len(fake_rasa.calls) == 7  # skipped once down
    assert inbound(failed)[0].status == MessageStatus.DEFERRED

    assert redeliver_once(two_rasa_app).answered == 1
    assert [m.body for m in outbox(failed)] == [with_opt_out("Bot heard: hello")]
    assert len(fake_rasa.calls) == 8 and len(second_rasa.calls) == 1


def test_a_message_no_process_could_take_waits_for_redelivery(two_rasa_app, fake_rasa,
                                                              second_rasa):
    client = two_rasa_app.test_client()
    fake_rasa.down()
    second_rasa.down()
    assert post_sms(client, "anyone?", phone=STRANGERS[0]).texts == [
        with_opt_out(gateway_reply("holding"))]
    assert client.get("/healthz").json["rasa"]["en"] == "down"
    second_rasa.up()
    fake_rasa.up()
    assert redeliver_once(two_rasa_app).answered == 1
    assert [m.body for m in outbox(STRANGERS[0])] == [with_opt_out("Bot heard: anyone?")]


def test_a_list_with_something_other_than_addresses_is_refused(make_app):
    from settings.deployment import ConfigError

    with pytest.raises(ConfigError, match="RASA_URL must be one or more http"):
        make_app(RASA_URL="http://127.0.0.1:5005, rasa-2:5005")
