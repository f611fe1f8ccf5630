"""The ledger's SQLite file: its schema, connections, transactions and the writers' turn.

Tables: ``entries`` (one row per call: the entry's values as text, ``fields`` and ``items`` as JSON, ``prev_hash``
and ``hash`` as 32-byte blobs), ``checkpoints`` (signed seals of one entry's hash, :mod:`.checkpoints`) and
``person_runs`` (the per-person index, :mod:`.people`). The file is in WAL mode with ``synchronous=FULL``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0


ENTRY_COLUMNS = "sequence, time, system, purpose, operation, pin_hmac, fields, outcome, request_id"
INSERT_ENTRY = f"INSERT INTO entries ({ENTRY_COLUMNS}, prev_hash, hash, items) VALUES ({', '.join('?' * 12)})"
SELECT_ROW = f"SELECT {ENTRY_COLUMNS}, items FROM entries"


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS entries (
        sequence INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        system TEXT NOT NULL,
        purpose TEXT NOT NULL,
        operation TEXT NOT NULL,
        pin_hmac TEXT NOT NULL,
        fields TEXT NOT NULL,
        outcome TEXT NOT NULL,
        request_id TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        items TEXT NOT NULL DEFAULT ''
    )""",
    # The per-person index: runs of sorted records covering entries first..last (derived data, checked by
    # verify_ledger against the entries, so an edited or deleted run is detected too).
    """CREATE TABLE IF NOT EXISTS person_runs (
        first INTEGER PRIMARY KEY,
        last INTEGER NOT NULL,
        level INTEGER NOT NULL,
        records BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        sequence INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        time TEXT NOT NULL,
        key_id TEXT NOT NULL,
        signature BLOB NOT NULL
    )""",
    # Guards against accidents (a purge job, a stray UPDATE); not against an attacker, who can drop them: the hash
    # chain and the signed checkpoints are what make tampering evident.
    """CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'the access ledger is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'the access ledger is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'the access ledger is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'the access ledger is append-only'); END""",
)


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception. The block may end the transaction itself
    (a ``ROLLBACK`` when it finds nothing to do): then nothing is committed."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        if conn.in_transaction:
            conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


class Election:
    """One process of several does a background job (the per-person index, the witness): the one that holds an
    exclusive, non-blocking ``flock`` on ``<ledger><suffix>``. The others keep asking; the kernel frees the lock when
    the holder dies, so another takes over. Without ``use_lock`` (tests, a single process) every caller holds it."""

    def __init__(self, path: Path, suffix: str, *, use_lock: bool = True) -> None:
        self.lock_path = f"{path}{suffix}"
        self.use_lock = use_lock
        self._fd: int | None = None

    def held(self) -> bool:
        """Whether this process holds the job, taking it if it is free."""
        if not self.use_lock:
            return True
        if self._fd is None:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None


class WriteTurn:
    """Whose turn it is to write a ledger file: an exclusive ``flock`` on ``<ledger>.write.lock``, taken by every
    process's writer (appends, checkpoints, the per-person index's runs) before ``BEGIN IMMEDIATE``.

    SQLite's write lock has no queue: a writer that finds it taken can only try again later, and with several
    gateway workers committing in turn that polling cost ~7 µs of CPU per entry (a try, a sleep, the GIL taken back,
    several times per batch) and up to a poll interval of delay. A waiter for the flock sleeps in the kernel, costs
    nothing and is woken when the holder releases it. SQLite's busy handler (30 s) still covers a writer that does not
    take the turn (an older gateway build during an upgrade). The flock is released when its process ends, however
    it ends.

    Not re-entrant: the callers serialise their threads with a lock of their own and take it once per transaction.
    """

    __slots__ = ("_fd", "path")

    def __init__(self, path: Path) -> None:
        self.path = Path(f"{path}.write.lock")
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fd = self._fd
        fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def set_wal(conn: sqlite3.Connection) -> object:
    """``PRAGMA journal_mode = WAL``, retried: the switch can answer SQLITE_BUSY at once, without the busy handler,
    while another process is opening or writing the same new file."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def connect(path: Path, *, cache_kib: int = 8192) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        mode = set_wal(conn)
        if str(mode).lower() != "wal":
            raise RuntimeError(f"the access ledger {path} needs WAL mode, SQLite answered {mode!r}")
        conn.execute("PRAGMA synchronous = FULL")
        # Appends touch the last pages only (the per-person index is built elsewhere, in sorted runs): a small page
        # cache will do, and it is memory in every gateway worker.
        conn.execute(f"PRAGMA cache_size = -{cache_kib}")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (no write lock taken, no schema created): for verification and readers."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return conn
