"""MessageSid claims and per-conversation locks, in memory and in the real Redis
CI starts (`redis_url` in tests/conftest.py). An unreachable Redis fails these
tests: it never skips."""
import threading
import time
import uuid

import pytest

from messaging.sms_text import gateway_reply, with_opt_out
from server.conversation.state import (
    MemoryGatewayState,
    RedisGatewayState,
    StateUnavailable,
    thread_key,
)
from store.models import MessageStatus
from tests.support.store import inbound
from tests.support.twilio import post_sms


@pytest.fixture
def redis_state(redis_url):
    prefix = f"repay:test-{uuid.uuid4().hex}:"
    state = RedisGatewayState(redis_url, prefix=prefix, lock_ttl=5)
    state.redis.ping()  # raises (test fails) when Redis is not there
    yield state
    for key in state.redis.scan_iter(match=prefix + "*"):
        state.redis.delete(key)


# The Redis variant reaches `redis_url` only at run time: marked by hand.
@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def state(request):
    if request.param == "memory":
        return MemoryGatewayState()
    return request.getfixturevalue("redis_state")


def test_a_sid_is_claimed_once(state):
    assert state.claim_message_sid("SM1", ttl=60)
    assert not state.claim_message_sid("SM1", ttl=60)
    assert state.claim_message_sid("SM2", ttl=60)


def test_a_released_sid_can_be_claimed_again(state):
    state.claim_message_sid("SM1", ttl=60)
    state.release_message_sid("SM1")
    assert state.claim_message_sid("SM1", ttl=60)


def test_a_claim_expires(state):
    assert state.claim_message_sid("SM1", ttl=1)
    time.sleep(1.2)
    assert state.claim_message_sid("SM1", ttl=1)


def test_concurrent_claims_have_one_winner(state):
    results = []
    threads = [threading.Thread(target=lambda: results.append(state.claim_message_sid("SMx", 60)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_conversation_lock_serialises_one_conversation(state):
    inside, overlaps = [], []

    def work():
        with state.conversation_lock("c-1") as locked:
            assert locked
            if inside:
                overlaps.append(True)
            inside.append(True)
            time.sleep(0.1)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_a_busy_lock_can_be_given_up_on(state):
    with state.conversation_lock("c-1") as first:
        assert first
        started = time.monotonic()
        with state.conversation_lock("c-1", wait=0.2) as second:
            assert not second
        assert time.monotonic() - started < 1
        with state.conversation_lock("c-1", wait=0) as third:
            assert not third
        with state.conversation_lock("c-2", wait=0) as other:
            assert other  # other conversations are not held up
    with state.conversation_lock("c-1", wait=0) as again:
        assert again


def test_redis_keys_are_prefixed_and_hold_no_phone_number(redis_state):
    key = thread_key("sms", "+15550100001")
    assert "15550100001" not in key
    redis_state.claim_message_sid("SM1", ttl=60)
    with redis_state.conversation_lock(key):
        keys = {k.decode() for k in redis_state.redis.scan_iter(match=redis_state.prefix + "*")}
    assert keys == {f"{redis_state.prefix}sid:SM1", f"{redis_state.prefix}lock:{key}"}
    assert redis_state.prefix.startswith("repay:")


def test_a_redis_lock_left_by_a_dead_process_expires(redis_state):
    redis_state.lock_ttl = 1
    abandoned = redis_state.redis.lock(f"{redis_state.prefix}lock:c-9", timeout=1)
    assert abandoned.acquire(blocking=False)  # never released, as if the holder died
    with redis_state.conversation_lock("c-9", wait=3) as locked:
        assert locked


def test_the_gateway_runs_on_redis(make_app, fake_rasa, redis_url):
    """The whole webhook path with REDIS_URL set: duplicate sids still reach the bot once."""
    app = make_app(REDIS_URL=redis_url)
    state = app.extensions["repay"].state
    assert isinstance(state, RedisGatewayState)
    sid = f"SM{uuid.uuid4().hex}"
    try:
        client = app.test_client()
        assert post_sms(client, "hello", sid=sid).texts == [with_opt_out("Bot heard: hello")]
        assert post_sms(client, "hello", sid=sid).texts == []
        assert len(fake_rasa.calls) == 1
    finally:
        state.release_message_sid(sid)


def test_unreachable_redis_is_an_error_not_a_silent_fallback():
    state = RedisGatewayState("redis://127.0.0.1:1/0")
    with pytest.raises(StateUnavailable):
        state.claim_message_sid("SM1", ttl=60)
    with state.conversation_lock("c-1", wait=1) as locked:
        assert not locked  # a lock that cannot be had is not had


def test_a_message_sent_while_redis_is_down_is_kept_and_answered_later(make_app, fake_rasa):
    """Redis down: the borrower gets the holding reply, the message is stored and waits
    for redelivery; Twilio's retry of the same message is not stored twice."""
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    sid = f"SM{uuid.uuid4().hex}"
    with app.app_context():
        assert post_sms(client, "I lost my job", sid=sid).texts == [
            with_opt_out(gateway_reply("holding"))]
        assert post_sms(client, "I lost my job", sid=sid).texts == []
        kept = inbound()
    assert [(m.body, m.status) for m in kept] == [("I lost my job", MessageStatus.DEFERRED)]
    assert fake_rasa.calls == []
