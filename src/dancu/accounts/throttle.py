"""Fixed-window counters in the cache for rate limits on sign-in and one-time codes.

The embedded default cache is per process, so with N web workers a client gets at most N times the limit; the
limits that protect an account (failed sign-ins, one-time code attempts) are stored on database rows and hold across
workers whatever the cache.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from dancu.core.errors import DomainError


def _key(scope: str, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"dancu:rl:{scope}:{digest}:{int(time.time() // window)}"


def hit(scope: str, subject: str, *, limit: int, window: int) -> None:
    """Count one attempt; refuse with ``rate_limited`` once ``limit`` attempts were made in the current window."""
    limit = int(limit * getattr(settings, "DANCU_RATE_LIMIT_FACTOR", 1.0))
    key = _key(scope, subject, window)
    cache.add(key, 0, window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, window + 1)
        count = 1
    if count > limit:
        raise DomainError(
            "rate_limited", "Too many attempts. Wait a few minutes and try again. / Quá nhiều lần thử.", status=429
        )
