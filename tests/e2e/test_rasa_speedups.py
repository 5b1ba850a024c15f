"""Rasa with bot/rasa_speedups.py, its own tracker store (bot/redis_tracker_store.py) and
REST channel (bot/rest_channel.py) against stock Rasa 3.6 with Rasa's Redis store and REST
channel, side by side on one Redis, through Rasa's HTTP API: the same conversations get the
same answers and leave the same events (the same intents, confidences, predictions,
slots), turn by turn."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import List

import pytest
import redis
import requests

import store.db
from devtools.stack import OFFLINE_TWILIO, STOCK_RASA, Stack, StackConfig
from language import local_today
from server.conversation.rasa_client import RasaPool, applied_turn
from store.accounts import import_records
from store.models import Conversation
from tests.support.stack import PORT_BASE

CONVERSATIONS = {
    "plan": ["hi", "03/14/1988", "4821", "how much do i owe", "can i pay it over 3 months",
             "no", "can i pay it off over 3 months", "yes", "what happens if i don't pay",
             "when is it due", "ok thanks, bye"],
    "locked": ["hi", "01/01/1970", "02/02/1971", "03/03/1972", "how much do i owe"],
    "dispute": ["hi", "this isn't my loan, i never borrowed from you",
                "I want to talk to a person", "asdf qwerty"],
    "promise": ["hello", "03/14/1988", "4821", "I lost my job and can't pay right now",
                "can I pay $100 next friday", "yes"],
}
VARIANTS = ("tuned", "stock")


@pytest.fixture(scope="module")
def rasas(tmp_path_factory, redis_url):
    client = redis.Redis.from_url(redis_url)
    client.ping()  # fails loudly when Redis is down
    client.flushdb()
    var = Path(tmp_path_factory.mktemp("e2e-speedups"))
    config = StackConfig(
        rasa_port=PORT_BASE + 2005, stock_rasa_port=PORT_BASE + 2007,
        actions_port=PORT_BASE + 2055, gateway_port=PORT_BASE + 2000, gateways=0,
        languages=("en",), database_url=f"sqlite:///{var / 'repay.db'}",
        tracker_db=str(var / "unused.db"), redis_url=redis_url, log_dir=var / "log",
        extra_env={**OFFLINE_TWILIO},
    )
    store.db.connect(config.database_url)
    due = (local_today("America/New_York") - dt.timedelta(days=14)).isoformat()
    with store.db.session_scope() as session:
        for number, (name, variant) in enumerate(
                [(name, variant) for name in CONVERSATIONS for variant in VARIANTS]
                + [("once", "tuned")]):
            account = f"speed-{name}-{variant}".upper()
            import_records(session, [{
                "account_id": account, "name": "Dana Rivers", "phone": f"+1555040{number:04d}",
                "timezone": "America/New_York", "language": "en", "currency": "USD",
                "principal": "420.00", "interest": "18.50", "fees": "15.00", "due_date": due,
                "birth_date": "1988-03-14", "id_last4": "4821",
            }])
            # The actions find the conversation's account through its row in the store.
            session.add(Conversation(id=f"speed-{name}-{variant}", channel="sms",
                                     phone=f"+1555040{number:04d}", account_id=account))
    with Stack(config) as stack:
        yield stack, client


def _url(stack, variant: str) -> str:
    return stack.config.rasa_url if variant == "tuned" else stack.config.stock_rasa_url


def _same_for_both(found, sender: str):
    """What Rasa answered, with what names the conversation (its id, its account's in a
    payment link) made the same for both."""
    return json.loads(json.dumps(found).replace(sender.upper(), "<account>")
                      .replace(sender, "<conversation>"))


def _say(stack, variant: str, sender: str, text: str) -> List[dict]:
    response = requests.post(f"{_url(stack, variant)}/webhooks/rest/webhook", timeout=60,
                             json={"sender": sender, "message": text})
    response.raise_for_status()
    return _same_for_both(response.json(), sender)


def _events(stack, variant: str, sender: str) -> List[dict]:
    """The conversation's events, without what differs by nature: times, ids, the sender."""
    response = requests.get(
        f"{_url(stack, variant)}/conversations/{sender}/tracker", timeout=60,
        params={"include_events": "ALL", "token": stack.secrets["RASA_TOKEN"]})
    response.raise_for_status()
    events = response.json()["events"]
    for event in events:
        event.pop("timestamp", None)
        event.pop("message_id", None)
        (event.get("parse_data") or {}).pop("message_id", None)
        (event.get("metadata") or {}).pop("model_id", None)
    return _same_for_both(events, sender)


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_the_same_conversation_gets_the_same_answers_and_events(rasas, name):
    stack, _ = rasas
    senders = {variant: f"speed-{name}-{variant}" for variant in VARIANTS}
    for text in CONVERSATIONS[name]:
        tuned, stock = (_say(stack, variant, senders[variant], text) for variant in VARIANTS)
        assert tuned == stock, text
        assert tuned, text  # every turn is answered
    tuned, stock = (_events(stack, variant, senders[variant]) for variant in VARIANTS)
    assert tuned == stock
    assert sum(event["event"] == "user" for event in tuned) == len(CONVERSATIONS[name])


def test_the_tuned_rasa_runs_with_the_speedups_and_the_stock_one_without(rasas):
    stack, client = rasas
    logs = stack.config.log_dir
    assert "rasa speedups: 5 of Rasa's functions replaced" in (logs / "rasa.log").read_text()
    assert "rasa speedups: 0 of" in (logs / f"{STOCK_RASA}.log").read_text()
    for variant in VARIANTS:
        assert _say(stack, variant, f"probe-{variant}", "hi")
    keys = {key.decode() for key in client.scan_iter("repay:*", count=1000)}
    assert "repay:tracker-events:probe-tuned" in keys  # one list item per event
    assert "repay:tracker:probe-stock" in keys  # one JSON document
    assert "repay:tracker-events:probe-stock" not in keys


def test_the_rest_channel_answers_how_the_nlu_read_the_message_when_asked(rasas):
    stack, _ = rasas
    payload = {"sender": "parse-probe", "message": "how much do i owe"}
    answered = requests.post(f"{stack.config.rasa_url}/webhooks/rest/webhook?parse=true",
                             json=payload, timeout=60).json()
    tracker = requests.get(
        f"{stack.config.rasa_url}/conversations/parse-probe/tracker", timeout=60,
        params={"include_events": "NONE", "token": stack.secrets["RASA_TOKEN"]}).json()
    latest = tracker["latest_message"]
    assert answered["messages"] and all(m["recipient_id"] == "parse-probe"
                                        for m in answered["messages"])
    assert answered["parse"] == {key: latest[key] for key in
                                 ("intent", "intent_ranking", "entities", "text")}
    assert answered["parse"]["text"] == "how much do i owe"
    # Not asked, it answers as Rasa's REST channel does; Rasa's own ignores the question.
    plain = requests.post(f"{stack.config.rasa_url}/webhooks/rest/webhook",
                          json={**payload, "message": "when is it due"}, timeout=60).json()
    stock = requests.post(f"{stack.config.stock_rasa_url}/webhooks/rest/webhook?parse=true",
                          json=payload, timeout=60).json()
    assert isinstance(plain, list) and plain and isinstance(stock, list) and stock


def test_a_turn_rasa_applied_is_found_in_its_tracker_with_the_answer_it_gave(rasas):
    """What redelivery relies on to send a message once (RasaPool.reply_once), on Rasa's
    own events: the turn of a message id, the answer Rasa gave to it, and no second send."""
    stack, _ = rasas
    pool = RasaPool([stack.config.rasa_url], timeout=60, token=stack.secrets["RASA_TOKEN"])
    sender = "speed-once-tuned"
    answered = {}
    for message_id, text in enumerate(["hi", "03/14/1988"], start=501):
        answered[message_id] = pool.exchange(sender, text, message_id)
        events = pool.tracker(sender, events="AFTER_RESTART")["events"]
        turn = applied_turn(events, message_id)
        assert turn.latest and turn.parse == answered[message_id].parse
        assert turn.answers == [{key: value for key, value in answer.items()
                                 if key != "recipient_id"}
                                for answer in answered[message_id].answers]
    assert any("custom" in answer for answer in answered[502].answers)  # the ID question

    def users():
        return [e for e in pool.tracker(sender, events="AFTER_RESTART")["events"]
                if e["event"] == "user"]

    before = len(users())
    again = pool.reply_once(sender, "03/14/1988", 502)
    assert again.texts == [a["text"] for a in answered[502].answers if a.get("text")]
    assert again.identity_question == "id_last4"
    assert len(users()) == before  # not sent again
    assert applied_turn(pool.tracker(sender, events="AFTER_RESTART")["events"], 501).latest \
        is False
