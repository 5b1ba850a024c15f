"""bot/redis_tracker_store.py against Rasa's own RedisTrackerStore, on a real Redis: turn
after turn, from one process or two, the trackers read back are the very ones Rasa's store
gives, while a save appends only the turn's events."""
from __future__ import annotations

import asyncio
import uuid
from typing import List

import pytest
import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.domain_file import DOMAIN_PATH
from bot.redis_tracker_store import AppendOnlyRedisTrackerStore


def _session() -> List[Event]:
    return [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
            SlotSet("language", "en"), ActionExecuted(ACTION_LISTEN_NAME)]


def _turn(text: str, intent: str, *middle: Event) -> List[Event]:
    return [UserUttered(text, {"name": intent, "confidence": 0.93}),
            DefinePrevUserUtteredFeaturization(False), *middle,
            ActionExecuted(ACTION_LISTEN_NAME)]


def turns() -> List[List[Event]]:
    """A conversation's turns as Rasa's processor adds them, a second session included."""
    return [
        _session(),
        _turn("hi", "greet", ActionExecuted("identity_form"), ActiveLoop("identity_form"),
              SlotSet("requested_slot", "birth_date"), BotUttered("What is your date of birth?")),
        _turn("03/14/1988", "inform_identity", SlotSet("birth_date", "1988-03-14"),
              ActionExecuted("identity_form"), SlotSet("requested_slot", "id_last4"),
              BotUttered("And the last 4 digits of your ID?")),
        _turn("4821", "inform", ActionExecuted("identity_form"), ActiveLoop(None),
              SlotSet("requested_slot", None), ActionExecuted("action_confirm_identity"),
              BotUttered("Thank you, that's confirmed.")),
        _turn("how much do i owe", "ask_balance", ActionExecuted("action_explain_debt"),
              BotUttered("Your payment of $630.00 is 10 days overdue.")),
        _session(),
        _turn("hello again", "greet", ActionExecuted("utter_greet"), BotUttered("Hello")),
        _turn("bye", "goodbye", ActionExecuted("utter_goodbye"), BotUttered("Goodbye")),
    ]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_PATH))


@pytest.fixture
def red(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.ping()  # fails loudly when Redis is down
    prefixes = []
    yield client, prefixes
    for prefix in prefixes:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def _settings(redis_url: str) -> dict:
    connection = redis.Redis.from_url(redis_url).connection_pool.connection_kwargs
    return {"host": connection.get("host", "127.0.0.1"), "port": connection.get("port", 6379),
            "db": connection.get("db", 0)}


def _prefix(red) -> str:
    prefix = "t" + uuid.uuid4().hex[:12]
    red[1].append(prefix)
    return prefix


def ours(domain, redis_url, prefix, **kwargs) -> AppendOnlyRedisTrackerStore:
    return AppendOnlyRedisTrackerStore(domain, key_prefix=prefix, **_settings(redis_url), **kwargs)


def rasas(domain, redis_url, prefix) -> RedisTrackerStore:
    return RedisTrackerStore(domain, key_prefix=prefix, **_settings(redis_url))


def play(store, sender: str, events: List[Event]) -> None:
    """One turn as Rasa's processor plays it: the tracker read, its events added, saved."""
    async def turn():
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        tracker.update_with_events(events, None, override_timestamp=False)
        await store.save(tracker)
    asyncio.run(turn())


def seen(store, sender: str, full: bool = False):
    """What Rasa gets back: the events and the state of the tracker read."""
    async def read():
        return await (store.retrieve_full_tracker(sender) if full else store.retrieve(sender))
    tracker = asyncio.run(read())
    return [e.as_dict() for e in tracker.events], tracker.current_state(EventVerbosity.ALL)


def test_each_turn_reads_and_writes_what_rasas_store_does(domain, redis_url, red):
    stock, store = rasas(domain, redis_url, _prefix(red)), ours(domain, redis_url, _prefix(red))
    client = red[0]
    stored, generations = 0, set()
    for turn in turns():
        play(stock, "c1", turn)
        play(store, "c1", turn)
        assert seen(store, "c1") == seen(stock, "c1")
        assert seen(store, "c1", full=True) == seen(stock, "c1", full=True)
        stored += len(turn)
        assert client.llen(store.events_prefix + "c1") == stored
        # Appended, never rewritten: the first save wrote the list, the rest added to it.
        generations.add(client.hget(store.meta_prefix + "c1", "generation"))
    assert len(generations) == 1
    assert len(seen(store, "c1")[0]) < stored  # the second session only
    assert asyncio.run(store.keys()) == ["c1"]


def test_two_processes_serve_one_conversation_turn_about(domain, redis_url, red):
    prefix = _prefix(red)
    stock = rasas(domain, redis_url, _prefix(red))
    first, second = ours(domain, redis_url, prefix), ours(domain, redis_url, prefix)
    for number, turn in enumerate(turns()):
        play(stock, "c2", turn)
        play(first if number % 2 else second, "c2", turn)
        assert seen(first, "c2") == seen(second, "c2") == seen(stock, "c2")
    assert first.cached == second.cached == {"c2": len(seen(stock, "c2")[0])}


def test_a_tracker_made_elsewhere_is_merged_as_rasas_store_merges_it(domain, redis_url, red):
    """A tracker the store did not hand out (e.g. the HTTP API's replaced events) is merged
    with what is stored and rewritten; another process's copy is then read afresh."""
    prefix = _prefix(red)
    stock = rasas(domain, redis_url, _prefix(red))
    first, second = ours(domain, redis_url, prefix), ours(domain, redis_url, prefix)
    played = turns()
    for turn in played[:4]:
        for store in (stock, first):
            play(store, "c3", turn)
    assert seen(second, "c3") == seen(stock, "c3")  # second holds a copy now
    made = DialogueStateTracker.from_events(
        "c3", played[0] + played[1] + _turn("stop", "opt_out", ActionExecuted("utter_ok")),
        domain.slots)
    generation = red[0].hget(first.meta_prefix + "c3", "generation")
    for store in (stock, first):
        asyncio.run(store.save(made))
    assert seen(first, "c3") == seen(second, "c3") == seen(stock, "c3")
    assert red[0].hget(first.meta_prefix + "c3", "generation") != generation
    play(stock, "c3", played[4])
    play(second, "c3", played[4])
    assert seen(first, "c3") == seen(stock, "c3")


def test_a_conversation_rasas_store_kept_is_read_and_moved_to_the_list(domain, redis_url, red):
    prefix = _prefix(red)
    stock, before, store = (rasas(domain, redis_url, _prefix(red)),
                            rasas(domain, redis_url, prefix), ours(domain, redis_url, prefix))
    played = turns()
    for turn in played[:3]:
        play(stock, "c4", turn)
        play(before, "c4", turn)  # stored by Rasa's own store, as before this one
    assert seen(store, "c4") == seen(stock, "c4")
    for turn in played[3:]:
        play(stock, "c4", turn)
        play(store, "c4", turn)
        assert seen(store, "c4", full=True) == seen(stock, "c4", full=True)
    assert not red[0].exists(store.key_prefix + "c4")  # Rasa's document, moved
    assert red[0].llen(store.events_prefix + "c4") == sum(len(turn) for turn in played)


def test_saved_conversations_expire_as_configured(domain, redis_url, red):
    store = ours(domain, redis_url, _prefix(red), record_exp=3600)
    play(store, "c5", turns()[0])
    for key in (store.events_prefix + "c5", store.meta_prefix + "c5"):
        assert 3500 < red[0].ttl(key) <= 3600


def test_a_process_keeps_a_bounded_number_of_events(domain, redis_url, red):
    prefix = _prefix(red)
    stock = rasas(domain, redis_url, _prefix(red))
    store = ours(domain, redis_url, prefix, cached_events=12)
    for sender in ("c6", "c7"):
        for turn in turns()[:2]:
            play(stock, sender, turn)
            play(store, sender, turn)
    assert sum(store.cached.values()) <= 12
    assert store.cached == {"c7": 11}  # the most recent conversation, within the bound
    for sender in ("c6", "c7"):
        assert seen(store, sender) == seen(stock, sender)


def test_a_save_that_lost_a_race_is_merged_as_rasas_store_merges_it(domain, redis_url, red):
    """Two processes read the same tracker and both save (Rasa's lock store prevents it for
    messages; nothing does for every HTTP API call): the second is merged, not appended."""
    prefix = _prefix(red)
    stock = rasas(domain, redis_url, _prefix(red))
    first, second = ours(domain, redis_url, prefix), ours(domain, redis_url, prefix)
    played = turns()
    for turn in played[:2]:
        play(stock, "c8", turn)
        play(first, "c8", turn)

    async def race(one, other):  # both got the same message; the second also the next
        a = await one.retrieve("c8")
        b = await other.retrieve("c8")
        a.update_with_events(played[2], None, override_timestamp=False)
        b.update_with_events(played[2] + played[3], None, override_timestamp=False)
        await one.save(a)
        await other.save(b)

    asyncio.run(race(stock, stock))
    asyncio.run(race(first, second))
    assert seen(first, "c8", full=True) == seen(second, "c8", full=True) \
        == seen(stock, "c8", full=True)


def test_a_conversation_stored_anew_is_not_mistaken_for_a_copy_held(domain, redis_url, red):
    prefix = _prefix(red)
    first, second = ours(domain, redis_url, prefix), ours(domain, redis_url, prefix)
    played = turns()
    for turn in played[:3]:
        play(first, "c9", turn)
    assert seen(second, "c9")[0]  # second holds the conversation
    red[0].delete(first.events_prefix + "c9", first.meta_prefix + "c9")  # expired
    for turn in (played[0], played[3], played[4], played[6]):  # longer than the copy held
        play(first, "c9", turn)
    assert seen(second, "c9") == seen(first, "c9")
