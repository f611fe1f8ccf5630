"""The gateway's projection file (SQLite): written by the projector, read by the gateway.

Persons are keyed by HMAC(PIN); verification compares HMACs of normalised attributes; lookup fields are encrypted
per class (see :mod:`dancu.core.crypto`). The file also carries the exchange configuration (systems, grants,
consents) so that the gateway never reads the registry's database.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
    pin_h BLOB PRIMARY KEY,
    name_h BLOB NOT NULL,
    name_fold_h BLOB NOT NULL,
    dob_h BLOB NOT NULL,
    dob_precision TEXT NOT NULL,
    sex_h BLOB NOT NULL,
    deceased INTEGER NOT NULL,
    identity BLOB NOT NULL,
    status BLOB NOT NULL,
    residence BLOB NOT NULL,
    origin BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS systems (
    client_id TEXT PRIMARY KEY, organisation TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, jwks TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS purposes (code TEXT PRIMARY KEY, name TEXT NOT NULL, legal_basis TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
    client_id TEXT NOT NULL, purpose TEXT NOT NULL, operations TEXT NOT NULL, fields TEXT NOT NULL,
    status_flag INTEGER NOT NULL, rate_per_second INTEGER NOT NULL, daily_quota INTEGER NOT NULL,
    PRIMARY KEY (client_id, purpose)
);
CREATE TABLE IF NOT EXISTS consents (
    pin_h BLOB NOT NULL, client_id TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (pin_h, client_id)
) WITHOUT ROWID;
"""


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the projection; the writer creates the schema, readers open it read-only (many readers, one writer)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        # Read through a memory map and a large page cache: the lookup by key touches a few random pages.
        conn.execute("PRAGMA mmap_size = 4294967296")
        conn.execute("PRAGMA cache_size = -8192")
        return conn
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA cache_size = -131072")
    conn.execute("PRAGMA temp_store = MEMORY")  # the rebuild sorts a million rows by key
    conn.executescript(SCHEMA)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` on an autocommit connection, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def meta(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default
