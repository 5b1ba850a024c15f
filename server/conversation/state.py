"""State the gateway shares between requests: which MessageSids are being worked
on, one lock per conversation so a phone's messages are handled in order, and which
console claims are in flight. (A live call's state is on its row in the store:
store/calls.keep_live_state.)

In memory for one process; in Redis (REDIS_URL) when several gateway processes
serve the same number. Keys never contain phone numbers: callers pass ids or
hashes (see `thread_key`).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Dict, Iterator, Optional

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)

KEY_PREFIX = "repay:"
# A lock outlives the longest turn (Rasa timeout + storage), and expires on its
# own if the process holding it dies.
LOCK_TTL_SECONDS = 30
# Redis that does not answer within this is treated as down (requests must not hang on it).
REDIS_SOCKET_SECONDS = 2


class StateUnavailable(RuntimeError):
    """The shared state (Redis) did not answer. The SMS webhook then keeps the message and
    defers it, so nothing a borrower sends is lost while Redis is down."""


def thread_key(channel: str, phone: str) -> str:
    """A lock name for a phone's thread, usable before its Conversation exists."""
    digest = hashlib.sha256(f"{channel}:{phone}".encode("utf-8")).hexdigest()[:24]
    return f"{channel}:{digest}"


class GatewayState(ABC):
    @abstractmethod
    def claim_message_sid(self, sid: str, ttl: float) -> bool:
        """True for the first caller with this sid within `ttl` seconds."""

    @abstractmethod
    def release_message_sid(self, sid: str) -> None:
        """Forgets a claim, so a retry of a delivery that failed can be processed."""

    @abstractmethod
    def conversation_lock(self, conversation_key: str, wait: Optional[float] = None):
        """Context manager yielding True once the lock is held, or False when it
        could not be taken within `wait` seconds (None: wait as long as it takes)."""

    @abstractmethod
    def claim_handoff(self, handoff_id: int, ttl: float) -> bool:
        """True for the one agent whose claim of this queue item is in flight; the
        store's conditional update then decides (server/console/)."""

    @abstractmethod
    def release_handoff(self, handoff_id: int) -> None:
        """Ends a claim in flight."""



class MemoryGatewayState(GatewayState):
    """One process (tests, `flask run`, a single gunicorn worker)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._claims: Dict[str, float] = {}  # sid -> expiry (monotonic)
        self._locks: Dict[str, threading.Lock] = {}
        self._waiters: Dict[str, int] = {}  # lets unused locks be dropped

    def claim_message_sid(self, sid: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._guard:
            for old in [s for s, expiry in self._claims.items() if expiry <= now]:
                del self._claims[old]
            if sid in self._claims:
                return False
            self._claims[sid] = now + ttl
            return True

    def release_message_sid(self, sid: str) -> None:
        with self._guard:
            self._claims.pop(sid, None)

    def claim_handoff(self, handoff_id: int, ttl: float) -> bool:
        return self.claim_message_sid(f"handoff:{handoff_id}", ttl)

    def release_handoff(self, handoff_id: int) -> None:
        self.release_message_sid(f"handoff:{handoff_id}")

    @contextmanager
    def conversation_lock(self, conversation_key: str, wait: Optional[float] = None) -> Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault(conversation_key, threading.Lock())
            self._waiters[conversation_key] = self._waiters.get(conversation_key, 0) + 1
        acquired = lock.acquire(timeout=-1 if wait is None else wait)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
            with self._guard:
                self._waiters[conversation_key] -= 1
                if self._waiters[conversation_key] == 0:
                    del self._waiters[conversation_key]
                    del self._locks[conversation_key]


class RedisGatewayState(GatewayState):
    """Shared by every gateway process and the redelivery worker."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX, lock_ttl: float = LOCK_TTL_SECONDS):
        self.redis = redis.Redis.from_url(  # connects on first command, not here
            url, socket_connect_timeout=REDIS_SOCKET_SECONDS, socket_timeout=REDIS_SOCKET_SECONDS)
        self.prefix = prefix
        self.lock_ttl = lock_ttl

    def claim_message_sid(self, sid: str, ttl: float) -> bool:
        try:
            return bool(self.redis.set(f"{self.prefix}sid:{sid}", b"1", nx=True,
                                       ex=max(1, int(ttl))))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StateUnavailable(f"Redis did not answer: {exc}") from exc

    def release_message_sid(self, sid: str) -> None:
        try:
            self.redis.delete(f"{self.prefix}sid:{sid}")
        except (redis.ConnectionError, redis.TimeoutError):
            log.warning("Redis did not answer: a message claim is left to expire")

    def claim_handoff(self, handoff_id: int, ttl: float) -> bool:
        key = f"{self.prefix}handoff-claim:{handoff_id}"
        try:
            return bool(self.redis.set(key, b"1", nx=True, ex=max(1, int(ttl))))
        except (redis.ConnectionError, redis.TimeoutError):
            # Only a fast path: the store's conditional update still lets one claim win.
            log.warning("Redis did not answer: handoff %s claimed through the store alone", handoff_id)
            return True

    def release_handoff(self, handoff_id: int) -> None:
        try:
            self.redis.delete(f"{self.prefix}handoff-claim:{handoff_id}")
        except (redis.ConnectionError, redis.TimeoutError):
            log.warning("Redis did not answer: handoff claim %s left to expire", handoff_id)

    @contextmanager
    def conversation_lock(self, conversation_key: str, wait: Optional[float] = None) -> Iterator[bool]:
        lock = self.redis.lock(
            f"{self.prefix}lock:{conversation_key}", timeout=self.lock_ttl, blocking_timeout=wait
        )
        try:
            acquired = lock.acquire(blocking=wait != 0)
        except (redis.ConnectionError, redis.TimeoutError):
            # A lock that cannot be had is not had: every caller already handles that (the
            # webhook stores the message and defers it; redelivery tries again later).
            log.warning("Redis did not answer: conversation %s not locked", conversation_key)
            acquired = False
        try:
            yield acquired
        finally:
            if acquired:
                try:
                    lock.release()
                except LockError:
                    # Held longer than lock_ttl: another process may have it now.
                    log.warning("conversation lock %s expired before release", conversation_key)
                except (redis.ConnectionError, redis.TimeoutError):
                    log.warning("Redis did not answer: lock %s left to expire", conversation_key)


def make_gateway_state(redis_url: Optional[str]) -> GatewayState:
    return RedisGatewayState(redis_url) if redis_url else MemoryGatewayState()
