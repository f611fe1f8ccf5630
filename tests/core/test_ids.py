from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from dancu.core import ids
from dancu.core.ids import uuid7


def test_uuid7_is_version_7_rfc_variant_and_time_ordered(monkeypatch: pytest.MonkeyPatch) -> None:
    first = uuid7()
    next_millisecond = ((first.int >> 80) + 1) * 1_000_000
    with monkeypatch.context() as later:
        later.setattr(ids, "time", SimpleNamespace(time_ns=lambda: next_millisecond))
        second = uuid7()
    assert first.version == 7
    assert first.variant == "specified in RFC 4122"
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5_000
    assert len({uuid7() for _ in range(10_000)}) == 10_000
