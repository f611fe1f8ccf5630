"""The ledger's writer: appends entries in one transaction per batch, durable on return, and seals checkpoints.

Several gateway worker processes may append to the same file; they take turns (:class:`.store.WriteTurn`, a
``flock`` held around ``BEGIN IMMEDIATE`` ... ``COMMIT``) and the sequence numbers stay contiguous (1, 2, 3... with
no gaps).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dancu.gateway.ledger.checkpoints import checkpoint_due, checkpoint_message, last_checkpoint
from dancu.gateway.ledger.entry import (
    GENESIS_HASH,
    LedgerEntry,
    StoredEntry,
    chain_hash,
    check_entry,
    encode_items,
    encode_json,
    entry_values,
    hash_input,
    now_iso,
)
from dancu.gateway.ledger.people import RUN_FANOUT, RUN_KEYS, PersonIndexer, entries_for
from dancu.gateway.ledger.store import INSERT_ENTRY, SCHEMA, WriteTurn, connect, immediate


class Ledger:
    """Synchronous, process-safe (several gateway worker processes may append to the same file).

    One SQLite connection per object, usable from several threads (calls are serialised by a lock). Open one
    ``Ledger`` per process: an object inherited through ``fork()`` refuses to be used.

    Args:
        path: the SQLite file (created with its schema if missing).
        signing_key: the platform's Ed25519 ledger key; ``None`` writes no checkpoints (tests, tools).
        key_id: the key's id, stored with each checkpoint so verification picks the right public key (required with
            a signing key).
        checkpoint_every: seal the tail once this many entries have been appended since the last checkpoint.
        checkpoint_seconds: ... or once this many seconds have passed since the last checkpoint.
    """

    def __init__(
        self,
        path: Path,
        *,
        signing_key: Ed25519PrivateKey | None,
        key_id: str = "",
        checkpoint_every: int = 10_000,
        checkpoint_seconds: float = 60.0,
    ) -> None:
        if signing_key is not None and not key_id:
            raise ValueError("a signing key needs its key_id (verification looks the public key up by it)")
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        if not checkpoint_seconds > 0:
            raise ValueError("checkpoint_seconds must be positive")
        self.path = Path(path)
        self._signing_key = signing_key
        self._key_id = key_id
        self._signer = None if signing_key is None else (key_id, signing_key)
        self._checkpoint_every = checkpoint_every
        self._checkpoint_seconds = float(checkpoint_seconds)
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = connect(self.path)
        self._turn = WriteTurn(self.path)
        with self._lock, self._transaction() as conn:
            for statement in SCHEMA:
                conn.execute(statement)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(entries)")}
            if "items" not in columns:  # a ledger written before batch entries existed
                conn.execute("ALTER TABLE entries ADD COLUMN items TEXT NOT NULL DEFAULT ''")
            # A ledger written before the per-person runs: its B-tree indexes go (the runs are built from the entries).
            conn.execute("DROP INDEX IF EXISTS entries_pin_hmac")
            conn.execute("DROP TABLE IF EXISTS entry_items")

    # -- plumbing

    @property
    def checkpoint_seconds(self) -> float:
        """Maximum time between checkpoints while entries keep coming."""
        return self._checkpoint_seconds

    @property
    def signs(self) -> bool:
        """Whether this ledger writes signed checkpoints."""
        return self._signing_key is not None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"the access ledger {self.path} is closed")
        if os.getpid() != self._pid:
            raise RuntimeError("a Ledger cannot be used across fork(): open a new Ledger in each process")
        return self._conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` in the write turn (rolled back on any exception); the caller holds
        ``self._lock``."""
        conn = self._connection()
        with self._turn.held(), immediate(conn):
            yield conn

    @staticmethod
    def _tail(conn: sqlite3.Connection) -> tuple[int, bytes]:
        row = conn.execute("SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1").fetchone()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), bytes(row[1]))

    def _sealed(self, sequence: int, entry_hash: bytes) -> tuple[str, str, bytes]:
        """``(time, key_id, signature)`` of a checkpoint sealing ``entry_hash`` at ``sequence``, signed now."""
        assert self._signing_key is not None
        sealed_at = now_iso()
        return sealed_at, self._key_id, self._signing_key.sign(checkpoint_message(sequence, entry_hash, sealed_at))

    def _seal(self, conn: sqlite3.Connection, sequence: int, entry_hash: bytes) -> None:
        conn.execute(
            "INSERT INTO checkpoints (sequence, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)",
            (sequence, entry_hash, *self._sealed(sequence, entry_hash)),
        )

    # -- writing

    def append_batch(self, entries: Sequence[LedgerEntry], *, checked: bool = False) -> list[int]:
        """Append entries in one transaction and return their sequences; they are durable on return.

        Reads the chain's tail, hashes and inserts the entries, writes a signed checkpoint when one is due, then
        commits (an fsync of the WAL). Raises without writing anything if any entry is invalid or the write fails.
        With ``checked``, the caller has already passed every entry through :func:`.entry.check_entry` (as
        :class:`.group_commit.AsyncLedger` does when an entry is queued, so that a bad entry fails its own caller):
        the writer thread does not check them again. A :class:`LedgerEntry` is a tuple whose fields and items are
        tuples of text (as its type says), so what was checked is what is written.
        """
        if not entries:
            return []
        if not checked:
            for entry in entries:
                check_entry(entry)
        return self._append_checked(entries)

    def _append_checked(self, entries: Sequence[LedgerEntry]) -> list[int]:
        """:meth:`append_batch` of checked entries: one row per entry, hashed by :func:`.entry.hash_input`."""
        values = [entry_values(entry) for entry in entries]
        with self._lock, self._transaction() as conn:
            last, prev_hash = self._tail(conn)
            rows = []
            sequence = last
            for value, entry in zip(values, entries, strict=True):
                sequence += 1
                items_json = encode_items(entry.items) if entry.items else None
                entry_hash = chain_hash(prev_hash, hash_input(sequence, value, value[5], items_json))
                stored_items = "" if items_json is None else items_json.decode()
                rows.append(
                    (sequence, *value[:5], encode_json(value[5]).decode(), *value[6:], prev_hash, entry_hash,
                     stored_items)
                )  # fmt: skip
                prev_hash = entry_hash
            conn.executemany(INSERT_ENTRY, rows)
            if self._signing_key is not None and checkpoint_due(
                last_checkpoint(conn), sequence, self._checkpoint_every, self._checkpoint_seconds
            ):
                self._seal(conn, sequence, prev_hash)
        return list(range(last + 1, sequence + 1))

    def signing_key(self) -> tuple[str, Ed25519PrivateKey] | None:
        """``(key_id, key)`` signing now (``None``: this ledger does not sign); read as one pair, without the lock."""
        return self._signer

    def set_signing_key(self, signing_key: Ed25519PrivateKey, key_id: str) -> None:
        """Sign later checkpoints with a rotated key (older checkpoints keep verifying with the older public key)."""
        if not key_id:
            raise ValueError("a signing key needs its key_id")
        with self._lock:
            self._signing_key = signing_key
            self._key_id = key_id
            self._signer = (key_id, signing_key)

    def disable_autocheckpoint(self) -> None:
        """Leave WAL checkpoints to a background thread (see :class:`.group_commit.WalCheckpointer`)."""
        with self._lock:
            self._connection().execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> int | None:
        """Sign the current tail now; return its sequence, or ``None`` when nothing was written (no entry since the
        last checkpoint, an empty ledger, or no signing key)."""
        if self._signing_key is None:
            return None
        with self._lock, self._transaction() as conn:
            last, last_hash = self._tail(conn)
            sealed = last_checkpoint(conn)
            if last == 0 or (sealed is not None and sealed[0] >= last):
                return None
            self._seal(conn, last, last_hash)
        return last

    def probe_write(self, timeout: float = 2.0) -> None:
        """Prove that an entry could be written now, without writing one: take the write turn (``flock``) and SQLite's
        write lock (``BEGIN IMMEDIATE``), then roll back. Raises :class:`TimeoutError` when the turn cannot be had
        within ``timeout`` seconds (a writer stuck holding it) and :class:`sqlite3.Error` or :class:`OSError` when the
        file cannot be written (read-only, removed directory, closed ledger). For the gateway's readiness."""
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise TimeoutError("the ledger's writer is busy past the probe's time")
        try:
            conn = self._connection()
            fd = os.open(self._turn.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise TimeoutError("the ledger's write turn is held past the probe's time") from None
                        time.sleep(0.01)
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("ROLLBACK")
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        finally:
            self._lock.release()

    # -- reading

    def entries_for(self, pin_hmac: str, *, after: int = 0, limit: int = 100) -> list[StoredEntry]:
        """A person's own entries (by the HMAC of their PIN), oldest first, with sequence above ``after``."""
        with self._lock:
            return entries_for(self._connection(), pin_hmac, after=after, limit=limit)

    def index_people(self, *, run_keys: int = RUN_KEYS, fanout: int = RUN_FANOUT, final: bool = False) -> int:
        """Extend the per-person index now, in this thread (a gateway's background thread does it on its own);
        returns the runs written. With ``final``, the entries left over make a last, smaller run."""
        indexer = PersonIndexer(self.path, run_keys=run_keys, fanout=fanout, use_lock=False)
        with self._lock:
            return indexer.step(self._connection(), seconds=float("inf"), final=final)

    def last_sequence(self) -> int:
        """The sequence of the last entry (0 for an empty ledger), as committed by any process."""
        with self._lock:
            row = self._connection().execute("SELECT MAX(sequence) FROM entries").fetchone()
        return int(row[0] or 0)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None and os.getpid() == self._pid:
                self._conn.close()
                self._turn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
