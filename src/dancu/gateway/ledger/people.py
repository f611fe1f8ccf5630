"""The per-person index of the access ledger: a person reads their own entries by the HMAC of their PIN.

The PIN itself is never stored. A SQLite index on that key cost one random B-tree page and one WAL frame per entry,
on the answer path. Instead, the entries are indexed in *runs*: once enough entries have accumulated, a background
thread of one gateway process (the one holding ``<ledger>.indexer.lock``) writes the keys of a range of entries as
one ``person_runs`` row, a blob of fixed-size records ``(key, sequence, item)`` sorted by key; sixteen runs are later
merged into one. A query binary-searches each run and scans the entries after the last run (the open tail)
directly, in one read snapshot, so it is complete whatever the indexer has done: the runs are derived data, rebuilt
from the entries (which are the durable truth) after a crash, and :func:`.verify.verify_ledger` checks every run
against the entries it covers.
"""

from __future__ import annotations

import heapq
import itertools
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from dancu.gateway.ledger.entry import StoredEntry
from dancu.gateway.ledger.store import SELECT_ROW, Election, WriteTurn, connect_readonly, immediate

#: The open tail's rows that concern a person: their own calls, and batch calls listing them (found in C by instr,
#: then checked exactly).
SELECT_TAIL_FOR_PIN = (
    f"{SELECT_ROW} WHERE sequence > ? AND (pin_hmac = ? OR (items <> '' AND instr(items, ?) > 0)) ORDER BY sequence"
)
#: The same, newest first and below a sequence (paging back in time).
SELECT_TAIL_FOR_PIN_BEFORE = (
    f"{SELECT_ROW} WHERE sequence > ? AND sequence < ? AND (pin_hmac = ? OR (items <> '' AND instr(items, ?) > 0))"
    " ORDER BY sequence DESC"
)
#: Above any sequence a ledger will reach: "before" this is "from the newest".
NEWEST = 1 << 62

# The per-person index. A record: the key (the pin_hmac's text, its first 16 bytes,
# zero-padded: a longer text sharing them is told apart when the entry is read), the entry's sequence (8 bytes, big
# endian) and 1 + the item's position in a batch entry, or 0 for the entry's own pin_hmac (4 bytes, big endian).
RUN_RECORD = 28
#: Keys (or entries) in a run as first written; RUN_FANOUT runs of one level are merged into one of the next.
RUN_KEYS = 65_536
RUN_FANOUT = 16
#: Runs are not merged beyond this level (level 1: about a million keys, 29 MB), so that a merge stays small.
RUN_MAX_LEVEL = 1


def read_entries_for(path: Path, pin_hmac: str, *, after: int = 0, limit: int = 100) -> list[StoredEntry]:
    """:meth:`.writer.Ledger.entries_for` for readers (the citizen portal): a read-only connection, no write lock
    taken and no schema created; an absent ledger has no entries."""
    if not path.exists():
        return []
    conn = connect_readonly(path)
    try:
        return entries_for(conn, pin_hmac, after=after, limit=limit)
    finally:
        conn.close()


def read_entries_before(path: Path, pin_hmac: str, *, before: int | None = None, limit: int = 100) -> list[StoredEntry]:
    """A person's entries newest first, with sequence below ``before`` (all, when ``None``): the citizen portal's
    timeline pages back in time with it. The entries of one sequence (a batch naming the person twice) are never
    split across pages, so a page may hold a few more than ``limit``. An absent ledger has no entries."""
    if not path.exists():
        return []
    if not pin_hmac:
        raise ValueError("entries need a pin_hmac (entries without a PIN belong to nobody)")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    conn = connect_readonly(path)
    try:
        conn.execute("BEGIN")  # one snapshot, as in entries_for
        try:
            return _entries_before_in_snapshot(conn, pin_hmac, NEWEST if before is None else before, limit)
        finally:
            conn.execute("COMMIT")
    finally:
        conn.close()


def entries_for(conn: sqlite3.Connection, pin_hmac: str, *, after: int, limit: int) -> list[StoredEntry]:
    """A person's entries on an open connection (see :meth:`.writer.Ledger.entries_for`)."""
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
    key = run_key(pin_hmac)
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
        rows = conn.execute(f"{SELECT_ROW} WHERE sequence IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        for row in rows:
            found += _row_entries(row, pin_hmac)
        if len(found) >= limit:
            break
    if len(found) < limit:
        needle = "[" + orjson.dumps(pin_hmac).decode() + ","  # how an item naming this key starts in the JSON
        for row in conn.execute(SELECT_TAIL_FOR_PIN, (max(after, indexed_to), pin_hmac, needle)):
            found += _row_entries(row, pin_hmac)
            if len(found) >= limit:  # later rows sort after these
                break
    found.sort(key=lambda e: (e.sequence, e.request_id))
    return found[:limit]


def _entries_before_in_snapshot(conn: sqlite3.Connection, pin_hmac: str, before: int, limit: int) -> list[StoredEntry]:
    """The mirror of :func:`_entries_for_in_snapshot`: the open tail first (the newest entries), then the runs,
    newest first, until the page is full."""
    key = run_key(pin_hmac)
    indexed_to = 0
    candidates: set[int] = set()
    try:
        runs = conn.execute("SELECT first, last FROM person_runs ORDER BY first").fetchall()
    except sqlite3.OperationalError:
        runs = []
    for first, last in runs:
        if first != indexed_to + 1:
            break  # a damaged index: everything after the last good run is read directly (the tail)
        indexed_to = last
        if first < before:
            with conn.blobopen("person_runs", "records", first, readonly=True) as blob:
                candidates.update(sequence for sequence in _run_sequences(blob, key) if sequence < before)
    found: list[StoredEntry] = []
    needle = "[" + orjson.dumps(pin_hmac).decode() + ","
    if before > indexed_to + 1:
        for row in conn.execute(SELECT_TAIL_FOR_PIN_BEFORE, (indexed_to, before, pin_hmac, needle)):
            found += _row_entries(row, pin_hmac)
            if len(found) >= limit:  # earlier rows sort after these
                break
    if len(found) < limit:
        ordered = sorted(candidates, reverse=True)
        step = max(limit, 64)
        for start in range(0, len(ordered), step):
            chunk = ordered[start : start + step]
            rows = conn.execute(f"{SELECT_ROW} WHERE sequence IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            for row in rows:
                found += _row_entries(row, pin_hmac)
            if len(found) >= limit:
                break
    found.sort(key=lambda e: (e.sequence, e.request_id), reverse=True)
    if len(found) <= limit:
        return found
    cut = limit
    while cut < len(found) and found[cut].sequence == found[limit - 1].sequence:
        cut += 1  # the rest of the last sequence's entries
    return found[:cut]


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


def run_key(pin_hmac: str) -> bytes:
    return pin_hmac.encode()[:16].ljust(16, b"\0")


def entry_records(sequence: int, pin_hmac: Any, items: Any) -> list[bytes]:
    """The per-person index records of one entry (its stored ``pin_hmac`` and ``items`` columns)."""
    position = sequence.to_bytes(8, "big")
    records = [run_key(pin_hmac) + position + b"\0\0\0\0"] if isinstance(pin_hmac, str) and pin_hmac else []
    if items and isinstance(items, str):
        try:
            listed = orjson.loads(items)
        except orjson.JSONDecodeError:
            listed = []
        for index, item in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(item, list) and item and isinstance(item[0], str) and item[0]:
                records.append(run_key(item[0]) + position + (index + 1).to_bytes(4, "big"))
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
        self._election = Election(self.path, ".indexer.lock", use_lock=use_lock)
        self._turn = WriteTurn(self.path)
        self._base = -1  # the last entry covered by the runs, as last seen
        self._scanned = 0  # the last entry read into _pending
        self._pending: list[bytes] = []

    def close(self) -> None:
        self._election.release()
        self._turn.close()

    def step(self, conn: sqlite3.Connection, *, seconds: float = 0.5, final: bool = False) -> int:
        """Read the entries committed since the last call and write the runs now full (at most ``seconds`` of work;
        with ``final``, also a last run of whatever is left). Returns the number of runs written."""
        if not self._election.held():
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
                records = entry_records(sequence, pin_hmac, items)
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
        with immediate(conn):
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
        with immediate(conn):
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
