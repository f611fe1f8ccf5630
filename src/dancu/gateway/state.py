"""State shared by the gateway's worker processes (SQLite): used client-assertion ids and daily usage."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS used_jti (client_id TEXT NOT NULL, jti TEXT NOT NULL, expires INTEGER NOT NULL,
                                     PRIMARY KEY (client_id, jti)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage (client_id TEXT NOT NULL, purpose TEXT NOT NULL, day TEXT NOT NULL,
                                  count INTEGER NOT NULL, PRIMARY KEY (client_id, purpose, day)) WITHOUT ROWID;
"""


class SharedState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA busy_timeout = 10000")
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def use_jti(self, client_id: str, jti: str, expires: int) -> bool:
        """Record a client assertion's id; False if it was used before (a replay), across all workers."""
        with self.lock:
            try:
                self.db.execute("INSERT INTO used_jti VALUES (?, ?, ?)", (client_id, jti, expires))
            except sqlite3.IntegrityError:
                return False
            if int(time.time()) % 60 == 0:
                self.db.execute("DELETE FROM used_jti WHERE expires < ?", (int(time.time()) - 60,))
            return True

    def add_usage(self, counts: dict[tuple[str, str, str], int]) -> dict[tuple[str, str, str], int]:
        """Add this worker's counts and return the totals of all workers for the same keys."""
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
            day = time.strftime("%Y-%m-%d", time.gmtime())
            rows = self.db.execute("SELECT client_id, purpose, day, count FROM usage WHERE day = ?", (day,))
            return {(c, p, d): n for c, p, d, n in rows}
