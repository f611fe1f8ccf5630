"""State shared by the gateway's workers: daily usage by Vietnam's calendar day, used client-assertion ids."""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import pytest

from dancu.gateway.state import SharedState, quota_day, seconds_to_quota_midnight


def test_quota_day_is_vietnams_day() -> None:
    late_utc = calendar.timegm((2026, 11, 23, 18, 30, 0))  # 01:30 on 24 November in Hà Nội
    assert quota_day(late_utc) == "2026-11-24"
    assert seconds_to_quota_midnight(late_utc) == 22 * 3600 + 30 * 60 + 1


def test_usage_totals_are_read_back_for_the_quota_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 18:30 UTC: already tomorrow in Hà Nội. Totals must be read back for Vietnam's day, not UTC's.
    monkeypatch.setattr(time, "time", lambda: float(calendar.timegm((2026, 11, 23, 18, 30, 0))))
    first, second = SharedState(tmp_path / "state.sqlite3"), SharedState(tmp_path / "state.sqlite3")
    key = ("bank", "kyc", quota_day())
    assert key[2] == "2026-11-24"
    first.add_usage({key: 3})
    assert second.add_usage({key: 2})[key] == 5  # both workers' counts, whatever the hour in UTC
    assert first.add_usage({})[key] == 5


def test_a_jti_is_accepted_once_across_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = SharedState(tmp_path / "state.sqlite3"), SharedState(tmp_path / "state.sqlite3")
    expires = int(time.time()) + 60
    assert first.use_jti("bank", "jti-000001", expires)
    assert not second.use_jti("bank", "jti-000001", expires)
    monkeypatch.setattr(time, "time", lambda: expires + 3600.0)  # an hour later the id is forgotten
    assert first.use_jti("bank", "jti-000002", expires + 3660)
    assert second.use_jti("bank", "jti-000001", expires + 3660)
