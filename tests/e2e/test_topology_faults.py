"""The production topology (devtools/topology.py: gateway x2, English Rasa x2, actions,
campaign workers x2, PostgreSQL and Redis) under faults: while borrowers text through both
gateways and a campaign is sending, one Rasa and one gateway are SIGKILLed and Redis is
killed and started again. Every borrower message is stored once, taken in by the dialogue once
and answered once, and no campaign text goes twice; the recovery times are printed.

Redis is a server of the test's own (append-only file fsynced at every write, so a restart
keeps what it acknowledged), never the shared one; the store is a PostgreSQL database of its
own. Borrowers reach the gateways as through a load balancer that tries the other gateway
when one refuses or drops the connection, and as Twilio does with its connection overrides,
resending the same MessageSid after a failed delivery.
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import redis
import requests
import yaml
from sqlalchemy import select
from sqlalchemy.engine import make_url

import store.db
from campaigns.attempts import progress, utc_now
from campaigns.runtime import Runtime
from campaigns.scheduling import schedule
from devtools.stack import Stack
from devtools.topology import ensure_database, topology_config
from devtools.twilio_sim import SimulatedTwilio, twiml_messages
from language import local_today
from lending.policy import load_policy
from messaging.sms_text import gateway_reply
from settings.service import Settings
from store.accounts import import_records
from store.models import (
    AttemptState,
    AuditEvent,
    ContactAttempt,
    Message,
    MessageStatus,
    OutboxMessage,
)
from tests.support.accounts import afternoon_zone
from tests.support.app import empty_postgres
from tests.support.redis_server import RedisServer
from tests.support.stack import PORT_BASE

pytestmark = pytest.mark.e2e

# Gateways on BASE+20 and +21, Rasa on +25 and +27, actions on +75, Redis on +90.
TOPOLOGY_PORT_BASE = PORT_BASE + 20
REDIS_PORT = PORT_BASE + 90
BORROWERS = 24
SCRIPT = ["hi", "03/14/1988", "4821", "how much do i owe"]
CAMPAIGN_ACCOUNTS = 30
HOLDING = gateway_reply("holding", "en")
DELIVERY_DEADLINE = 90  # seconds a simulated Twilio keeps retrying one message
RECOVERY_DEADLINE = 200  # a message left mid-turn by the dead gateway waits 2 minutes (redelivery)


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = RedisServer(Path(tmp_path_factory.mktemp("topology-redis")), REDIS_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_database(postgres_url) -> str:
    url = str(make_url(postgres_url).set(database=f"{make_url(postgres_url).database}_topology"))
    ensure_database(url)
    engine = store.db.make_engine(url)
    empty_postgres(engine)
    engine.dispose()
    store.db.connect(url)
    return url


CAMPAIGN = {
    "name": "Topology reminders", "channel": "sms",
    "segment": {"balance": {"min": "1.00"}, "tags": {"exclude": ["no_campaigns"]}},
    "stages": {"overdue": {"days_past_due": {"min": 1, "max": 30}}},
    "templates": {"overdue": {"en": "Hi {first_name}, your repayment due {due_date} is late. Pay at {link}"}},
    "schedule": {"send_window": {"start": "08:00", "end": "21:00"}},
}


def _account(account_id: str, phone: str, zone: str) -> dict:
    return {
        "account_id": account_id, "name": "Dana Rivers", "phone": phone, "timezone": zone,
        "language": "en", "currency": "USD", "principal": "420.00", "interest": "18.50",
        "fees": "15.00", "due_date": (local_today(zone) - dt.timedelta(days=14)).isoformat(),
        "birth_date": "1988-03-14", "id_last4": "4821",
        "consent_sms": "2026-01-05T10:00:00Z", "consent_voice": "2026-01-05T10:00:00Z",
    }


@pytest.fixture(scope="module")
def topology(tmp_path_factory, own_redis, own_database):
    var = Path(tmp_path_factory.mktemp("topology"))
    (var / "campaigns").mkdir()
    (var / "campaigns" / "reminders.yml").write_text(yaml.safe_dump(CAMPAIGN))
    zone = afternoon_zone()  # inside contact hours whenever the test runs
    borrowers = [f"+1555033{n:04d}" for n in range(BORROWERS)]
    reminded = [f"+1555034{n:04d}" for n in range(CAMPAIGN_ACCOUNTS)]
    with store.db.session_scope() as session:
        # The borrowers texting are left out of the campaign, so no campaign text mixes
        # with their answers.
        rows = [dict(_account(f"TOPO-C-{n}", phone, zone), tags="no_campaigns")
                for n, phone in enumerate(borrowers)]
        rows += [_account(f"TOPO-R-{n}", phone, zone) for n, phone in enumerate(reminded)]
        assert import_records(session, rows).errors == []
    config = topology_config(own_database, own_redis.url, TOPOLOGY_PORT_BASE, var / "log", {
        "REDELIVERY_INTERVAL_SECONDS": "1", "CAMPAIGNS_DIR": str(var / "campaigns"),
        "SEND_RATE_PER_NUMBER": "3/second", "CAMPAIGN_LEASE_SECONDS": "10",
    })
    with Stack(config) as stack:
        yield stack, borrowers, reminded


@dataclass
class Delivery:
    """One borrower message as Twilio handles it: posted until a gateway takes it."""

    sid: str
    phone: str
    body: str
    started: float = 0.0
    replies: List[str] = field(default_factory=list)  # what the borrower got back at once
    answered_at: Optional[float] = None  # the bot's answer (not a holding reply) came back
    tries: int = 0
    delivered: bool = False

    @property
    def bot_answered(self) -> bool:
        return bool(self.replies) and not any(HOLDING in reply for reply in self.replies)


class Borrowers:
    """Each borrower's preferred gateway is the one a load balancer would pick; a refused or
    dropped connection, or a 5xx, sends the same message (same MessageSid) to the other."""

    def __init__(self, gateways: List[SimulatedTwilio]):
        self.gateways = gateways
        self.deliveries: List[Delivery] = []
        self.failures: collections.Counter = collections.Counter()  # why a delivery was tried again
        self._guard = threading.Lock()

    def send(self, index: int, phone: str, body: str) -> Delivery:
        twilio = self.gateways[index % len(self.gateways)]
        delivery = Delivery(twilio.new_message_sid(), phone, body, time.monotonic())
        with self._guard:
            self.deliveries.append(delivery)
        params = {"MessageSid": delivery.sid, "AccountSid": "AC" + "0" * 32, "From": phone,
                  "To": twilio.lender_number, "Body": body, "NumMedia": "0"}
        turn = index
        while time.monotonic() - delivery.started < DELIVERY_DEADLINE:
            delivery.tries += 1
            try:
                response = self.gateways[turn % len(self.gateways)].post("/twilio/sms", params)
                if response.status_code == 200:
                    delivery.replies = twiml_messages(response.text)
                    delivery.delivered = True
                    if delivery.bot_answered:
                        delivery.answered_at = time.monotonic()
                    return delivery
                self.failures[f"HTTP {response.status_code}"] += 1
            except requests.RequestException as exc:
                self.failures[type(exc).__name__] += 1
            turn += 1
            time.sleep(0.3)
        return delivery

    def converse(self, index: int, phone: str) -> None:
        for body in SCRIPT:
            self.send(index, phone, body)
            time.sleep(0.5)


def _kill_group(stack: Stack, name: str) -> None:
    process = stack.processes[name]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _inbound(session, sid: str) -> List[Message]:
    return session.execute(select(Message).where(Message.provider_sid == sid,
                                                 Message.direction == "in")).scalars().all()


def _redelivered(session) -> Dict[int, int]:
    """How many times redelivery answered each message, by its id."""
    events = session.execute(select(AuditEvent).where(AuditEvent.action == "redelivered")).scalars()
    details = (event.details if isinstance(event.details, dict) else json.loads(event.details or "{}")
               for event in events)
    return collections.Counter(d["message_id"] for d in details)


def _applied_by_rasa(client: redis.Redis) -> Dict[int, int]:
    """How many times the dialogue took each message in, by its id, from the trackers in
    Redis (a turn taken back with a rewind does not count)."""
    applied: collections.Counter = collections.Counter()
    for key in client.scan_iter(match="*tracker-events:*"):
        turns: List[Optional[int]] = []
        for item in client.lrange(key, 0, -1):
            event = json.loads(item)
            if event.get("event") == "user":
                turns.append((event.get("metadata") or {}).get("message_id"))
            elif event.get("event") == "rewind" and turns:
                turns.pop()
        applied.update(turn for turn in turns if turn is not None)
    return applied


def test_a_rasa_a_gateway_and_redis_fail_mid_load_and_nothing_is_lost_or_doubled(topology, own_redis):
    stack, borrowers, reminded = topology
    config = stack.config
    gateways = [SimulatedTwilio(f"http://127.0.0.1:{config.gateway_port_of(name)}",
                                config.extra_env["TWILIO_AUTH_TOKEN"]) for name in config.gateway_names]
    load = Borrowers(gateways)
    settings = Settings.from_env(stack.env())
    runtime = Runtime.build(settings, load_policy(settings.policy_file))
    run = schedule(runtime, runtime.campaigns["reminders"], utc_now(), actor="test")
    assert run.scheduled == CAMPAIGN_ACCOUNTS

    def sent() -> int:
        with store.db.session_scope() as session:
            return len(session.execute(select(OutboxMessage.id).where(OutboxMessage.to.in_(reminded))).all())

    with ThreadPoolExecutor(max_workers=BORROWERS) as pool:
        conversations = [pool.submit(load.converse, n, phone) for n, phone in enumerate(borrowers)]
        # Mid-load: a quarter of the turns answered and the campaign sending.
        deadline = time.monotonic() + 120
        while sum(d.answered_at is not None for d in load.deliveries) < BORROWERS * len(SCRIPT) // 4 \
                or sent() < 3:
            assert time.monotonic() < deadline, "the load did not get going"
            time.sleep(0.2)
        fault = time.monotonic()
        _kill_group(stack, "rasa2")
        _kill_group(stack, "gateway2")
        own_redis.kill()
        own_redis.start()
        faults_over = time.monotonic()
        sent_at_fault = sent()
        for conversation in conversations:
            conversation.result()

    # Everything the borrowers sent has been taken by a gateway.
    undelivered = [d.sid for d in load.deliveries if not d.delivered]
    assert undelivered == [], f"{len(undelivered)} messages no gateway took"
    assert len(load.deliveries) == BORROWERS * len(SCRIPT)

    def settled() -> bool:
        with store.db.session_scope() as session:
            waiting = session.execute(select(Message.id).where(
                Message.direction == "in",
                Message.status.notin_([MessageStatus.ANSWERED, MessageStatus.HANDLED]))).all()
            counts = progress(session, run_id=run.run_id)
        return not waiting and counts["waiting"] == 0 and counts["in_doubt"] == 0

    while not settled():
        assert time.monotonic() - fault < RECOVERY_DEADLINE, "messages still wait for an answer"
        time.sleep(1)
    all_answered = time.monotonic()

    with store.db.session_scope() as session:
        # Stored once, answered once: at once by the webhook, or later by redelivery.
        redelivered = _redelivered(session)
        applied = _applied_by_rasa(redis.Redis.from_url(own_redis.url))
        stored, answers, statuses, turns = {}, {}, {}, {}
        for delivery in load.deliveries:
            rows = _inbound(session, delivery.sid)
            stored[delivery.sid] = len(rows)
            answers[delivery.sid] = delivery.bot_answered + sum(redelivered[row.id] for row in rows)
            statuses[delivery.sid] = {row.status for row in rows}
            turns[delivery.sid] = sum(applied[row.id] for row in rows)
        campaign_texts = collections.Counter(
            row.to for row in session.execute(select(OutboxMessage).where(
                OutboxMessage.to.in_(reminded))).scalars())
        attempt_states = collections.Counter(row.state for row in session.execute(
            select(ContactAttempt).where(ContactAttempt.run_id == run.run_id)).scalars())
    lost = [(d.body, d.tries, d.replies) for d in load.deliveries if stored[d.sid] == 0]
    doubled = [sid for sid, count in stored.items() if count > 1]
    unanswered = [sid for sid, count in answers.items() if count == 0]
    answered_twice = [sid for sid, count in answers.items() if count > 1]
    assert (lost, doubled) == ([], []), "borrower messages lost or stored twice"
    assert {sid: s for sid, s in statuses.items() if s != {MessageStatus.ANSWERED}} == {}
    assert (unanswered, answered_twice) == ([], []), "messages unanswered or answered twice"
    # ... and the dialogue took each in once (a message redelivered is not a second turn).
    assert {sid: n for sid, n in turns.items() if n != 1} == {}
    assert set(campaign_texts) == set(reminded) and max(campaign_texts.values()) == 1, campaign_texts
    assert attempt_states == {AttemptState.SENT: CAMPAIGN_ACCOUNTS}

    first_turn = min((d.answered_at for d in load.deliveries
                      if d.started >= faults_over and d.answered_at is not None), default=None)
    assert first_turn is not None, "no turn answered after the faults"
    by_redelivery = sum(redelivered.values())
    print(f"\ntopology under faults: {len(load.deliveries)} borrower messages from {BORROWERS} "
          f"borrowers and {CAMPAIGN_ACCOUNTS} campaign texts ({sent_at_fault} sent before the "
          f"faults); 0 lost, 0 answered twice, 0 sent twice; {by_redelivery} answered by "
          f"redelivery; deliveries tried again after {dict(load.failures)}; "
          f"faults took {faults_over - fault:.1f} s (Redis back); first turn answered "
          f"{first_turn - faults_over:.1f} s after, all answered and sent "
          f"{all_answered - fault:.0f} s after the first fault")
