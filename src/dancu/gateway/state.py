"""State shared by the gateway's worker processes (SQLite): used client-assertion ids and daily usage."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS used_jti (client_id TEXT NOT NULL, jti TEXT NOT NULL, expires INTEGER NOT NULL,
                                     PRIMARY KEY (client_id, jti)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (client_id TEXT NOT NULL, purpose TEXT NOT NULL, day TEXT NOT NULL,
                                  count INTEGER NOT NULL, PRIMARY KEY (client_id, purpose, day)) WITHOUT ROWID;
"""


#: Quotas count per calendar day in Vietnam (UTC+7, no daylight saving).
_VN_OFFSET = 7 * 3600


_day_cache: list[Any] = [0.0, 0.0, ""]  # [start, end) in epoch seconds of the quota day last computed, and its date


def quota_day(now: float | None = None) -> str:
    """Today's date in Vietnam, the day a daily quota counts in."""
    at = time.time() if now is None else now
    cache = _day_cache
    if cache[0] <= at < cache[1]:  # every call checks the quota: format the date once a day, not once a call
        return str(cache[2])
    day = time.strftime("%Y-%m-%d", time.gmtime(at + _VN_OFFSET))
    start = at - (at + _VN_OFFSET) % 86400
    cache[:] = [start, start + 86400, day]
    return day


def seconds_to_quota_midnight(now: float | None = None) -> int:
    """Seconds until the quota day ends (for Retry-After)."""
    local = (time.time() if now is None else now) + _VN_OFFSET
    return int(86400 - local % 86400) + 1


class SharedState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA busy_timeout = 10000")
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()
        self._purged_at = 0.0

    def use_jti(self, client_id: str, jti: str, expires: int) -> bool:
        """Record a client assertion's id; False if it was used before (a replay), across all workers."""
        with self.lock:
            try:
                self.db.execute("INSERT INTO used_jti VALUES (?, ?, ?)", (client_id, jti, expires))
            except sqlite3.IntegrityError:
                return False
            now = time.time()
            if now - self._purged_at >= 60:  # expired ids can never be replayed: forget them once a minute
                self._purged_at = now
                self.db.execute("DELETE FROM used_jti WHERE expires < ?", (int(now) - 60,))
            return True

    def add_usage(self, counts: dict[tuple[str, str, str], int]) -> dict[tuple[str, str, str], int]:
        """Add this worker's counts and return the totals of all workers for today's quota day (and the days of
        the counts given)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(
                    "INSERT INTO usage VALUES (?, ?, ?, ?) ON CONFLICT (client_id, purpose, day) "
                    "DO UPDATE SET count = count + excluded.count",
                    [(*key, n) for key, n in counts.items()],
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            days = sorted({quota_day()} | {key[2] for key in counts})
            rows = self.db.execute(
                f"SELECT client_id, purpose, day, count FROM usage WHERE day IN ({','.join('?' * len(days))})",
                days,
            )
            return {(c, p, d): n for c, p, d, n in rows}
