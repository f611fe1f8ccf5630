"""Rate limits count in the configured `limits` storage: in process memory by default, in Redis shared by every web
worker in production; the subject never appears in a key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis

from dancu.accounts import throttle
from dancu.core.errors import DomainError
from tests.fixtures.servers import TEST_REDIS


def _scope() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"  # several test runs may share one Redis


def test_the_limit_refuses_the_attempt_after_it() -> None:
    scope = _scope()
    for _ in range(3):
        throttle.hit(scope, "10.0.0.0/24", limit=3, window=60)
    with pytest.raises(DomainError) as refused:
        throttle.hit(scope, "10.0.0.0/24", limit=3, window=60)
    assert (refused.value.code, refused.value.status) == ("rate_limited", 429)
    throttle.hit(scope, "10.0.1.0/24", limit=3, window=60)  # another subject has its own count


def test_memory_counters_are_per_process() -> None:
    """The embedded default: two workers (two instances) each allow the whole limit."""
    scope = _scope()
    first, second = throttle.Throttle("memory://"), throttle.Throttle("memory://")
    for _ in range(2):
        first.hit(scope, "+84901234567", limit=2, window=60)
        second.hit(scope, "+84901234567", limit=2, window=60)
    with pytest.raises(DomainError):
        first.hit(scope, "+84901234567", limit=2, window=60)


@pytest.mark.redis
def test_workers_sharing_redis_share_one_limit() -> None:
    scope = _scope()
    first, second = throttle.Throttle(TEST_REDIS), throttle.Throttle(TEST_REDIS)  # as two web workers build them
    assert first.storage is not second.storage
    for attempt in range(4):
        (first if attempt % 2 else second).hit(scope, "+84901234567", limit=4, window=60)
    for worker in (first, second):
        with pytest.raises(DomainError) as refused:
            worker.hit(scope, "+84901234567", limit=4, window=60)
        assert refused.value.code == "rate_limited"
    keys = [k.decode() for k in redis.Redis.from_url(TEST_REDIS).keys(f"*{scope}*")]
    assert keys, "counted in Redis"
    assert all("+84901234567" not in key and "84901234567" not in key for key in keys), "no personal data in keys"


def test_an_unreachable_redis_loosens_the_limit_instead_of_failing(caplog: Any) -> None:
    scope = _scope()
    worker = throttle.Throttle("redis://127.0.0.1:1/0")  # nothing listens on port 1
    worker.hit(scope, "10.0.0.0/24", limit=1, window=60)
    with pytest.raises(DomainError):
        worker.hit(scope, "10.0.0.0/24", limit=1, window=60)
    assert caplog.text.count("rate-limit storage unavailable (ConnectionError)") == 1, "tried again only later"
    assert "10.0.0.0" not in caplog.text


def test_the_configured_storage_is_used(settings: Any) -> None:
    settings.DANCU_RATE_LIMIT_STORAGE = TEST_REDIS
    throttle.reset()
    try:
        assert type(throttle._throttle().storage).__name__ == "RedisStorage"
    finally:
        settings.DANCU_RATE_LIMIT_STORAGE = "memory://"
        throttle.reset()
