"""Rasa's trackers in Redis at a cost per turn that does not grow with the conversation.

Rasa's own RedisTrackerStore keeps a conversation as one JSON document: each turn reads and
parses all of it, and saving reads and parses it again, replays it to compare, and writes it
all back: a turn cost more the longer the conversation. This store (Rasa's
custom tracker store extension point, `endpoints.redis.yml`) keeps the same events, each as
one item of a Redis list:

- saving appends the turn's new events (checked under WATCH that nobody else wrote
  meanwhile; otherwise it merges with what is stored exactly as Rasa's store does, and
  rewrites the list);
- each process keeps the events of the conversations' current sessions it served lately,
  as Rasa read them, and a retrieve reads from Redis only what was appended since (by another
  Rasa process: several share the store) before rebuilding the tracker from them, as
  Rasa's store rebuilds it from its document.

Keys, beside Rasa's `<prefix>:tracker:<id>` (read when a conversation has no list yet, and
removed when its list is written): `<prefix>:tracker-events:<id>`, the events in order, and
`<prefix>:tracker-meta:<id>`, a hash of `generation` (new at each rewrite, so a process knows
its copy is stale) and `session` (where the current session starts in the list).
"""
from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

from rasa.core.tracker_store import DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX, RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from redis.exceptions import WatchError

# Events of current sessions kept in memory by one process, at most (1.5 to 2 KB each).
DEFAULT_CACHED_EVENTS = 50_000
# The attribute by which a tracker this store handed out says which stored events it holds.
STORED_AS = "_repay_stored_as"


def _starts_session(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME


def _last_session_start(events: Sequence[Event], since: int = 0) -> Optional[int]:
    for index in range(len(events) - 1, since - 1, -1):
        if _starts_session(events[index]):
            return index
    return None


def _encoded(events: Iterable[Event]) -> List[str]:
    return [json.dumps(event.as_dict()) for event in events]


def _decoded(items: Iterable[str]) -> List[Event]:
    return [event for event in (Event.from_parameters(json.loads(item)) for item in items)
            if event is not None]


@dataclass
class _Session:
    """The events of a conversation's current session, as stored from list index `start`."""

    generation: Optional[str]
    start: int
    events: List[Event] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.events)


@dataclass(frozen=True)
class _StoredAs:
    """A handed-out tracker's first `count` events are list items `start` to start+count-1."""

    generation: Optional[str]
    start: int
    count: int


class AppendOnlyRedisTrackerStore(RedisTrackerStore):
    """RedisTrackerStore's settings (host, port, db, password, key_prefix, record_exp, ...),
    plus `cached_events`: how many events of current sessions one process keeps."""

    def __init__(self, domain: Domain, cached_events: int = DEFAULT_CACHED_EVENTS,
                 **kwargs: Any) -> None:
        super().__init__(domain, **kwargs)
        base = self.key_prefix[: -len(DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX)]
        self.events_prefix = base + "tracker-events:"
        self.meta_prefix = base + "tracker-meta:"
        self.cached_events = int(cached_events)
        self._sessions: "OrderedDict[Text, _Session]" = OrderedDict()
        self._sizes: Dict[Text, int] = {}  # events counted per conversation held
        self._cached_count = 0

    # -- Rasa's TrackerStore interface -----------------------------------------------------

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of the conversation's current session, as RedisTrackerStore gives it."""
        session = self._current_session(sender_id)
        if session is None:
            return await super().retrieve(sender_id)  # a tracker stored by Rasa's own store
        tracker = self._tracker(sender_id, session.events, from_start=session.start == 0)
        setattr(tracker, STORED_AS, _StoredAs(session.generation, session.start,
                                              len(session.events)))
        return tracker

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        generation, _, items = self._read(sender_id, 0)
        if generation is None and not items:
            return await super().retrieve_full_tracker(sender_id)
        tracker = self._tracker(sender_id, _decoded(items), from_start=True)
        setattr(tracker, STORED_AS, _StoredAs(generation, 0, len(tracker.events)))
        return tracker

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self.stream_events(tracker)
        expiry = timeout or self.record_exp
        stored_as = getattr(tracker, STORED_AS, None)
        if stored_as is None or not self._append(tracker, stored_as, expiry):
            self._rewrite(tracker, expiry)

    async def keys(self) -> Iterable[Text]:
        ours = [key[len(self.events_prefix):] for key in self.red.keys(self.events_prefix + "*")]
        theirs = [key[len(self.key_prefix):] for key in self.red.keys(self.key_prefix + "*")]
        return sorted(set(ours) | set(theirs))

    def user_message(self, sender_id: Text, message_id: Text) -> Optional[UserUttered]:
        """The user event with this message id in the conversation's current session as
        this process last saved or read it (bot/rest_channel.py); None when not held."""
        session = self._sessions.get(sender_id)
        for event in reversed(session.events if session is not None else []):
            if isinstance(event, UserUttered) and event.message_id == message_id:
                return event
        return None

    # -- the list -----------------------------------------------------------------------------

    def _keys(self, sender_id: Text) -> Tuple[str, str]:
        return self.events_prefix + sender_id, self.meta_prefix + sender_id

    def _read(self, sender_id: Text, start: int) -> Tuple[Optional[str], int, List[str]]:
        """(generation, list length, items from `start`), read together."""
        events_key, meta_key = self._keys(sender_id)
        with self.red.pipeline() as pipe:
            pipe.hget(meta_key, "generation").llen(events_key).lrange(events_key, start, -1)
            generation, length, items = pipe.execute()
        return generation, length, items

    def _current_session(self, sender_id: Text) -> Optional[_Session]:
        """The current session's events: what this process holds, plus what was appended
        since; read afresh when the list was rewritten or is unknown here."""
        cached = self._sessions.get(sender_id)
        if cached is not None:
            generation, length, items = self._read(sender_id, cached.end)
            if generation == cached.generation and length == cached.end + len(items):
                self._extend(sender_id, cached, _decoded(items))
                return cached
        # Where the session starts, then its events; read again if a write came between.
        generation, start = self.red.hmget(self._keys(sender_id)[1], "generation", "session")
        start = int(start or 0)
        read_generation, length, items = self._read(sender_id, start)
        if read_generation != generation or length != start + len(items):
            start = 0
            generation, _, items = self._read(sender_id, start)
        if generation is None and not items:
            return None
        session = _Session(generation, start)
        self._extend(sender_id, session, _decoded(items))
        return session

    def _append(self, tracker: DialogueStateTracker, stored_as: _StoredAs,
                expiry: Optional[float]) -> bool:
        """Appends the tracker's new events when the list is still what it was handed out
        from; False when it is not (then the caller rewrites)."""
        events = list(tracker.events)
        if tracker._max_event_history is not None or len(events) < stored_as.count:
            return False
        new = events[stored_as.count:]
        events_key, meta_key = self._keys(tracker.sender_id)
        restart = _last_session_start(events, stored_as.count)
        with self.red.pipeline() as pipe:
            try:
                pipe.watch(events_key, meta_key)
                if (pipe.hget(meta_key, "generation") != stored_as.generation
                        or pipe.llen(events_key) != stored_as.start + stored_as.count):
                    return False
                pipe.multi()
                if new:
                    pipe.rpush(events_key, *_encoded(new))
                if restart is not None:
                    pipe.hset(meta_key, "session", stored_as.start + restart)
                self._expire(pipe, tracker.sender_id, expiry)
                pipe.execute()
            except WatchError:
                return False
        offset = 0 if restart is None else restart
        self._remember(tracker.sender_id, _Session(
            stored_as.generation, stored_as.start + offset, events[offset:]))
        setattr(tracker, STORED_AS, _StoredAs(stored_as.generation, stored_as.start, len(events)))
        return True

    def _rewrite(self, tracker: DialogueStateTracker, expiry: Optional[float]) -> None:
        """Rasa's save: merged with what is stored (RedisTrackerStore._merge_trackers), all
        of it written, the generation moved on."""
        prior = self._stored_tracker(tracker.sender_id)
        merged = tracker if prior is None else self._merge_trackers(prior, tracker)
        events = list(merged.events)
        start = _last_session_start(events) or 0
        events_key, meta_key = self._keys(tracker.sender_id)
        generation = uuid.uuid4().hex
        with self.red.pipeline() as pipe:
            pipe.delete(events_key, self.key_prefix + tracker.sender_id)
            if events:
                pipe.rpush(events_key, *_encoded(events))
            pipe.hset(meta_key, mapping={"generation": generation, "session": start})
            self._expire(pipe, tracker.sender_id, expiry)
            pipe.execute()
        self._remember(tracker.sender_id, _Session(generation, start, events[start:]))
        if merged is tracker:
            setattr(tracker, STORED_AS, _StoredAs(generation, 0, len(events)))

    def _stored_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """Everything stored for the conversation (every session), in the list or in Rasa's
        own document."""
        generation, _, items = self._read(sender_id, 0)
        if generation is not None or items:
            return self._tracker(sender_id, _decoded(items), from_start=True)
        stored = self.red.get(self.key_prefix + sender_id)
        return None if stored is None else self.deserialise_tracker(sender_id, stored)

    def _expire(self, pipe: Any, sender_id: Text, expiry: Optional[float]) -> None:
        if expiry:
            for key in self._keys(sender_id):
                pipe.expire(key, int(expiry))

    # -- trackers from events -----------------------------------------------------------------

    def _tracker(self, sender_id: Text, events: List[Event],
                 from_start: bool) -> DialogueStateTracker:
        """The tracker Rasa's store would build: a whole stored conversation replayed as
        `deserialise_tracker` does, a later session's events applied one by one as
        `get_trackers_for_conversation_sessions` does."""
        tracker = self.init_tracker(sender_id)
        if from_start:
            tracker.recreate_from_dialogue(Dialogue(sender_id, events))
        else:
            for event in events:
                tracker.update(event)
        return tracker

    # -- this process's copies ----------------------------------------------------------------

    def _extend(self, sender_id: Text, session: _Session, new: List[Event]) -> None:
        restart = _last_session_start(new)
        if restart is not None:
            session.start, session.events = session.end + restart, new[restart:]
        else:
            session.events.extend(new)
        self._remember(sender_id, session)

    def _remember(self, sender_id: Text, session: _Session) -> None:
        self._forget(sender_id)
        if len(session.events) > self.cached_events:
            return
        self._sessions[sender_id] = session
        self._sizes[sender_id] = len(session.events)
        self._cached_count += len(session.events)
        while self._cached_count > self.cached_events:
            self._forget(next(iter(self._sessions)))

    def _forget(self, sender_id: Text) -> None:
        self._sessions.pop(sender_id, None)
        self._cached_count -= self._sizes.pop(sender_id, 0)

    @property
    def cached(self) -> Dict[Text, int]:
        """How many events this process holds per conversation (tests, diagnostics)."""
        return {sender_id: len(session.events) for sender_id, session in self._sessions.items()}
