"""Two agents can never claim the same conversation: several gateway processes (here,
several apps sharing one store and one real Redis) and concurrent claimers."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import redis
from sqlalchemy import select

import store.db
from store.agents import save_agent
from store.db import session_scope
from store.handoffs import claim, enqueue
from store.models import Account, AuditEvent, Conversation, Handoff
from tests.support.app import empty_postgres
from tests.support.console import PASSWORD, Browser
from tests.support.fake_rasa import hand_over

CLAIMERS = 8


def clean_redis(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    client.ping()  # fails loudly when Redis is down
    for pattern in ("repay:handoff-claim:*", "*repay:limits*"):
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)
    return client


def open_handoff(sms) -> int:
    sms("hello")
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    return hand_over(conversation_id)


def claimers(apps) -> list:
    with session_scope() as session:
        for n in range(CLAIMERS):
            save_agent(session, f"agent{n}", "agent", PASSWORD)
    return [Browser(apps[n % len(apps)].test_client(), f"agent{n}") for n in range(CLAIMERS)]


def race(browsers, handoff_id) -> dict:
    start = threading.Barrier(len(browsers))
    results = {}

    def go(browser):
        start.wait()
        response = browser.claim(handoff_id)
        results[browser] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=go, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_one_winner(results, handoff_id):
    codes = sorted(code for code, _ in results.values())
    assert codes == [200] + [409] * (len(results) - 1), results
    [winner] = [body["claimed_by"] for code, body in results.values() if code == 200]
    with session_scope() as session:
        row = session.get(Handoff, handoff_id)
        claims = session.execute(select(AuditEvent).where(AuditEvent.action == "claim")).scalars().all()
    assert (row.status, row.claimed_by) == ("claimed", winner)
    assert [event.actor for event in claims] == [f"agent:{winner}"]
    return winner


def test_concurrent_claims_across_gateway_processes_on_a_real_redis(make_app, redis_url, sms):
    clean_redis(redis_url)
    apps = [make_app(REDIS_URL=redis_url), make_app(REDIS_URL=redis_url)]
    handoff_id = open_handoff(sms)
    browsers = claimers(apps)
    winner = assert_one_winner(race(browsers, handoff_id), handoff_id)
    # The winner holds it; every loser is told so, and nothing is left in flight in Redis.
    losers = [b for b in browsers if b.queue()["mine"] == []]
    assert len(losers) == CLAIMERS - 1
    assert browsers[int(winner[-1])].queue()["mine"][0]["id"] == handoff_id
    assert redis.Redis.from_url(redis_url).get(f"repay:handoff-claim:{handoff_id}") is None


def test_a_claim_in_flight_on_another_process_turns_a_second_claim_away(make_app, redis_url, sms):
    client = clean_redis(redis_url)
    app = make_app(REDIS_URL=redis_url)
    handoff_id = open_handoff(sms)
    client.set(f"repay:handoff-claim:{handoff_id}", b"1", ex=5)  # another process, mid-claim
    alice = Browser(app.test_client(), "alice")
    response = alice.claim(handoff_id)
    assert response.status_code == 409
    assert response.get_json()["error"] == "another agent is claiming this conversation"
    assert alice.queue()["queue"][0]["status"] == "queued"
    client.delete(f"repay:handoff-claim:{handoff_id}")
    assert alice.claim(handoff_id).status_code == 200


def test_without_redis_the_store_alone_lets_one_claim_win(make_app, sms):
    """Two processes with their own in-memory state: the conditional UPDATE decides."""
    apps = [make_app(), make_app()]
    handoff_id = open_handoff(sms)
    assert_one_winner(race(claimers(apps), handoff_id), handoff_id)


@pytest.fixture
def postgres_store(postgres_url):
    """A fresh store on a real PostgreSQL (fails loudly when it is down)."""
    engine = store.db.make_engine(postgres_url)
    empty_postgres(engine)
    engine.dispose()
    engine = store.db.connect(postgres_url)
    yield engine
    engine.dispose()


def test_the_conditional_update_lets_one_claim_win_on_postgresql(postgres_store):
    with session_scope() as session:
        session.add(Account(
            account_id="PG-1", name="Sam Okafor", phone="+15550300009", timezone="America/Chicago",
            language="en", currency="USD", principal=Decimal("100"), interest=Decimal("0"),
            fees=Decimal("0"), due_date=dt.date(2026, 11, 1), birth_date=dt.date(1979, 11, 2),
            id_last4="7730",
        ))
        conversation = Conversation(channel="sms", phone="+15550300009", account_id="PG-1")
        session.add(conversation)
        session.flush()
        enqueue(session, conversation, "request_human")
        session.flush()
        handoff_id = session.execute(select(Handoff.id)).scalar_one()

    start = threading.Barrier(CLAIMERS)
    won = []

    def go(n):
        start.wait()
        with session_scope() as session:
            if claim(session, handoff_id, f"agent{n}"):
                won.append(n)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    with session_scope() as session:
        assert session.get(Handoff, handoff_id).claimed_by == f"agent{won[0]}"
    # And a second handoff for a conversation with one open is the same queue item.
    with session_scope() as session:
        again = enqueue(session, session.get(Conversation, conversation.id), "hardship")
        assert again.id == handoff_id
