"""Rate limits on sign-in, one-time codes and registration, counted by the `limits` library (sliding window counter).

The counters live where ``DANCU_RATE_LIMIT_STORAGE`` says: ``memory://`` (the embedded default, per process: with
N web workers a client gets up to N times the limit) or ``redis://host:6379/0`` in production, shared by every worker
and node so a limit is one limit. Keys hold the scope and a keyed digest (HMAC with the secret key) of the subject,
never the subject (a phone number, a PIN, a network). If Redis cannot be reached, the process counts in its own
memory until it can again, and says so in the log: a Redis outage loosens the limits, it does not stop sign-in. The
limits that protect an account (failed sign-ins, one-time code attempts) are stored on database rows and hold
whatever this storage.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from functools import cache

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from dancu.core.errors import DomainError

log = logging.getLogger(__name__)

NAMESPACE = "dancu-rl"
#: How long a request waits for Redis before counting in memory instead, and how long the process then counts in
#: memory before it tries Redis again (seconds).
REDIS_TIMEOUT = 0.5
RETRY_STORAGE_AFTER = 30.0


class Throttle:
    """Counters in one storage; every web worker builds its own, and with a shared storage they count together."""

    def __init__(self, storage_uri: str, *, factor: float = 1.0) -> None:
        options: dict[str, float] = {}
        if storage_uri.startswith(("redis", "rediss", "valkey")):
            options = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}
        self.storage = storage_from_string(storage_uri, wrap_exceptions=True, **options)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)  # type: ignore[arg-type]
        self.factor = factor
        self._fallback: SlidingWindowCounterRateLimiter | None = None
        self._storage_back_at = 0.0

    def hit(self, scope: str, subject: str, *, limit: int, window: int) -> None:
        """Count one attempt; refuse with ``rate_limited`` once ``limit`` attempts were made in the last ``window``
        seconds."""
        item = RateLimitItemPerSecond(max(1, int(limit * self.factor)), window, namespace=NAMESPACE)
        # Keyed, so that a key seen in Redis cannot be matched to a PIN or phone number by hashing candidates.
        digest = hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).hexdigest()[:32]
        if time.monotonic() >= self._storage_back_at:
            try:
                allowed = self.limiter.hit(item, scope, digest)
            except StorageError as error:
                log.warning(
                    "rate-limit storage unavailable (%s): counting in this process for %d s",
                    type(error.storage_error).__name__, RETRY_STORAGE_AFTER,
                )  # fmt: skip
                self._storage_back_at = time.monotonic() + RETRY_STORAGE_AFTER
                allowed = self._fallback_hit(item, scope, digest)
        else:
            allowed = self._fallback_hit(item, scope, digest)
        if not allowed:
            raise DomainError("rate_limited", "Too many attempts. Wait a few minutes and try again.", status=429)

    def _fallback_hit(self, item: RateLimitItemPerSecond, scope: str, digest: str) -> bool:
        if self._fallback is None:
            self._fallback = SlidingWindowCounterRateLimiter(MemoryStorage())
        return self._fallback.hit(item, scope, digest)

    def reset_memory(self) -> None:
        """Forget the counters kept in this process (the tests start each case afresh); a shared storage is left
        alone (other processes count in it)."""
        if isinstance(self.storage, MemoryStorage):
            self.storage.reset()
        if self._fallback is not None:
            self._fallback.storage.reset()


@cache
def _throttle() -> Throttle:
    return Throttle(
        getattr(settings, "DANCU_RATE_LIMIT_STORAGE", "memory://"),
        factor=getattr(settings, "DANCU_RATE_LIMIT_FACTOR", 1.0),
    )


def hit(scope: str, subject: str, *, limit: int, window: int) -> None:
    """Count one attempt of ``subject`` (hashed before it is stored) in ``scope``; ``rate_limited`` over the limit."""
    _throttle().hit(scope, subject, limit=limit, window=window)


def reset() -> None:
    """Forget the counters kept in this process and re-read the settings (tests)."""
    if _throttle.cache_info().currsize:
        _throttle().reset_memory()
    _throttle.cache_clear()
