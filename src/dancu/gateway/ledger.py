"""The access ledger of the verification gateway: every call a connected system makes, tamper-evident.

Each call (a bank verifying a customer, a ministry looking up a record, a refused or malformed request...) becomes one
:class:`LedgerEntry`. Entries are appended to a SQLite file in WAL mode with ``synchronous=FULL``: when
:meth:`Ledger.append_batch` returns, the entries are on disk, so the gateway answers only calls that are already
recorded. Several gateway worker processes may append to the same file; they take turns (:class:`_WriteTurn`, a
``flock`` held around ``BEGIN IMMEDIATE`` ... ``COMMIT``) and the sequence numbers stay contiguous (1, 2, 3... with
no gaps). :class:`AsyncLedger` gives an asyncio server group commit: concurrent calls are written by one writer
task in batches, one transaction (one fsync) per batch.

Hash chain
    ``hash = SHA-256(prev_hash || canonical)``, where ``canonical`` is the compact UTF-8 JSON of
    ``[sequence, time, system, purpose, operation, pin_hmac, [fields...], outcome, request_id]`` and the first
    entry's ``prev_hash`` is 32 zero bytes. Editing, deleting or reordering a row breaks the chain at that row.

Signed checkpoints
    The chain alone proves nothing against someone who can write the file: after editing a row they can recompute
    every later hash with the public formula and the chain is consistent again. A checkpoint seals the hash of one
    entry with the platform's Ed25519 key (signature over ``b"dancu-ledger-checkpoint\\0" || sequence as 8 bytes
    big-endian || hash || time``). The key is not in the file, so a rewritten chain no longer matches the sealed hash
    and a forged checkpoint has a bad signature. One is written inside :meth:`Ledger.append_batch` at the end of the
    first batch of a new ledger, then whenever ``checkpoint_every`` entries or ``checkpoint_seconds`` have passed since
    the last one; :meth:`Ledger.checkpoint` seals the tail on demand (:meth:`AsyncLedger.stop` does so, and the writer
    task does when the gateway is idle for ``checkpoint_seconds``).

What :func:`verify_ledger` cannot detect
    - Removal of the entries after the last checkpoint (truncation of the unsealed tail): nothing signed says they
      existed. The window is bounded by ``checkpoint_every`` / ``checkpoint_seconds``; shorter intervals shrink it.
    - Truncation back to an earlier checkpoint when the later checkpoint rows are deleted too, or deletion of
      checkpoint rows in general (the remaining chain and checkpoints are still valid). Only a copy of the signed
      checkpoints kept elsewhere (an auditor, a second site, the connected systems) catches that: a checkpoint held
      outside must still be present and equal in the file.
    - Anything done by someone holding the signing key (they can re-sign a rewritten chain), and lies told before
      writing (the ledger records what the gateway says happened).

The per-person index
    A person reads their own entries by the HMAC of their PIN (the PIN itself is never stored). A SQLite index on
    that key cost one random B-tree page and one WAL frame per entry, on the answer path. Instead, the entries are
    indexed in *runs*: once enough entries have accumulated, a background thread of one gateway process (the one
    holding ``<ledger>.indexer.lock``) writes the keys of a range of entries as one ``person_runs`` row, a blob of
    fixed-size records ``(key, sequence, item)`` sorted by key; sixteen runs are later merged into one. A query
    binary-searches each run and scans the entries after the last run (the open tail) directly, in one read
    snapshot, so it is complete whatever the indexer has done: the runs are derived data, rebuilt from the entries
    (which are the durable truth) after a crash, and ``verify_ledger`` checks every run against the entries it covers.

The module uses only the standard library, ``orjson`` and ``cryptography`` (the gateway process never imports
Django).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import heapq
import itertools
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "AsyncLedger",
    "Ledger",
    "LedgerEntry",
    "LedgerWriteError",
    "StoredEntry",
    "VerifyReport",
    "now_iso",
    "verify_ledger",
]

log = logging.getLogger(__name__)

GENESIS_HASH = bytes(32)
CHECKPOINT_DOMAIN = b"dancu-ledger-checkpoint\0"
BUSY_TIMEOUT_SECONDS = 30.0

# Same output as json.dumps(value, ensure_ascii=False, separators=(",", ":")), without building an encoder per call.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_TIME_FORMAT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_ENTRY_COLUMNS = "sequence, time, system, purpose, operation, pin_hmac, fields, outcome, request_id"
_INSERT_ENTRY = f"INSERT INTO entries ({_ENTRY_COLUMNS}, prev_hash, hash, items) VALUES ({', '.join('?' * 12)})"
_SELECT_ROW = f"SELECT {_ENTRY_COLUMNS}, items FROM entries"
#: The open tail's rows that concern a person: their own calls, and batch calls listing them (found in C by instr,
#: then checked exactly).
_SELECT_TAIL_FOR_PIN = (
    f"{_SELECT_ROW} WHERE sequence > ? AND (pin_hmac = ? OR (items <> '' AND instr(items, ?) > 0)) ORDER BY sequence"
)

# The per-person index (see the module docstring). A record: the key (the pin_hmac's text, its first 16 bytes,
# zero-padded: a longer text sharing them is told apart when the entry is read), the entry's sequence (8 bytes, big
# endian) and 1 + the item's position in a batch entry, or 0 for the entry's own pin_hmac (4 bytes, big endian).
RUN_RECORD = 28
#: Keys (or entries) in a run as first written; RUN_FANOUT runs of one level are merged into one of the next.
RUN_KEYS = 65_536
RUN_FANOUT = 16
#: Runs are not merged beyond this level (level 1: about a million keys, 29 MB), so that a merge stays small.
RUN_MAX_LEVEL = 1

_SCHEMA = (
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


class LedgerEntry(NamedTuple):
    """One call to the gateway, as recorded (all text; ``""`` for what is absent). Immutable; a named tuple rather
    than a frozen dataclass because one is made for every call (a frozen dataclass's ``__init__`` sets each field
    through ``object.__setattr__``, four times slower)."""

    time: str  #: ISO 8601 UTC with milliseconds, e.g. ``"2026-11-23T02:00:00.123Z"`` (see :func:`now_iso`)
    system: str  #: connected-system id (``""`` when the caller is unauthenticated)
    purpose: str  #: purpose code (``""`` when absent)
    operation: str  #: ``"verify"``, ``"verify_batch"``, ``"lookup"``, ``"token"``...
    pin_hmac: str  #: hex HMAC of the PIN concerned, ``""`` when none
    fields: tuple[str, ...]  #: attributes compared or returned
    outcome: str  #: ``"ok"``, ``"no_match"``, ``"refused:rate_limited"``, ``"malformed"``...
    request_id: str  #: the request's id, for matching with the gateway's logs
    #: For a batch call: one ``(pin_hmac, fields, outcome)`` per item, in order (hashed with the entry).
    items: tuple[tuple[str, tuple[str, ...], str], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry read back from the ledger, with its sequence number."""

    sequence: int
    time: str
    system: str
    purpose: str
    operation: str
    pin_hmac: str
    fields: tuple[str, ...]
    outcome: str
    request_id: str


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify_ledger`."""

    ok: bool
    entries: int  #: rows in the entries table
    checkpoints: int  #: rows in the checkpoints table
    #: Where the first problem is, in sequence order: the edited or out-of-chain entry; the first missing sequence
    #: for a deletion or a truncation; the checkpoint's entry for a bad signature, an unknown key, or a chain rewritten
    #: after an edit (the edit itself lies after the previous checkpoint; the problem sentence gives the range).
    first_bad_sequence: int | None
    problem: str  #: ``""`` when ok; otherwise a sentence naming what is wrong


class LedgerWriteError(RuntimeError):
    """Raised to every :meth:`AsyncLedger.append` caller whose entry could not be written (the cause is chained).

    The server answers 503: a call that is not recorded must not be answered.
    """


_now_cache: list[Any] = [-1, ""]  # [a second since the epoch, its text]: the date and time are formatted once a second


def now_iso() -> str:
    """The current UTC time in the :attr:`LedgerEntry.time` format (``2026-11-23T02:00:00.123Z``)."""
    seconds, millis = divmod(time.time_ns() // 1_000_000, 1000)
    cache = _now_cache
    if seconds != cache[0]:
        cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(seconds))
        cache[0] = seconds
    return f"{cache[1]}{millis:03d}Z"


def _canonical_hash(
    prev_hash: bytes, sequence: int, values: Sequence[Any], fields: list[Any], items: list[Any] | None = None
) -> bytes:
    """``SHA-256(prev_hash || canonical JSON)`` of one entry; ``values`` are the eight columns after ``sequence``
    with ``fields`` in sixth place replaced by the list given; a batch entry's ``items`` are appended last."""
    at, system, purpose, operation, pin_hmac, _, outcome, request_id = values
    body = [sequence, at, system, purpose, operation, pin_hmac, fields, outcome, request_id]
    if items:
        body.append(items)
    try:
        # orjson writes the same bytes as _CANONICAL (compact, UTF-8, the same escapes), several times faster.
        canonical = orjson.dumps(body)
    except TypeError:  # lone surrogates: raise what the standard library raises (UnicodeEncodeError)
        canonical = _CANONICAL.encode(body).encode()
    return hashlib.sha256(prev_hash + canonical).digest()


def _checkpoint_message(sequence: int, entry_hash: bytes, sealed_at: str) -> bytes:
    return CHECKPOINT_DOMAIN + sequence.to_bytes(8, "big") + entry_hash + sealed_at.encode()


def _check(entry: LedgerEntry) -> None:
    """Raise unless ``entry`` is a :class:`LedgerEntry` whose values are all text (``TypeError``), whose time is
    well formed (``ValueError``) and whose texts are all encodable as UTF-8 (lone surrogates: ``UnicodeEncodeError``).
    This runs for every call the gateway serves: one join in C checks the types, one encode the encoding."""
    if type(entry) is not LedgerEntry:
        raise TypeError(f"expected a LedgerEntry, got {type(entry).__name__}")
    texts: list[Any] = [entry.time, entry.system, entry.purpose, entry.operation, entry.pin_hmac, entry.outcome,
                        entry.request_id, *entry.fields]  # fmt: skip
    for pin, item_fields, outcome in entry.items:
        texts += (pin, *item_fields, outcome)
    try:
        joined = "".join(texts)
    except TypeError:
        wrong = next(text for text in texts if not isinstance(text, str))
        raise TypeError(f"ledger entry values must be str, got {type(wrong).__name__} in {entry!r}") from None
    if not _TIME_FORMAT.fullmatch(entry.time):
        raise ValueError(f"ledger entry time must look like 2026-11-23T02:00:00.123Z, got {entry.time!r}")
    joined.encode()


def _values(entry: LedgerEntry) -> tuple[str, str, str, str, str, list[str], str, str]:
    """The entry's eight values (``fields`` as a list), for an entry already checked by :func:`_check`."""
    return (entry.time, entry.system, entry.purpose, entry.operation, entry.pin_hmac, list(entry.fields),
            entry.outcome, entry.request_id)  # fmt: skip


def _seconds_since(iso_time: str) -> float:
    try:
        then = datetime.fromisoformat(iso_time)
    except (TypeError, ValueError):
        return float("inf")
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
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


class _WriteTurn:
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


def _set_wal(conn: sqlite3.Connection) -> object:
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


def _connect(path: Path, *, cache_kib: int = 8192) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        mode = _set_wal(conn)
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
        self._checkpoint_every = checkpoint_every
        self._checkpoint_seconds = float(checkpoint_seconds)
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = _connect(self.path)
        self._turn = _WriteTurn(self.path)
        with self._lock, self._transaction() as conn:
            for statement in _SCHEMA:
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
        with self._turn.held(), _immediate(conn):
            yield conn

    @staticmethod
    def _tail(conn: sqlite3.Connection) -> tuple[int, bytes]:
        row = conn.execute("SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1").fetchone()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), bytes(row[1]))

    @staticmethod
    def _last_checkpoint(conn: sqlite3.Connection) -> tuple[int, str] | None:
        row = conn.execute("SELECT sequence, time FROM checkpoints ORDER BY sequence DESC LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def _sealed(self, sequence: int, entry_hash: bytes) -> tuple[str, str, bytes]:
        """``(time, key_id, signature)`` of a checkpoint sealing ``entry_hash`` at ``sequence``, signed now."""
        assert self._signing_key is not None
        sealed_at = now_iso()
        return sealed_at, self._key_id, self._signing_key.sign(_checkpoint_message(sequence, entry_hash, sealed_at))

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
        With ``checked``, the caller has already passed every entry through :func:`_check` (as :class:`AsyncLedger`
        does when an entry is queued, so that a bad entry fails its own caller): the writer thread does not check
        them again. A :class:`LedgerEntry` is a tuple whose fields and items are tuples of text (as its type says),
        so what was checked is what is written.
        """
        if not entries:
            return []
        if not checked:
            for entry in entries:
                _check(entry)
        return self._append_python(entries)

    def _append_python(self, entries: Sequence[LedgerEntry]) -> list[int]:
        """:meth:`append_batch` of checked entries, in Python on the ledger's connection."""
        values = [_values(entry) for entry in entries]
        dumps = orjson.dumps
        with self._lock, self._transaction() as conn:
            last, prev_hash = self._tail(conn)
            rows = []
            sequence = last
            for value, entry in zip(values, entries, strict=True):
                sequence += 1
                if entry.items:
                    # The canonical JSON of a batch entry ends with its items: encode them once, for the hash and
                    # for the stored column (the same bytes as _canonical_hash's, which verify_ledger recomputes).
                    items_json = dumps([[pin, list(fields), outcome] for pin, fields, outcome in entry.items])
                    head = dumps([sequence, *value])
                    entry_hash = hashlib.sha256(prev_hash + head[:-1] + b"," + items_json + b"]").digest()
                    stored_items = items_json.decode()
                else:
                    entry_hash, stored_items = _canonical_hash(prev_hash, sequence, value, value[5]), ""
                rows.append(
                    (sequence, *value[:5], dumps(value[5]).decode(), *value[6:], prev_hash, entry_hash, stored_items)
                )
                prev_hash = entry_hash
            conn.executemany(_INSERT_ENTRY, rows)
            if self._signing_key is not None:
                sealed = self._last_checkpoint(conn)
                if (
                    sealed is None
                    or sequence - sealed[0] >= self._checkpoint_every
                    or _seconds_since(sealed[1]) >= self._checkpoint_seconds
                ):
                    self._seal(conn, sequence, prev_hash)
        return list(range(last + 1, sequence + 1))

    def set_signing_key(self, signing_key: Ed25519PrivateKey, key_id: str) -> None:
        """Sign later checkpoints with a rotated key (older checkpoints keep verifying with the older public key)."""
        if not key_id:
            raise ValueError("a signing key needs its key_id")
        with self._lock:
            self._signing_key = signing_key
            self._key_id = key_id

    def disable_autocheckpoint(self) -> None:
        """Leave WAL checkpoints to a background thread (see :class:`_WalCheckpointer`)."""
        with self._lock:
            self._connection().execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> int | None:
        """Sign the current tail now; return its sequence, or ``None`` when nothing was written (no entry since the
        last checkpoint, an empty ledger, or no signing key)."""
        if self._signing_key is None:
            return None
        with self._lock, self._transaction() as conn:
            last, last_hash = self._tail(conn)
            sealed = self._last_checkpoint(conn)
            if last == 0 or (sealed is not None and sealed[0] >= last):
                return None
            self._seal(conn, last, last_hash)
        return last

    # -- reading

    def entries_for(self, pin_hmac: str, *, after: int = 0, limit: int = 100) -> list[StoredEntry]:
        """A person's own entries (by the HMAC of their PIN), oldest first, with sequence above ``after``."""
        with self._lock:
            return _entries_for(self._connection(), pin_hmac, after=after, limit=limit)

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


@dataclass(slots=True)
class _Pending:
    entries: list[LedgerEntry]
    future: asyncio.Future[list[int]]


def _fail_all(items: Iterable[_Pending], message: str, cause: BaseException | None) -> None:
    """Raise a :class:`LedgerWriteError` (its own instance, the cause chained) in each waiting caller."""
    for item in items:
        if not item.future.done():
            error = LedgerWriteError(message)
            error.__cause__ = cause
            item.future.set_exception(error)


def _run_keys_setting() -> int:
    """``DANCU_LEDGER_RUN_KEYS``, or :data:`RUN_KEYS` when it is unset or not a positive whole number."""
    text = os.environ.get("DANCU_LEDGER_RUN_KEYS", "")
    if text.isdigit() and int(text) > 0:
        return int(text)
    if text:
        log.warning("DANCU_LEDGER_RUN_KEYS=%r is not a positive whole number: using %d", text, RUN_KEYS)
    return RUN_KEYS


class _WalCheckpointer(threading.Thread):
    """Moves the ledger's write-ahead log into the database file once a second, off the commit path, and extends the
    per-person index (:class:`PersonIndexer`: in one gateway process at a time).

    With SQLite's automatic checkpoint, every thousandth page made the committing batch wait for a copy and an fsync
    of the database file: that was the slowest answers' wait. Gateways disable it on their ledger connection
    (``wal_autocheckpoint = 0``) and run this PASSIVE checkpoint, which never blocks writers.
    """

    def __init__(self, path: Path, interval: float = 1.0) -> None:
        super().__init__(name="dancu-ledger-checkpointer", daemon=True)
        self.path = path
        self.interval = interval
        self._halt = threading.Event()

    def run(self) -> None:
        conn = _connect(self.path, cache_kib=2048)  # reads the tail once, writes a run now and then
        indexer = PersonIndexer(self.path, run_keys=_run_keys_setting())
        try:
            while not self._halt.wait(self.interval):
                try:
                    indexer.step(conn)
                except (sqlite3.Error, OSError):
                    log.exception("access ledger: the per-person index could not be extended (will retry)")
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            indexer.close()
            conn.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


class AsyncLedger:
    """Group commit for an asyncio server: append() waits until its entry is durable, batches are written by one
    writer task using asyncio.to_thread(Ledger.append_batch).

    While one batch is being committed, new calls queue up and go in the next one: the batch size adapts to the
    load with no added latency. A failed write raises :class:`LedgerWriteError` (the cause chained) in every
    ``append()`` of that batch; later batches are tried again. A caller cancelled while waiting does not take its
    entry out: it is still written (recording a call that got no answer is harmless, losing one is not). When the
    ledger signs, the writer also seals the tail after ``checkpoint_seconds`` without calls.
    """

    def __init__(self, ledger: Ledger, *, max_batch: int = 2000) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.ledger = ledger
        self._max_batch = max_batch
        self._pending: deque[_Pending] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Start the writer task (in the running event loop) and the background WAL checkpointer."""
        if self._task is not None:
            raise RuntimeError("AsyncLedger is already started")
        self.ledger.disable_autocheckpoint()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="dancu-ledger-writer")
        self._checkpointer = _WalCheckpointer(self.ledger.path)
        self._checkpointer.start()

    async def append(self, entry: LedgerEntry) -> int:
        """Queue an entry and return its sequence once it is committed (raises :class:`LedgerWriteError` if not)."""
        return (await self._submit([entry]))[0]

    async def append_many(self, entries: Sequence[LedgerEntry]) -> list[int]:
        """Queue entries (written together, in order) and return their sequences once committed."""
        if not entries:
            return []
        return await self._submit(list(entries))

    async def stop(self) -> None:
        """Flush what is queued, stop the writer, then write a final checkpoint. The :class:`Ledger` stays open."""
        checkpointer = getattr(self, "_checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
        task = self._task
        if task is None:
            return
        self._stopping = True
        assert self._wakeup is not None
        self._wakeup.set()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # stop() itself is being cancelled
            # the writer had been cancelled: its callers got LedgerWriteError; still seal what was written
        finally:
            self._task = None
        await asyncio.to_thread(self.ledger.checkpoint)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _submit(self, entries: list[LedgerEntry]) -> list[int]:
        if self._task is None or self._stopping or self._task.done():
            raise RuntimeError("AsyncLedger is not running")
        for entry in entries:
            _check(entry)  # a bad entry fails its own caller, not the whole batch
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(entries, future))
        assert self._wakeup is not None
        self._wakeup.set()
        return await future

    def _take_batch(self) -> list[_Pending]:
        batch = [self._pending.popleft()]
        size = len(batch[0].entries)
        while self._pending and size + len(self._pending[0].entries) <= self._max_batch:
            item = self._pending.popleft()
            batch.append(item)
            size += len(item.entries)
        return batch

    async def _write(self, batch: list[_Pending]) -> None:
        entries = [entry for item in batch for entry in item.entries]
        try:
            sequences = await asyncio.to_thread(self.ledger.append_batch, entries, checked=True)
        except Exception as exc:
            log.error("access ledger write of %d entries failed", len(entries), exc_info=exc)
            _fail_all(batch, f"the access ledger could not record the call: {exc!r}", exc)
            return
        except BaseException:  # the writer task was cancelled: the batch may or may not be committed
            _fail_all(batch, "the access ledger writer was cancelled during the write", None)
            raise
        start = 0
        for item in batch:
            end = start + len(item.entries)
            if not item.future.done():
                item.future.set_result(sequences[start:end])
            start = end

    async def _idle_checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self.ledger.checkpoint)
        except Exception:
            log.exception("access ledger checkpoint failed (will retry)")

    async def _run(self) -> None:
        wakeup = self._wakeup
        assert wakeup is not None
        idle = self.ledger.checkpoint_seconds if self.ledger.signs else None
        try:
            while True:
                if self._pending:
                    await self._write(self._take_batch())
                    continue
                if self._stopping:
                    return
                wakeup.clear()
                try:
                    await asyncio.wait_for(wakeup.wait(), idle)
                except TimeoutError:
                    await self._idle_checkpoint()
        finally:  # left with entries queued only when the writer itself was cancelled or crashed
            _fail_all(self._pending, "the access ledger writer stopped", None)
            self._pending.clear()


# -- offline verification


def _fail(entries: int, checkpoints: int, sequence: int, problem: str) -> VerifyReport:
    return VerifyReport(False, entries, checkpoints, sequence, problem)


def read_entries_for(path: Path, pin_hmac: str, *, after: int = 0, limit: int = 100) -> list[StoredEntry]:
    """:meth:`Ledger.entries_for` for readers (the citizen portal): a read-only connection, no write lock taken and
    no schema created; an absent ledger has no entries."""
    if not path.exists():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        return _entries_for(conn, pin_hmac, after=after, limit=limit)
    finally:
        conn.close()


def _entries_for(conn: sqlite3.Connection, pin_hmac: str, *, after: int, limit: int) -> list[StoredEntry]:
    if not pin_hmac:
        raise ValueError("entries_for needs a pin_hmac (entries without a PIN belong to nobody)")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")  # one snapshot: the runs and the tail after them belong together
    try:
        return _entries_for_in_snapshot(conn, pin_hmac, after, limit)
    finally:
        if began:
            conn.execute("COMMIT")


def _entries_for_in_snapshot(conn: sqlite3.Connection, pin_hmac: str, after: int, limit: int) -> list[StoredEntry]:
    key = _run_key(pin_hmac)
    indexed_to = 0
    candidates: set[int] = set()
    try:
        runs = conn.execute("SELECT first, last FROM person_runs ORDER BY first").fetchall()
    except sqlite3.OperationalError:  # a ledger from before the runs, not yet opened by a gateway: all is tail
        runs = []
    for first, last in runs:
        if first != indexed_to + 1:
            break  # runs that do not follow on (a damaged index): read everything after the last good one directly
        indexed_to = last
        if last > after:
            with conn.blobopen("person_runs", "records", first, readonly=True) as blob:
                candidates.update(sequence for sequence in _run_sequences(blob, key) if sequence > after)
    found: list[StoredEntry] = []
    ordered = sorted(candidates)
    step = max(limit, 64)
    for start in range(0, len(ordered), step):  # oldest first, until the page is full
        chunk = ordered[start : start + step]
        rows = conn.execute(f"{_SELECT_ROW} WHERE sequence IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        for row in rows:
            found += _row_entries(row, pin_hmac)
        if len(found) >= limit:
            break
    if len(found) < limit:
        needle = "[" + orjson.dumps(pin_hmac).decode() + ","  # how an item naming this key starts in the JSON
        for row in conn.execute(_SELECT_TAIL_FOR_PIN, (max(after, indexed_to), pin_hmac, needle)):
            found += _row_entries(row, pin_hmac)
            if len(found) >= limit:  # later rows sort after these
                break
    found.sort(key=lambda e: (e.sequence, e.request_id))
    return found[:limit]


def _row_entries(row: Sequence[Any], pin_hmac: str) -> list[StoredEntry]:
    """A person's entries in one ledger row: the call itself if it concerned them, and each item of a batch call that
    did (with that item's fields and outcome, and ``request_id:item``)."""
    found = []
    if row[5] == pin_hmac:
        found.append(StoredEntry(row[0], row[1], row[2], row[3], row[4], row[5], tuple(json.loads(row[6])), row[7],
                                 row[8]))  # fmt: skip
    if row[9]:
        for index, (item_pin, item_fields, item_outcome) in enumerate(json.loads(row[9])):
            if item_pin == pin_hmac:
                found.append(StoredEntry(row[0], row[1], row[2], row[3], row[4], pin_hmac, tuple(item_fields),
                                         item_outcome, f"{row[8]}:{index}"))  # fmt: skip
    return found


# -- the per-person index's runs


def _run_key(pin_hmac: str) -> bytes:
    return pin_hmac.encode()[:16].ljust(16, b"\0")


def _entry_records(sequence: int, pin_hmac: Any, items: Any) -> list[bytes]:
    """The per-person index records of one entry (its stored ``pin_hmac`` and ``items`` columns)."""
    position = sequence.to_bytes(8, "big")
    records = [_run_key(pin_hmac) + position + b"\0\0\0\0"] if isinstance(pin_hmac, str) and pin_hmac else []
    if items and isinstance(items, str):
        try:
            listed = orjson.loads(items)
        except orjson.JSONDecodeError:
            listed = []
        for index, item in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(item, list) and item and isinstance(item[0], str) and item[0]:
                records.append(_run_key(item[0]) + position + (index + 1).to_bytes(4, "big"))
    return records


def _records_of(run: bytes) -> Iterator[bytes]:
    return (run[offset : offset + RUN_RECORD] for offset in range(0, len(run), RUN_RECORD))


def _run_sequences(blob: Any, key: bytes) -> list[int]:
    """The sequences recorded under ``key`` in one run (``blob``: a sorted records blob, or bytes)."""
    size = RUN_RECORD
    low, high = 0, len(blob) // size
    while low < high:
        middle = (low + high) // 2
        if blob[middle * size : middle * size + 16] < key:
            low = middle + 1
        else:
            high = middle
    found: list[int] = []
    position, end = low * size, len(blob)
    while position < end:
        chunk = blob[position : min(end, position + 64 * size)]
        for offset in range(0, len(chunk), size):
            if chunk[offset : offset + 16] != key:
                return found
            found.append(int.from_bytes(chunk[offset + 16 : offset + 24], "big"))
        position += len(chunk)
    return found


class PersonIndexer:
    """Writes the per-person index's runs from committed entries, and merges them (see the module docstring).

    Only one process per ledger indexes at a time: the one that holds an exclusive ``flock`` on
    ``<ledger>.indexer.lock`` (released when the process ends, so another takes over). Entries are read from where
    the runs end, incrementally between calls to :meth:`step`; nothing here is on an answer's path.
    """

    def __init__(
        self, path: Path, *, run_keys: int = RUN_KEYS, fanout: int = RUN_FANOUT, max_level: int = RUN_MAX_LEVEL,
        use_lock: bool = True,
    ) -> None:  # fmt: skip
        if run_keys < 1 or fanout < 2:
            raise ValueError("run_keys must be at least 1 and fanout at least 2")
        self.path = Path(path)
        self.run_keys, self.fanout, self.max_level = run_keys, fanout, max_level
        self._use_lock = use_lock
        self._lock_fd: int | None = None
        self._turn = _WriteTurn(self.path)
        self._base = -1  # the last entry covered by the runs, as last seen
        self._scanned = 0  # the last entry read into _pending
        self._pending: list[bytes] = []

    def _holds_lock(self) -> bool:
        if not self._use_lock:
            return True
        if self._lock_fd is None:
            fd = os.open(f"{self.path}.indexer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._lock_fd = fd
        return True

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
        self._turn.close()

    def step(self, conn: sqlite3.Connection, *, seconds: float = 0.5, final: bool = False) -> int:
        """Read the entries committed since the last call and write the runs now full (at most ``seconds`` of work;
        with ``final``, also a last run of whatever is left). Returns the number of runs written."""
        if not self._holds_lock():
            return 0
        row = conn.execute("SELECT MAX(last) FROM person_runs").fetchone()
        base = int(row[0] or 0)
        if base != self._base:  # first call, or the runs changed under us: start again from where they end
            self._base = self._scanned = base
            self._pending = []
        deadline = time.monotonic() + seconds
        written = 0
        since_pause = 0
        while time.monotonic() < deadline:
            rows = conn.execute(
                # A few rows at a time: a batch entry's items are ~100 KB of text, held until the next fetch.
                "SELECT sequence, pin_hmac, items FROM entries WHERE sequence > ? ORDER BY sequence LIMIT 32",
                (self._scanned,),
            ).fetchall()
            for sequence, pin_hmac, items in rows:
                records = _entry_records(sequence, pin_hmac, items)
                self._pending += records
                self._scanned = sequence
                if len(self._pending) >= self.run_keys or sequence - self._base >= self.run_keys:
                    written += self._write_run(conn)
                since_pause += len(records) + 1
                if since_pause >= 512:
                    # This thread shares the GIL with the worker's event loop: hand it over every ~0.5 ms of work
                    # rather than after the interpreter's 5 ms switch interval, so answers are not held up.
                    time.sleep(0)
                    since_pause = 0
            if len(rows) < 32:
                break
        if final and self._scanned > self._base:
            written += self._write_run(conn)
        return written

    def _write_run(self, conn: sqlite3.Connection) -> int:
        first, last = self._base + 1, self._scanned
        records = b"".join(sorted(self._pending))
        with self._turn.held():
            if not self._insert_run(conn, first, last, records):
                return 0
        self._base = last
        self._pending = []
        self._merge(conn)
        return 1

    def _insert_run(self, conn: sqlite3.Connection, first: int, last: int, records: bytes) -> bool:
        with _immediate(conn):
            row = conn.execute("SELECT MAX(last) FROM person_runs").fetchone()
            if int(row[0] or 0) != self._base:  # another indexer wrote meanwhile (it held the lock before us)
                conn.execute("ROLLBACK")
                self._base = -1
                return False
            conn.execute("INSERT INTO person_runs (first, last, level, records) VALUES (?, ?, 0, ?)",
                         (first, last, records))  # fmt: skip
        return True

    def _merge(self, conn: sqlite3.Connection) -> None:
        """Merge the last ``fanout`` runs into one while they are all of one level below ``max_level``."""
        while True:
            runs = conn.execute(
                "SELECT first, last, level FROM person_runs ORDER BY first DESC LIMIT ?", (self.fanout,)
            ).fetchall()
            level = runs[0][2] if runs else 0
            if len(runs) < self.fanout or level >= self.max_level or any(run[2] != level for run in runs):
                return
            runs.reverse()
            sources = []
            for first, _last, _level in runs:
                with conn.blobopen("person_runs", "records", first, readonly=True) as blob:
                    sources.append(blob.read())
            # Streamed into one buffer, a few thousand records at a time: a merge never holds a million small
            # objects (the gateway's memory), only its inputs and its output (~29 MB each at level 1).
            merged = bytearray()
            stream = heapq.merge(*map(_records_of, sources))
            while chunk := b"".join(itertools.islice(stream, 1024)):
                merged += chunk
                time.sleep(0)  # let the event loop have the GIL (see step)
            del sources
            with self._turn.held():
                if not self._replace_runs(conn, runs, level, merged):
                    return

    def _replace_runs(self, conn: sqlite3.Connection, runs: list[Any], level: int, merged: bytearray) -> bool:
        with _immediate(conn):
            current = conn.execute(
                "SELECT first, last, level FROM person_runs WHERE first >= ? ORDER BY first", (runs[0][0],)
            ).fetchall()
            if current != runs:
                conn.execute("ROLLBACK")
                return False
            conn.execute("DELETE FROM person_runs WHERE first >= ?", (runs[0][0],))
            conn.execute("INSERT INTO person_runs (first, last, level, records) VALUES (?, ?, ?, ?)",
                         (runs[0][0], runs[-1][1], level + 1, merged))  # fmt: skip
        return True


def verify_ledger(path: Path, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
    """Check a ledger file offline (read-only) and report the first problem in sequence order.

    Checks, for each entry in order: no sequence missing, ``prev_hash`` equal to the previous entry's hash, the hash
    recomputed from the content equal to the stored one; for each checkpoint: a known ``key_id``, a valid signature,
    a sealed hash equal to the entry's hash; and no checkpoint beyond the last entry. ``public_keys`` maps key ids to
    the platform's ledger public keys (all of them, including retired ones). See the module docstring for what cannot
    be detected.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no ledger at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("BEGIN")  # one snapshot for every read, even while gateway workers append
        return _verify(conn, public_keys)
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"entries", "checkpoints"} <= tables:
        return VerifyReport(
            False, 0, 0, None, "this is not an access ledger: the entries or checkpoints table is missing"
        )
    n_entries = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    checkpoints = {
        row[0]: row[1:] for row in conn.execute("SELECT sequence, hash, time, key_id, signature FROM checkpoints")
    }
    n_checkpoints = len(checkpoints)
    if checkpoints and min(checkpoints) < 1:  # sequence is INTEGER PRIMARY KEY: always an integer
        first = min(checkpoints)
        return _fail(n_entries, n_checkpoints, first, f"checkpoint at sequence {first} seals no entry")

    expected = 1
    prev_hash = GENESIS_HASH
    last_sealed = 0
    cursor = conn.execute(f"SELECT {_ENTRY_COLUMNS}, prev_hash, hash, items FROM entries ORDER BY sequence")
    runs = (
        conn.execute("SELECT first, last FROM person_runs ORDER BY first").fetchall() if "person_runs" in tables else []
    )
    run_at = 0  # the run covering the current entry is runs[run_at]
    run_records: list[bytes] = []
    for row in cursor:
        sequence = row[0]
        if sequence != expected:
            if sequence > expected:
                missing = f"entry {expected}" if sequence == expected + 1 else f"entries {expected} to {sequence - 1}"
                return _fail(
                    n_entries,
                    n_checkpoints,
                    expected,
                    f"{missing} deleted: the ledger starts at entry {sequence}"
                    if expected == 1
                    else f"{missing} deleted: the sequence jumps from {expected - 1} to {sequence}",
                )
            return _fail(n_entries, n_checkpoints, sequence, f"entry {sequence} has an invalid sequence (below 1)")
        if row[9] != prev_hash:
            before = "the genesis hash (32 zero bytes)" if sequence == 1 else f"the hash of entry {sequence - 1}"
            return _fail(
                n_entries,
                n_checkpoints,
                sequence,
                f"entry {sequence} is out of chain: its prev_hash is not {before} "
                "(entries reordered or replaced, or an entry deleted and the rest renumbered)",
            )
        try:
            fields = json.loads(row[6])
            if not isinstance(fields, list):
                raise TypeError("fields is not a list")
            items = json.loads(row[11]) if row[11] else []
            computed = _canonical_hash(prev_hash, sequence, row[1:9], fields, items)
        except (TypeError, ValueError):
            computed, items = b"", []
        if computed != row[10]:
            return _fail(
                n_entries,
                n_checkpoints,
                sequence,
                f"entry {sequence} was edited: its content no longer matches its stored hash",
            )
        prev_hash = computed
        # The per-person index: each run must list exactly the keys of the entries it covers.
        if run_at < len(runs):
            first, last = runs[run_at]
            if first != (runs[run_at - 1][1] + 1 if run_at else 1) or last < first:
                return _fail(n_entries, n_checkpoints, sequence,
                             f"the per-person index has no run starting at entry {sequence} (a run was deleted or "
                             "edited)")  # fmt: skip
            run_records += _entry_records(sequence, row[5], row[11])
            if sequence == last:
                problem_at = _check_run(conn, first, run_records)
                if problem_at is not None:
                    return _fail(n_entries, n_checkpoints, problem_at,
                                 f"the per-person index run of entries {first} to {last} does not match the entries "
                                 f"(from entry {problem_at}: index records edited or deleted)")  # fmt: skip
                run_at += 1
                run_records = []
        sealed = checkpoints.get(sequence)
        if sealed is not None:
            problem = _check_checkpoint(sequence, computed, sealed, public_keys, last_sealed)
            if problem:
                return _fail(n_entries, n_checkpoints, sequence, problem)
            last_sealed = sequence
        expected = sequence + 1

    last = expected - 1
    if run_at < len(runs):
        return _fail(n_entries, n_checkpoints, runs[run_at][0],
                     f"the per-person index run of entries {runs[run_at][0]} to {runs[run_at][1]} goes beyond the "
                     f"last entry ({last}) or does not follow on from the previous run")  # fmt: skip
    beyond = sorted(s for s in checkpoints if s > last)
    if beyond:
        return _fail(
            n_entries,
            n_checkpoints,
            last + 1,
            f"checkpoint at entry {beyond[0]} is beyond the last entry ({last}): entries from {last + 1} on were "
            "removed (the ledger was truncated)",
        )
    return VerifyReport(True, n_entries, n_checkpoints, None, "")


def _check_run(conn: sqlite3.Connection, first: int, expected: list[bytes]) -> int | None:
    """The first entry whose records differ between a stored run and ``expected`` (``None`` when they agree)."""
    with conn.blobopen("person_runs", "records", first, readonly=True) as blob:
        stored = blob.read()
    wanted = b"".join(sorted(expected))
    if stored == wanted:
        return None
    size = RUN_RECORD
    have = {stored[offset : offset + size] for offset in range(0, len(stored), size)}
    differing = have.symmetric_difference(expected)
    if not differing:  # the same records, out of order
        return first
    sequences = [int.from_bytes(record[16:24], "big") for record in differing if len(record) == size]
    return max(first, min(sequences)) if sequences else first


def _check_checkpoint(
    sequence: int,
    entry_hash: bytes,
    sealed: tuple[Any, ...],
    public_keys: Mapping[str, Ed25519PublicKey],
    last_sealed: int,
) -> str:
    """The problem with the checkpoint sealing ``sequence`` ("" when none)."""
    sealed_hash, sealed_at, key_id, signature = sealed
    key = public_keys.get(key_id) if isinstance(key_id, str) else None
    if key is None:
        return f"checkpoint at entry {sequence} is signed with an unknown key {key_id!r}"
    try:
        if not (isinstance(signature, bytes) and isinstance(sealed_hash, bytes) and isinstance(sealed_at, str)):
            raise InvalidSignature
        key.verify(signature, _checkpoint_message(sequence, sealed_hash, sealed_at))
    except (InvalidSignature, UnicodeEncodeError):
        return f"checkpoint at entry {sequence} has a bad signature (the checkpoint was forged or altered)"
    if sealed_hash != entry_hash:
        return (
            f"entry {sequence} does not match its signed checkpoint: some entry from {last_sealed + 1} to {sequence} "
            "was altered and the hash chain recomputed"
        )
    return ""
