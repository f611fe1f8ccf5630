"""The gateway's projection file (SQLite): written by the projector, read by the gateway.

Persons are keyed by HMAC(PIN); verification compares HMACs of normalised attributes; lookup fields are encrypted
per class (see :mod:`dancu.core.crypto`). The file also carries the exchange configuration (systems, grants,
consents) so that the gateway never reads the registry's database.

The verification index
    Verification reads six columns of one person by key, on every call. :class:`VerifyIndex` serves that from a
    file of fixed-size records sorted by key, memory-mapped and found through a table of bucket starts (one or two
    comparisons), instead of a SQLite statement (about 10 µs alone, 20-25 µs under load). The projector writes the
    file after a rebuild (:func:`write_verify_index`) and names it in ``meta.verify_index``; every person it
    projects after that is listed in ``verify_changed`` and read from SQLite, as is any key the file does not hold.
    When the list grows long the projector writes a new file and empties it, in one transaction.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sqlite3
import struct
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dancu.gateway.checkin_schema import CHECKIN_SCHEMA

#: The persons table, by name (a rebuild fills ``persons_new`` and swaps it in).
PERSONS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
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
"""
SCHEMA = (
    PERSONS_TABLE.format(name="persons")
    + """
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
CREATE TABLE IF NOT EXISTS verify_changed (pin_h BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cards (
    card_h BLOB PRIMARY KEY, pin_h BLOB NOT NULL, status TEXT NOT NULL, expires_on TEXT NOT NULL, fields_h BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cards_pin_h ON cards (pin_h);
"""
    + CHECKIN_SCHEMA
)


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


def card_key(hmac_of: Any, pin: str, issued_on: str) -> bytes:
    """The projection's key of a card: HMAC of its number (the PIN) and its issue date (ISO)."""
    return bytes(hmac_of(pin, "card", issued_on))


def card_fields_digest(hmac_of: Any, pin: str, values: Sequence[str]) -> bytes:
    """HMACs of the compared DG13 fields, 16 bytes each in the order of ``DG13_COMPARED``: which of them changed
    since the chip was written shows without the projection holding the values."""
    return b"".join(hmac_of(pin, f"dg13:{index}", value) for index, value in enumerate(values))


def card(conn: sqlite3.Connection, card_h: bytes) -> tuple[bytes, str, str, bytes] | None:
    """``(pin_h, status, expires_on, fields_h)`` of a card, or None."""
    row = conn.execute("SELECT pin_h, status, expires_on, fields_h FROM cards WHERE card_h = ?", (card_h,)).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def meta(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default


# ---- the verification index ----------------------------------------------------------------------------------------

VERIFY_MAGIC = b"DANCUVX1"
#: pin_h, name_h, name_fold_h, dob_h, sex_h (16 bytes each), precision (b"d", b"m", b"y"), deceased (0 or 1).
VERIFY_RECORD = 82
_HEADER = struct.Struct("<8sIIQ")  # magic, record size, bucket bits, count
_PRECISION = {"day": b"d", "month": b"m", "year": b"y"}
_PRECISION_TEXT = {ord(code): text for text, code in _PRECISION.items()}
VERIFY_COLUMNS = "pin_h, name_h, name_fold_h, dob_h, dob_precision, sex_h, deceased"


def _bucket_bits(count: int) -> int:
    return min(24, max(8, count.bit_length()))


def verify_record(row: Sequence[Any]) -> bytes:
    """The verification index's record of a projection row (the columns of :data:`VERIFY_COLUMNS`, in order)."""
    pin_h, name_h, fold_h, dob_h, precision, sex_h, deceased = row
    return b"".join((pin_h, name_h, fold_h, dob_h, sex_h, _PRECISION[precision], b"\1" if deceased else b"\0"))


def write_verify_index(conn: sqlite3.Connection, path: Path) -> int:
    """Write the verification index of every person in ``conn``'s projection to ``path`` (through a temporary file,
    synced, then renamed); returns the number of people. Run it inside the transaction that names the file, so
    that no projected row can slip between the file and ``verify_changed``."""
    # streamed from the cursor: a record (~115 bytes in memory) per person, not a row of objects
    records = [verify_record(row) for row in conn.execute(f"SELECT {VERIFY_COLUMNS} FROM persons ORDER BY pin_h")]
    return write_verify_records(records, path)


def write_verify_records(records: list[bytes], path: Path) -> int:
    """Write a verification index of ``records`` (from :func:`verify_record`, sorted by key) to ``path`` (through
    a temporary file, synced, then renamed); returns their number."""
    count = len(records)
    bits = _bucket_bits(count)
    shift = 32 - bits
    if any(len(record) != VERIFY_RECORD for record in records):
        raise ValueError(f"a projection row is not {VERIFY_RECORD} bytes long")
    starts = [0] * ((1 << bits) + 1)
    for record in records:  # counts per bucket, then running sums: bucket b holds records starts[b] to starts[b + 1]
        starts[(int.from_bytes(record[:4], "big") >> shift) + 1] += 1
    for bucket in range(1, len(starts)):
        starts[bucket] += starts[bucket - 1]
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as out:
        out.write(_HEADER.pack(VERIFY_MAGIC, VERIFY_RECORD, bits, count))
        out.write(struct.pack(f"<{len(starts)}I", *starts))
        out.write(b"".join(records))
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    return count


class VerifyIndex:
    """A memory-mapped verification index (read-only); :meth:`get` gives the same tuple as a SQLite read of
    ``name_h, name_fold_h, dob_h, dob_precision, sex_h, deceased`` by key, or ``None`` if the file lacks the key."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as source:
            if os.fstat(source.fileno()).st_size < _HEADER.size:
                raise ValueError(f"{path} is not a verification index")
            self._map = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        magic, size, bits, count = _HEADER.unpack_from(self._map, 0)
        if magic != VERIFY_MAGIC or size != VERIFY_RECORD or not 8 <= bits <= 24:
            self._map.close()
            raise ValueError(f"{path} is not a verification index")
        if len(self._map) != _HEADER.size + 4 * ((1 << bits) + 1) + count * VERIFY_RECORD:
            self._map.close()
            raise ValueError(f"{path} is truncated")
        self.path = path
        self.count = count
        self._shift = 32 - bits
        self._starts = memoryview(self._map)[_HEADER.size : _HEADER.size + 4 * ((1 << bits) + 1)].cast("I")
        self._records = _HEADER.size + 4 * ((1 << bits) + 1)

    def get(self, pin_h: bytes) -> tuple[bytes, bytes, bytes, str, bytes, int] | None:
        starts = self._starts
        bucket = int.from_bytes(pin_h[:4], "big") >> self._shift
        first, end = starts[bucket], starts[bucket + 1]
        offset = self._records + first * VERIFY_RECORD
        for _ in range(end - first):  # about one record per bucket
            record = self._map[offset : offset + VERIFY_RECORD]
            if record[:16] == pin_h:
                return (record[16:32], record[32:48], record[48:64], _PRECISION_TEXT[record[80]], record[64:80],
                        record[81])  # fmt: skip
            offset += VERIFY_RECORD
        return None

    def close(self) -> None:
        self._starts.release()
        self._map.close()


class PersonReader:
    """Reads the verification columns of persons by key: from the verification index named in the projection, and
    from SQLite for the keys projected since that file was written (``verify_changed``) and those it lacks.

    What the projector commits is seen at once: the connection's ``data_version`` is checked at most every
    ``recheck`` seconds, and when another connection has committed, the index's name and the changed keys are read
    again (in one read transaction, so the two always belong together).
    """

    def __init__(self, conn: sqlite3.Connection, directory: Path, *, recheck: float = 0.002) -> None:
        self.conn = conn
        self.directory = directory
        self.recheck = recheck
        self.index: VerifyIndex | None = None
        self.changed: frozenset[bytes] = frozenset()
        self._version = -1
        self._checked_at = 0.0
        self.refresh()

    def refresh(self) -> None:
        """Re-read the index's name and the changed keys if the projection was written since the last time."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        conn = self.conn
        in_transaction = conn.in_transaction
        if not in_transaction:
            conn.execute("BEGIN")
        try:
            name = meta(conn, "verify_index")
            changed = frozenset(row[0] for row in conn.execute("SELECT pin_h FROM verify_changed"))
        except sqlite3.OperationalError:  # a projection written before the index existed
            name, changed = "", frozenset()
        finally:
            if not in_transaction:
                conn.execute("COMMIT")
        index = self.index
        if index is None or index.path.name != name:
            try:
                index = VerifyIndex(self.directory / name) if name else None
            except (OSError, ValueError):
                index = None  # SQLite answers everything until a usable file is named
            if self.index is not None and self.index is not index:
                self.index.close()
            self.index = index
        self.changed = changed
        self._version = version

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at >= self.recheck:
            self._checked_at = now
            self.refresh()

    def person(self, pin_h: bytes) -> tuple[Any, ...] | None:
        self._fresh()
        if self.index is not None and pin_h not in self.changed:
            found = self.index.get(pin_h)
            if found is not None:
                return found
        return self.conn.execute(  # type: ignore[no-any-return]
            "SELECT name_h, name_fold_h, dob_h, dob_precision, sex_h, deceased FROM persons WHERE pin_h = ?", (pin_h,)
        ).fetchone()

    def persons(self, pin_hs: list[bytes]) -> dict[bytes, tuple[Any, ...]]:
        """Rows for many keys (a batch): key -> the same tuple as :meth:`person`."""
        self._fresh()
        found: dict[bytes, tuple[Any, ...]] = {}
        rest = pin_hs
        if self.index is not None:
            get, changed = self.index.get, self.changed
            rest = []
            for pin_h in pin_hs:
                row = None if pin_h in changed else get(pin_h)
                if row is None:
                    rest.append(pin_h)
                else:
                    found[pin_h] = row
        for start in range(0, len(rest), 900):
            chunk = rest[start : start + 900]
            rows = self.conn.execute(
                f"SELECT {VERIFY_COLUMNS} FROM persons WHERE pin_h IN ({','.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                found[row[0]] = row[1:]
        return found

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None
