"""A live call's state (its last prompt, re-prompt count, pending question) in the gateway
state: in memory for one process, in a real Redis when several gateways share the calls."""
import time
import uuid

import pytest
import redis

import server.conversation.state
from server.conversation.state import MemoryGatewayState, RedisGatewayState
from tests.support.accounts import BORROWER
from tests.support.twilio import simulated_twilio
from tests.support.voice import GREETING


@pytest.fixture(params=["memory", "redis"])
def state(request, redis_url):
    if request.param == "memory":
        return MemoryGatewayState()
    return RedisGatewayState(redis_url, prefix=f"repay-test-{uuid.uuid4().hex[:8]}:")


def test_a_calls_state_is_kept_until_forgotten(state):
    sid = f"CA{uuid.uuid4().hex}"
    assert state.load_call(sid) is None
    state.save_call(sid, {"failures": 1, "prompt": {"keys": {"1": "/affirm"}}}, ttl=60)
    assert state.load_call(sid) == {"failures": 1, "prompt": {"keys": {"1": "/affirm"}}}
    state.forget_call(sid)
    assert state.load_call(sid) is None


def test_a_saved_state_is_a_copy(state):
    sid = f"CA{uuid.uuid4().hex}"
    data = {"failures": 0}
    state.save_call(sid, data, ttl=60)
    data["failures"] = 5
    assert state.load_call(sid) == {"failures": 0}


def test_memory_state_expires(monkeypatch):
    state = MemoryGatewayState()
    now = time.monotonic()
    state.save_call("CA1", {"failures": 0}, ttl=60)
    monkeypatch.setattr(server.conversation.state.time, "monotonic", lambda: now + 61)
    assert state.load_call("CA1") is None


def test_redis_state_expires_by_itself(redis_url):
    state = RedisGatewayState(redis_url, prefix=f"repay-test-{uuid.uuid4().hex[:8]}:")
    state.save_call("CA1", {"failures": 0}, ttl=90)
    assert 0 < redis.Redis.from_url(redis_url).ttl(f"{state.prefix}call:CA1") <= 90


def test_two_gateways_sharing_redis_carry_one_call(make_app, rasa, redis_url):
    """Twilio may send a call's webhooks to any gateway process behind the balancer."""
    first = simulated_twilio(make_app(REDIS_URL=redis_url).test_client())
    second = simulated_twilio(make_app(REDIS_URL=redis_url).test_client())
    rasa.script(GREETING)
    call = first.call(BORROWER)
    call.answer()
    call.twilio = second  # the next webhooks reach the other gateway
    assert call.silence().gather is not None
    call.twilio = first
    assert call.silence().gather is not None
    call.twilio = second
    assert call.silence().hangup  # the third silence in a row, counted across both
    call.hang_up()  # and the state is dropped
    assert RedisGatewayState(redis_url).load_call(call.call_sid) is None
