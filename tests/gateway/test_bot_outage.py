"""When Rasa is down, failing or slow the borrower still gets an answer at once,
and the real answer follows by SMS once the bot is back (server/conversation/redelivery.py)."""
import datetime as dt
import runpy
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from messaging.sms_text import gateway_reply, with_opt_out
from server import REDELIVERY
from server.conversation.redelivery import MAX_EMPTY_ANSWERS, redeliver_once
from store.db import session_scope
from store.models import Conversation, Message, MessageStatus
from tests.support.accounts import STRANGER, in_contact_hours
from tests.support.app import RASA_TIMEOUT
from tests.support.paths import ROOT
from tests.support.store import inbound, outbound, outbox
from tests.support.twilio import post_sms

CHINESE_BORROWER = "+8613800000001"  # DEMO-1005


def timed(send, body, **kwargs):
    started = time.monotonic()
    reply = send(body, **kwargs)
    return reply, time.monotonic() - started


def test_bot_down_gets_a_holding_reply_then_one_answer_by_sms(app, sms, fake_rasa):
    fake_rasa.down()
    reply, seconds = timed(sms, "can I pay next week?")

    assert reply.texts == [with_opt_out(gateway_reply("holding"))]
    assert seconds < RASA_TIMEOUT
    assert inbound()[0].status == MessageStatus.DEFERRED
    assert [m.body for m in outbound()] == [with_opt_out(gateway_reply("holding"))]

    fake_rasa.up()
    report = redeliver_once(app)
    assert report.answered == 1
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: can I pay next week?")]
    assert inbound()[0].status == MessageStatus.ANSWERED
    assert [m.body for m in outbound()] == [with_opt_out(gateway_reply("holding")), with_opt_out("Bot heard: can I pay next week?")]

    assert redeliver_once(app).answered == 0
    assert len(outbox()) == 1
    assert fake_rasa.messages() == ["can I pay next week?"]


def test_slow_bot_gets_a_holding_reply_within_the_timeout(sms, fake_rasa):
    fake_rasa.delay = RASA_TIMEOUT + 1.5
    reply, seconds = timed(sms, "hello")

    assert reply.texts == [with_opt_out(gateway_reply("holding"))]
    assert seconds < RASA_TIMEOUT + 1
    assert inbound()[0].status == MessageStatus.DEFERRED


@pytest.mark.parametrize("status", [500, 503])
def test_failing_bot_gets_a_holding_reply(sms, fake_rasa, status):
    fake_rasa.status = status
    assert sms("hello").texts == [with_opt_out(gateway_reply("holding"))]
    assert inbound()[0].status == MessageStatus.DEFERRED


def test_bot_answering_nothing_is_retried_then_given_up(app, sms, fake_rasa):
    fake_rasa.answer = lambda sender, text: []  # what Rasa does when its action server is down
    assert sms("hello").texts == [with_opt_out(gateway_reply("holding"))]

    for _ in range(MAX_EMPTY_ANSWERS - 1):
        assert redeliver_once(app).still_deferred == 1
    assert redeliver_once(app).dropped == 1
    assert inbound()[0].status == MessageStatus.ANSWERED
    assert outbox() == []


def test_later_messages_wait_behind_a_deferred_one(app, sms, fake_rasa):
    fake_rasa.down()
    sms("first")
    fake_rasa.up()
    # The bot is back, but "first" has not been answered yet: "second" must not overtake it.
    assert sms("second").texts == [with_opt_out(gateway_reply("holding"))]
    assert fake_rasa.calls == []

    assert redeliver_once(app).answered == 2
    assert fake_rasa.messages() == ["first", "second"]
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: first"), with_opt_out("Bot heard: second")]


def test_a_pass_stops_at_the_first_failure_while_the_bot_is_down(app, sms, fake_rasa):
    fake_rasa.down()
    sms("one")
    sms("two", phone=STRANGER)
    fake_rasa.status = 500
    fake_rasa.up()

    report = redeliver_once(app)
    assert report.still_deferred == 1 and report.answered == 0
    assert len(fake_rasa.calls) == 1
    assert {m.status for m in inbound() + inbound(STRANGER)} == {MessageStatus.DEFERRED}


def test_a_language_whose_bot_is_down_holds_up_only_its_own_messages(make_app, fake_rasa):
    """The Chinese model still training (./repay demo brings it up after English): its
    accounts' messages wait, and English ones deferred after them are answered."""
    app = make_app(RASA_URL_ZH="http://127.0.0.1:9")  # nothing listens there
    in_contact_hours("DEMO-1005")  # the cn profile answers nothing 22:00-08:00
    client = app.test_client()
    fake_rasa.down()
    post_sms(client, "你好", phone=CHINESE_BORROWER)
    post_sms(client, "hello")
    fake_rasa.up()

    report = redeliver_once(app)
    assert (report.answered, report.still_deferred) == (1, 1)
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: hello")]
    assert inbound(CHINESE_BORROWER)[0].status == MessageStatus.DEFERRED
    assert fake_rasa.messages() == ["hello"]


def test_no_redelivery_to_a_phone_that_opted_out_meanwhile(app, sms, fake_rasa):
    fake_rasa.down()
    sms("hello")
    assert sms("STOP").texts[0].startswith("You're unsubscribed")  # keywords need no bot
    fake_rasa.up()

    assert redeliver_once(app).dropped == 1
    assert outbox() == []
    assert fake_rasa.calls == []
    assert inbound()[0].status == MessageStatus.HANDLED


def test_no_redelivery_once_a_person_has_the_conversation(app, sms, fake_rasa):
    fake_rasa.down()
    sms("hello")
    with session_scope() as session:
        session.execute(update(Conversation).values(handled_by="human"))
    fake_rasa.up()

    assert redeliver_once(app).dropped == 1
    assert outbox() == []
    assert fake_rasa.calls == []


def test_message_abandoned_by_a_crashed_process_is_answered(app, sms, fake_rasa):
    fake_rasa.down()
    sms("hello")
    # As if a process had stored the message and died before asking the bot.
    with session_scope() as session:
        session.execute(
            update(Message)
            .where(Message.direction == "in")
            .values(status=MessageStatus.RECEIVED, updated_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
        )
    fake_rasa.up()

    assert redeliver_once(app).answered == 1
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: hello")]


def test_a_message_whose_routing_failed_is_kept_and_answered_once(app, sms, fake_rasa, monkeypatch):
    """The message is stored in a transaction of its own: when what follows fails (here the
    gate's read), Twilio's retry of the webhook finds it stored, and redelivery answers it."""
    import server.sms.webhook as webhook

    def store_failing(*args, **kwargs):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(webhook, "_ask_gate", store_failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert sms("can I pay next week?", sid="SM-routing-failed").status_code == 500
    assert [(m.body, m.status) for m in inbound()] == [("can I pay next week?", MessageStatus.RECEIVED)]

    monkeypatch.undo()
    retried = sms("can I pay next week?", sid="SM-routing-failed")  # Twilio's retry
    assert (retried.status_code, retried.texts) == (200, [])
    assert len(inbound()) == 1 and fake_rasa.messages() == []

    with session_scope() as session:  # a webhook no longer lives: the message was abandoned
        session.execute(update(Message).where(Message.direction == "in").values(
            updated_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)))
    assert redeliver_once(app).answered == 1
    assert [m.body for m in outbox()] == [with_opt_out("Bot heard: can I pay next week?")]
    assert fake_rasa.messages() == ["can I pay next week?"]


def test_message_being_answered_right_now_is_left_alone(app, sms, fake_rasa):
    fake_rasa.down()
    sms("hello")
    with session_scope() as session:  # RECEIVED a moment ago: a webhook is on it
        session.execute(update(Message).where(Message.direction == "in").values(status=MessageStatus.RECEIVED))
    fake_rasa.up()

    assert redeliver_once(app).answered == 0
    assert fake_rasa.calls == []


def test_a_new_serving_process_redelivers_without_a_request(make_app, fake_rasa):
    """A gateway that died with messages deferred is replaced; nobody texts again: the new
    process answers them anyway, its redelivery started by gunicorn's worker hook."""
    dead = make_app()
    fake_rasa.down()
    assert post_sms(dead.test_client(), "hello").texts == [with_opt_out(gateway_reply("holding"))]

    fresh = make_app(REDELIVERY_INTERVAL_SECONDS=0.1)  # the replacement: no request reaches it
    fake_rasa.up()
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["post_worker_init"](SimpleNamespace(wsgi=fresh))
    try:
        deadline = time.monotonic() + 5
        while not outbox() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m.body for m in outbox()] == [with_opt_out("Bot heard: hello")]
    finally:
        fresh.extensions[REDELIVERY].stop()
