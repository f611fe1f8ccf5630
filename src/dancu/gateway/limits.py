"""The per-grant rate limit of one worker: a token bucket (the daily quotas are counted by the ``Gateway`` and
shared between workers through ``state.SharedState``)."""

from __future__ import annotations

import time


class TokenBucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self, n: int = 1) -> float:
        """Take n tokens; 0.0 if allowed, else the seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= n:
            self.tokens -= n
            return 0.0
        return (n - self.tokens) / self.rate
