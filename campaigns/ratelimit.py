"""Sends per sending number, shared by every worker on every machine.

Carriers and Twilio cap how fast one number may send (a US long code about 1 SMS a
second, a short code far more). The `limits` library keeps a moving window per number
in Redis; a worker takes a slot before it hands anything to Twilio and waits for the
next free slot when the window is full.
"""
from __future__ import annotations

import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class SendLimiter:
    def __init__(self, redis_url: str, rate: str, namespace: str = "repay-send"):
        self.rate = rate
        self.item = parse(rate)
        # The limiter holds its storage by weak reference (limits 2.x): keep it alive here.
        self.storage = storage_from_string(redis_url)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.namespace = namespace

    def acquire(self, number: str, timeout: float = 60.0) -> bool:
        """Takes one send slot for `number`, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        while True:
            if self.limiter.hit(self.item, self.namespace, number):
                return True
            reset_at = self.limiter.get_window_stats(self.item, self.namespace, number)[0]
            wait = min(max(reset_at - time.time(), 0.01), 1.0)
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)

    def clear(self, number: str) -> None:
        self.limiter.clear(self.item, self.namespace, number)
