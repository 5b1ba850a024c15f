"""GET /metrics: refused without the token, and after some webhooks the histograms and
counters have moved and the gauges say what the store holds."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from store.db import session_scope
from store.models import Conversation, Handoff
from tests.support.accounts import BORROWER
from tests.support.app import API_KEY
from tests.support.twilio import post_sms

METRICS_TOKEN = "metrics-token-0123456789"


def scrape(client, token=METRICS_TOKEN) -> dict:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.data
    assert answer.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def client(make_app):
    return make_app(METRICS_TOKEN=METRICS_TOKEN).test_client()


def test_unauthenticated_scrapes_are_refused(client, make_app):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code == 401
    scrape(client, API_KEY)  # the API key opens it too
    closed = make_app(API_KEY="").test_client()
    answer = closed.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 503 and b"METRICS_TOKEN" in answer.data


def test_webhooks_move_the_latency_histograms_and_the_rasa_counters(client, fake_rasa):
    route = dict(route="/twilio/sms", method="POST", status="200")
    before = scrape(client)
    for text in ("hello", "when is it due", "ok"):
        assert post_sms(client, text).status_code == 200
    after = scrape(client)
    assert value(after, "repay_http_request_seconds_count", **route) == value(before, "repay_http_request_seconds_count", **route) + 3
    assert value(after, "repay_http_request_seconds_sum", **route) > value(before, "repay_http_request_seconds_sum", **route)
    assert value(after, "repay_rasa_request_seconds_count", language="en") == value(before, "repay_rasa_request_seconds_count", language="en") + 3
    assert value(after, "repay_http_request_seconds_bucket", le="15.0", **route) >= 3

    fake_rasa.down()  # the bot is unreachable: an error, a deferred message, a backlog
    assert post_sms(client, "are you there").status_code == 200
    down = scrape(client)
    assert value(down, "repay_rasa_errors_total", language="en", error="ConnectionError") == \
        value(after, "repay_rasa_errors_total", language="en", error="ConnectionError") + 1
    assert value(down, "repay_messages_deferred_total", reason="bot_unavailable") == \
        value(after, "repay_messages_deferred_total", reason="bot_unavailable") + 1
    assert value(down, "repay_redelivery_backlog") == 1


def test_the_handoff_queue_and_campaign_gauges_read_the_store(client):
    with session_scope() as session:
        for n, priority in enumerate((1, 3, 3)):
            conversation = Conversation(channel="sms", phone=f"{BORROWER[:-1]}{n}")
            session.add(conversation)
            session.flush()
            session.add(Handoff(conversation_id=conversation.id, channel="sms", reason="request_human",
                                priority=priority))
    samples = scrape(client)
    assert value(samples, "repay_handoff_queue_depth", priority="1") == 1
    assert value(samples, "repay_handoff_queue_depth", priority="3") == 2
    assert value(samples, "repay_campaign_sent_last_5m") == 0
    assert ("repay_campaign_queue_depth", ()) not in samples  # no REDIS_URL: no queue to read
