"""The gateway's access ledger: appends, durability, process safety, group commit and tamper evidence.

Plain functions on files under ``tmp_path``: the ledger is SQLite + ``cryptography`` and needs no Django database.
Tampering is done the way an attacker with the file would: raw ``sqlite3``, append-only triggers dropped first.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dancu.gateway.ledger import (
    AsyncLedger,
    Ledger,
    LedgerEntry,
    LedgerWriteError,
    StoredEntry,
    now_iso,
    verify_ledger,
)

KEY = Ed25519PrivateKey.generate()
KEY_ID = "ledger-test-1"
PUBLIC_KEYS = {KEY_ID: KEY.public_key()}
PIN_A = "a1" * 16
PIN_B = "b2" * 16


def _entry(i: int, pin: str = PIN_A, *, outcome: str = "ok", tag: str = "t") -> LedgerEntry:
    return LedgerEntry(
        time=now_iso(),
        system="bank-vcb",
        purpose="kyc",
        operation="verify",
        pin_hmac=pin,
        fields=("full_name", "birth_date"),
        outcome=outcome,
        request_id=f"{tag}-{i}",
    )


def _ledger(path: Path, *, checkpoint_every: int = 10_000, checkpoint_seconds: float = 60.0) -> Ledger:
    return Ledger(
        path,
        signing_key=KEY,
        key_id=KEY_ID,
        checkpoint_every=checkpoint_every,
        checkpoint_seconds=checkpoint_seconds,
    )


@contextlib.contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    """The attacker's connection: autocommit, the append-only triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        yield conn
    finally:
        conn.close()


def _sealed(tmp_path: Path, n: int = 20) -> Path:
    """A ledger of ``n`` entries appended 5 at a time with a checkpoint every 5: checkpoints at 5, 10, 15, 20."""
    path = tmp_path / "ledger.sqlite3"
    with _ledger(path, checkpoint_every=5) as ledger:
        for start in range(1, n + 1, 5):
            ledger.append_batch([_entry(i, PIN_A if i % 2 else PIN_B) for i in range(start, start + 5)])
    return path


def _attacker_hash(prev_hash: bytes, row: tuple[object, ...]) -> bytes:
    """The published formula, written independently of the module: SHA-256(prev_hash || canonical JSON)."""
    seq, time_, system, purpose, operation, pin_hmac, fields, outcome, request_id = row
    content = [seq, time_, system, purpose, operation, pin_hmac, json.loads(str(fields)), outcome, request_id]
    return hashlib.sha256(prev_hash + json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()).digest()


# -- appending and reading


def test_append_and_read_back(tmp_path: Path) -> None:
    with _ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.last_sequence() == 0
        entries = [_entry(1), _entry(2, PIN_B), _entry(3, outcome="refused:rate_limited")]
        assert ledger.append_batch(entries) == [1, 2, 3]
        assert ledger.append_batch([]) == []
        assert ledger.last_sequence() == 3
        got = ledger.entries_for(PIN_A)
    e = entries[0]
    assert got[0] == StoredEntry(1, e.time, e.system, e.purpose, e.operation, e.pin_hmac, e.fields, e.outcome, "t-1")
    assert [(s.sequence, s.outcome) for s in got] == [(1, "ok"), (3, "refused:rate_limited")]


def test_unicode_and_empty_values_round_trip(tmp_path: Path) -> None:
    entry = LedgerEntry(now_iso(), "", "", "malformed", PIN_A, ("họ_tên", ""), "malformed", "ĐĂNG-1")
    with _ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.append_batch([entry])
        (got,) = ledger.entries_for(PIN_A)
    assert (got.fields, got.request_id, got.system) == (("họ_tên", ""), "ĐĂNG-1", "")
    assert verify_ledger(tmp_path / "l.sqlite3", PUBLIC_KEYS).ok


def test_invalid_entries_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    good = _entry(1)
    bad_time = LedgerEntry("2026-11-23 02:00", "s", "p", "verify", PIN_A, (), "ok", "r")
    bad_type = LedgerEntry(now_iso(), "s", "p", "verify", PIN_A, cast(Any, (1,)), "ok", "r")
    surrogate = LedgerEntry(now_iso(), "s\ud800", "p", "verify", PIN_A, (), "ok", "r")
    with _ledger(tmp_path / "l.sqlite3") as ledger:
        with pytest.raises(ValueError, match="time"):
            ledger.append_batch([good, bad_time])
        with pytest.raises(TypeError):
            ledger.append_batch([good, bad_type])
        with pytest.raises(UnicodeEncodeError):
            ledger.append_batch([good, surrogate])
        assert ledger.last_sequence() == 0
        with pytest.raises(ValueError, match="pin_hmac"):
            ledger.entries_for("")


def test_now_iso_format() -> None:
    stamp = now_iso()
    assert len(stamp) == 24
    assert stamp[10] == "T"
    assert stamp[19] == "."
    assert stamp.endswith("Z")


def test_sequences_contiguous_across_batches_and_two_ledger_objects(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with _ledger(path, checkpoint_every=7) as one, _ledger(path, checkpoint_every=7) as two:
        got: list[int] = []
        for round_ in range(10):
            got += one.append_batch([_entry(i, tag=f"one{round_}") for i in range(3)])
            got += two.append_batch([_entry(i, tag=f"two{round_}") for i in range(4)])
        assert got == list(range(1, 71))
        assert one.last_sequence() == two.last_sequence() == 70
    report = verify_ledger(path, PUBLIC_KEYS)
    assert report.ok, report.problem
    assert report.entries == 70
    assert report.checkpoints >= 9


def test_writers_take_turns(tmp_path: Path) -> None:
    """Whoever holds the write turn writes alone: a writer of the same file waits (asleep in flock, not polling)
    until the turn is given back, then appends after what the holder wrote."""
    path = tmp_path / "l.sqlite3"
    with _ledger(path) as one, _ledger(path) as two:
        written = threading.Event()
        got: list[int] = []

        def other() -> None:
            got.extend(two.append_batch([_entry(1, tag="two")]))
            written.set()

        holder = os.open(f"{path}.write.lock", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(holder, fcntl.LOCK_EX)  # another process's writer holds the turn
            waiting = threading.Thread(target=other)
            waiting.start()
            assert not written.wait(0.3)  # the other writer waits for the turn
            assert one.last_sequence() == 0  # and nothing was written meanwhile
        finally:
            os.close(holder)  # gives the turn back
        assert written.wait(5)
        waiting.join(5)
        assert one.append_batch([_entry(0, tag="one")]) == [2]
    assert got == [1]
    assert verify_ledger(path, PUBLIC_KEYS).ok


def _append_in_child(path: str, key: bytes, tag: str) -> None:
    """Runs in a spawned process: 200 entries in batches of 10 to the shared ledger."""
    ledger = Ledger(
        Path(path), signing_key=Ed25519PrivateKey.from_private_bytes(key), key_id=KEY_ID, checkpoint_every=25
    )
    try:
        for start in range(0, 200, 10):
            ledger.append_batch([_entry(i, tag=tag) for i in range(start, start + 10)])
    finally:
        ledger.close()


def test_two_processes_append_to_the_same_file(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    path = tmp_path / "l.sqlite3"
    raw_key = KEY.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_in_child, args=(str(path), raw_key, tag)) for tag in ("p1", "p2")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    report = verify_ledger(path, PUBLIC_KEYS)
    assert report.ok, report.problem
    assert report.entries == 400
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT sequence, request_id FROM entries ORDER BY sequence").fetchall()
    assert [seq for seq, _ in rows] == list(range(1, 401))
    request_ids = [rid for _, rid in rows]
    assert len(set(request_ids)) == 400
    assert {rid.split("-")[0] for rid in request_ids} == {"p1", "p2"}


def test_rows_are_visible_to_a_new_connection_when_append_returns(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with _ledger(path) as ledger:
        ledger.append_batch([_entry(i) for i in range(5)])
        with contextlib.closing(sqlite3.connect(path)) as other:
            assert other.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 5
            assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger._conn is not None
        assert ledger._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_entries_for_returns_only_that_persons_entries(tmp_path: Path) -> None:
    with _ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.append_batch([_entry(i, PIN_A if i % 3 == 0 else PIN_B) for i in range(30)])
        ledger.append_batch([_entry(99, "")])
        mine = ledger.entries_for(PIN_A, limit=1000)
        assert [e.request_id for e in mine] == [f"t-{i}" for i in range(0, 30, 3)]
        assert {e.pin_hmac for e in mine} == {PIN_A}
        page = ledger.entries_for(PIN_A, after=mine[3].sequence, limit=2)
        assert page == mine[4:6]
        assert ledger.entries_for("c3" * 16) == []


def test_append_only_triggers_stop_accidental_changes(tmp_path: Path) -> None:
    path = _sealed(tmp_path, n=5)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM entries WHERE sequence = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE checkpoints SET time = 'x'")


# -- checkpoints


def test_checkpoints_every_n_entries_and_on_demand(tmp_path: Path) -> None:
    path = _sealed(tmp_path, n=20)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert [r[0] for r in conn.execute("SELECT sequence FROM checkpoints ORDER BY sequence")] == [5, 10, 15, 20]
    with _ledger(path, checkpoint_every=100) as ledger:
        assert ledger.checkpoint() is None  # nothing new since 20
        ledger.append_batch([_entry(21)])
        assert ledger.checkpoint() == 21
        assert ledger.checkpoint() is None
    with Ledger(tmp_path / "unsigned.sqlite3", signing_key=None) as unsigned:
        unsigned.append_batch([_entry(1)])
        assert unsigned.checkpoint() is None
    assert verify_ledger(path, PUBLIC_KEYS).checkpoints == 5


def test_checkpoint_after_checkpoint_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dancu.gateway.ledger import checkpoints

    path = tmp_path / "l.sqlite3"
    with _ledger(path, checkpoint_every=1000, checkpoint_seconds=0.3) as ledger:
        ledger.append_batch([_entry(1)])  # first batch of a new ledger: sealed
        ledger.append_batch([_entry(2)])  # too soon, too few
        since = checkpoints.seconds_since
        monkeypatch.setattr(checkpoints, "seconds_since", lambda sealed_at: since(sealed_at) + 0.35)  # time passes
        ledger.append_batch([_entry(3)])
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert [r[0] for r in conn.execute("SELECT sequence FROM checkpoints ORDER BY sequence")] == [1, 3]


def test_signing_key_needs_a_key_id(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="key_id"):
        Ledger(tmp_path / "l.sqlite3", signing_key=KEY)


# -- verification


def test_verify_passes_on_a_clean_ledger(tmp_path: Path) -> None:
    report = verify_ledger(_sealed(tmp_path), PUBLIC_KEYS)
    assert report.ok
    assert (report.entries, report.checkpoints, report.first_bad_sequence, report.problem) == (20, 4, None, "")
    with Ledger(tmp_path / "empty.sqlite3", signing_key=None):
        pass
    assert verify_ledger(tmp_path / "empty.sqlite3", {}).ok


def test_verify_names_an_edited_row(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        conn.execute("UPDATE entries SET outcome = 'no_match' WHERE sequence = 7")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert not report.ok
    assert report.first_bad_sequence == 7
    assert "entry 7 was edited" in report.problem
    assert (report.entries, report.checkpoints) == (20, 4)


def test_verify_names_a_deleted_row(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence = 12")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.ok, report.first_bad_sequence, report.entries) == (False, 12, 19)
    assert "entry 12 deleted" in report.problem
    with _raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence <= 2")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.first_bad_sequence, report.problem) == (1, "entries 1 to 2 deleted: the ledger starts at entry 3")


def test_verify_names_a_deleted_row_when_the_rest_is_renumbered(tmp_path: Path) -> None:
    path = _sealed(tmp_path, n=10)
    with _raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence = 4")
        conn.execute("UPDATE entries SET sequence = sequence - 1 WHERE sequence > 4")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert report.first_bad_sequence == 4
    assert "out of chain" in report.problem


@pytest.mark.parametrize(
    ("columns", "wording"),
    [
        ("time, system, purpose, operation, pin_hmac, fields, outcome, request_id, prev_hash, hash", "out of chain"),
        ("time, system, purpose, operation, pin_hmac, fields, outcome, request_id", "was edited"),
    ],
    ids=["whole-rows", "contents-only"],
)
def test_verify_names_swapped_rows(tmp_path: Path, columns: str, wording: str) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        row6 = conn.execute(f"SELECT {columns} FROM entries WHERE sequence = 6").fetchone()
        row9 = conn.execute(f"SELECT {columns} FROM entries WHERE sequence = 9").fetchone()
        assignments = ", ".join(f"{c.strip()} = ?" for c in columns.split(","))
        conn.execute("BEGIN")
        conn.execute(f"UPDATE entries SET {assignments} WHERE sequence = 6", row9)
        conn.execute(f"UPDATE entries SET {assignments} WHERE sequence = 9", row6)
        conn.execute("COMMIT")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.ok, report.first_bad_sequence) == (False, 6)
    assert wording in report.problem


def test_a_recomputed_chain_is_caught_by_the_signed_checkpoint(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        conn.execute("BEGIN")
        conn.execute("UPDATE entries SET outcome = 'no_match' WHERE sequence = 7")
        prev_hash = conn.execute("SELECT hash FROM entries WHERE sequence = 6").fetchone()[0]
        rows = conn.execute(
            "SELECT sequence, time, system, purpose, operation, pin_hmac, fields, outcome, request_id"
            " FROM entries WHERE sequence >= 7 ORDER BY sequence"
        ).fetchall()
        for row in rows:
            new_hash = _attacker_hash(prev_hash, row)
            conn.execute("UPDATE entries SET prev_hash = ?, hash = ? WHERE sequence = ?", (prev_hash, new_hash, row[0]))
            prev_hash = new_hash
        conn.execute("COMMIT")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.ok, report.first_bad_sequence) == (False, 10)  # the first checkpoint after the edit
    assert "entry 10 does not match its signed checkpoint" in report.problem
    assert "from 6 to 10" in report.problem
    # The rewritten chain itself is consistent: without the signed checkpoints nothing would show.
    with _raw(path) as conn:
        conn.execute("DELETE FROM checkpoints")
    assert verify_ledger(path, PUBLIC_KEYS).ok


def test_verify_names_a_tampered_signature(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        signature = bytearray(conn.execute("SELECT signature FROM checkpoints WHERE sequence = 10").fetchone()[0])
        signature[0] ^= 1
        conn.execute("UPDATE checkpoints SET signature = ? WHERE sequence = 10", (bytes(signature),))
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.ok, report.first_bad_sequence) == (False, 10)
    assert "bad signature" in report.problem


def test_verify_names_a_forged_checkpoint_hash(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        conn.execute("UPDATE checkpoints SET hash = ? WHERE sequence = 15", (bytes(32),))
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.first_bad_sequence, "bad signature" in report.problem) == (15, True)


def test_verify_names_a_checkpoint_beyond_the_truncated_tail(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence > 12")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.ok, report.first_bad_sequence, report.entries, report.checkpoints) == (False, 13, 12, 4)
    assert "checkpoint at entry 15 is beyond the last entry (12)" in report.problem
    assert "truncated" in report.problem


def test_truncation_after_the_last_checkpoint_is_not_detectable(tmp_path: Path) -> None:
    """The documented limit: entries not yet sealed can be removed without trace."""
    path = _sealed(tmp_path)
    with _ledger(path, checkpoint_every=100) as ledger:
        ledger.append_batch([_entry(21), _entry(22)])
    with _raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence > 20")
    assert verify_ledger(path, PUBLIC_KEYS).ok


def test_verify_names_an_unknown_key(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    report = verify_ledger(path, {"retired-key": Ed25519PrivateKey.generate().public_key()})
    assert (report.ok, report.first_bad_sequence) == (False, 5)
    assert "unknown key 'ledger-test-1'" in report.problem
    wrong_key = verify_ledger(path, {KEY_ID: Ed25519PrivateKey.generate().public_key()})
    assert (wrong_key.first_bad_sequence, "bad signature" in wrong_key.problem) == (5, True)


def test_verify_reports_the_first_problem_in_sequence_order(tmp_path: Path) -> None:
    path = _sealed(tmp_path)
    with _raw(path) as conn:
        conn.execute("UPDATE checkpoints SET signature = ? WHERE sequence = 5", (bytes(64),))
        conn.execute("UPDATE entries SET system = 'bank-x' WHERE sequence = 3")
        conn.execute("DELETE FROM entries WHERE sequence > 18")
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.first_bad_sequence, "entry 3 was edited" in report.problem) == (3, True)


def test_verify_rejects_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "other.sqlite3")) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert not verify_ledger(tmp_path / "other.sqlite3", PUBLIC_KEYS).ok
    with pytest.raises(FileNotFoundError):
        verify_ledger(tmp_path / "missing.sqlite3", PUBLIC_KEYS)


# -- group commit


def _count_batches(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    original = ledger.append_batch

    def counting(entries: list[LedgerEntry], **options: bool) -> list[int]:
        sizes.append(len(entries))
        return original(entries, **options)

    monkeypatch.setattr(ledger, "append_batch", counting)
    return sizes


def test_async_group_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "l.sqlite3"
    ledger = _ledger(path)
    sizes = _count_batches(ledger, monkeypatch)

    async def main() -> list[int]:
        async with AsyncLedger(ledger) as writer:
            return await asyncio.gather(*(writer.append(_entry(i, tag="g")) for i in range(1000)))

    try:
        sequences = asyncio.run(main())
    finally:
        ledger.close()
    assert sorted(sequences) == list(range(1, 1001))
    assert sum(sizes) == 1000
    assert len(sizes) <= 10, sizes  # far fewer transactions than calls
    with contextlib.closing(sqlite3.connect(path)) as conn:
        request_ids = dict(conn.execute("SELECT sequence, request_id FROM entries").fetchall())
    assert len(request_ids) == 1000
    assert all(request_ids[seq] == f"g-{i}" for i, seq in enumerate(sequences))  # each caller got its own sequence
    report = verify_ledger(path, PUBLIC_KEYS)
    assert report.ok, report.problem
    assert report.entries == 1000


def test_async_max_batch_and_append_many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = _ledger(tmp_path / "l.sqlite3")
    sizes = _count_batches(ledger, monkeypatch)

    async def main() -> tuple[list[int], list[list[int]]]:
        async with AsyncLedger(ledger, max_batch=10) as writer:
            singles = asyncio.gather(*(writer.append(_entry(i)) for i in range(25)))
            many = asyncio.gather(writer.append_many([_entry(i) for i in range(15)]), writer.append_many([]))
            return list(await singles), list(await many)

    try:
        singles, (many, empty) = asyncio.run(main())
    finally:
        ledger.close()
    assert empty == []
    assert many == list(range(many[0], many[0] + 15))  # together and in order, even above max_batch
    assert sorted(singles + many) == list(range(1, 41))
    assert max(sizes) == 15
    assert all(size <= 10 for size in sizes if size != 15)


def test_async_write_failure_reaches_every_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = _ledger(tmp_path / "l.sqlite3")
    real_append_batch = ledger.append_batch

    def broken(entries: list[LedgerEntry], **options: bool) -> list[int]:
        raise sqlite3.OperationalError("disk I/O error")

    async def main() -> tuple[list[int | BaseException], int]:
        async with AsyncLedger(ledger) as writer:
            monkeypatch.setattr(ledger, "append_batch", broken)
            results = await asyncio.gather(*(writer.append(_entry(i)) for i in range(50)), return_exceptions=True)
            monkeypatch.setattr(ledger, "append_batch", real_append_batch)
            after = await writer.append(_entry(99))  # the writer survives a failed batch
        return results, after

    try:
        results, after = asyncio.run(main())
        assert ledger.last_sequence() == 1
    finally:
        ledger.close()
    assert len(results) == 50
    for result in results:
        assert isinstance(result, LedgerWriteError)
        assert isinstance(result.__cause__, sqlite3.OperationalError)
    assert after == 1


def test_async_writer_cancelled_mid_write_fails_its_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer task is cancelled during a write: the call being written and the call queued behind it fail at
    once (nobody waits forever), later calls are refused, and stop() still works."""
    ledger = _ledger(tmp_path / "l.sqlite3")
    real_append_batch = ledger.append_batch
    inside, release = threading.Event(), threading.Event()

    def slow(entries: list[LedgerEntry], **options: bool) -> list[int]:
        inside.set()
        release.wait(5)  # held inside the write until the test has cancelled the writer
        return real_append_batch(entries, **options)

    monkeypatch.setattr(ledger, "append_batch", slow)

    async def main() -> tuple[tuple[int | BaseException, ...], BaseException | None]:
        writer = AsyncLedger(ledger)
        await writer.start()
        first = asyncio.create_task(writer.append(_entry(1)))
        assert await asyncio.to_thread(inside.wait, 5)  # the writer is inside append_batch
        second = asyncio.create_task(writer.append(_entry(2)))  # queued behind it
        await asyncio.sleep(0)
        assert writer._task is not None
        writer._task.cancel()
        results = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 5)
        release.set()
        later: BaseException | None = None
        try:
            await writer.append(_entry(3))
        except RuntimeError as error:
            later = error
        await writer.stop()  # no error: the writer was cancelled, not stop()
        return results, later

    try:
        results, later = asyncio.run(main())
    finally:
        ledger.close()
    assert [type(result) for result in results] == [LedgerWriteError, LedgerWriteError]  # nobody waits forever
    assert isinstance(later, RuntimeError)


def test_prechecked_entries_are_stored_and_hashed_alike(tmp_path: Path) -> None:
    """The async writer hands its thread entries it checked when they were queued (``checked=True``): the rows, and
    so the chain, are exactly those of the checking path."""
    entries = [_entry(1), _entry(2, PIN_B, outcome="refused:rate_limited"),
               LedgerEntry(now_iso(), "", "", "malformed", PIN_A, ("họ_tên", ""), "malformed", "ĐĂNG-1")]  # fmt: skip
    rows = []
    for name, checked in (("a.sqlite3", False), ("b.sqlite3", True)):
        with _ledger(tmp_path / name) as ledger:
            assert ledger.append_batch(entries, checked=checked) == [1, 2, 3]
        assert verify_ledger(tmp_path / name, PUBLIC_KEYS).ok
        with sqlite3.connect(tmp_path / name) as conn:
            rows.append(conn.execute("SELECT * FROM entries ORDER BY sequence").fetchall())
    assert rows[0] == rows[1]


def test_async_writer_hands_over_checked_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = _ledger(tmp_path / "l.sqlite3")
    seen: list[bool] = []
    original = ledger.append_batch

    def recording(entries: list[LedgerEntry], *, checked: bool = False) -> list[int]:
        seen.append(checked)
        return original(entries, checked=checked)

    monkeypatch.setattr(ledger, "append_batch", recording)

    async def main() -> list[int]:
        async with AsyncLedger(ledger) as writer:
            return list(await asyncio.gather(*(writer.append(_entry(i)) for i in range(5))))

    try:
        assert sorted(asyncio.run(main())) == [1, 2, 3, 4, 5]
    finally:
        ledger.close()
    assert seen and all(seen)


def test_async_invalid_entry_fails_only_its_caller(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "l.sqlite3")
    bad = LedgerEntry("yesterday", "s", "p", "verify", PIN_A, (), "ok", "r")

    async def main() -> tuple[int | BaseException, ...]:
        async with AsyncLedger(ledger) as writer:
            return await asyncio.gather(writer.append(_entry(1)), writer.append(bad), return_exceptions=True)

    try:
        good, error = asyncio.run(main())
    finally:
        ledger.close()
    assert good == 1
    assert isinstance(error, ValueError)


def test_async_stop_flushes_and_seals(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    ledger = _ledger(path, checkpoint_every=10_000)

    async def main() -> list[asyncio.Task[int]]:
        writer = AsyncLedger(ledger)
        await writer.start()
        tasks = [asyncio.create_task(writer.append(_entry(i))) for i in range(300)]
        await asyncio.sleep(0)  # the appends are queued, maybe none written yet
        cancelled = asyncio.create_task(writer.append(_entry(300)))
        await asyncio.sleep(0)
        cancelled.cancel()  # a caller that gave up: its call is still recorded
        await writer.stop()
        assert all(task.done() for task in tasks)
        with pytest.raises(RuntimeError, match="not running"):
            await writer.append(_entry(0))
        await writer.stop()  # idempotent
        return tasks

    try:
        tasks = asyncio.run(main())
        assert ledger.last_sequence() == 301
    finally:
        ledger.close()
    assert sorted(task.result() for task in tasks) == list(range(1, 301))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT MAX(sequence) FROM checkpoints").fetchone()[0] == 301  # final checkpoint
    assert verify_ledger(path, PUBLIC_KEYS).ok


def test_async_writer_seals_the_tail_when_idle(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    ledger = _ledger(path, checkpoint_every=10_000, checkpoint_seconds=0.3)

    def sealed() -> list[int]:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return [r[0] for r in conn.execute("SELECT sequence FROM checkpoints ORDER BY sequence")]

    async def main() -> tuple[list[int], list[int]]:
        async with AsyncLedger(ledger) as writer:
            await writer.append(_entry(1))  # first batch of a new ledger: sealed
            await writer.append(_entry(2))  # too soon for a checkpoint
            before = sealed()
            deadline = time.monotonic() + 10
            while sealed() == before and time.monotonic() < deadline:  # idle: the writer seals entry 2 after 0.3 s
                await asyncio.sleep(0.05)
            return before, sealed()

    try:
        before, after = asyncio.run(main())
    finally:
        ledger.close()
    assert before == [1]
    assert after == [1, 2]


def test_ledger_module_does_not_import_django() -> None:
    code = "import sys, dancu.gateway.ledger; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=30).returncode == 0


def test_batch_items_are_hashed_indexed_and_verified(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from dancu.gateway.ledger import Ledger, LedgerEntry, now_iso, verify_ledger

    key = Ed25519PrivateKey.generate()
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, signing_key=key, key_id="k")
    items = (
        ("aa" * 16, ("sex",), "found"),
        ("", ("full_name",), "refused:pin_malformed"),
        ("bb" * 16, (), "not_found"),
    )
    ledger.append_batch(
        [
            LedgerEntry(now_iso(), "bank", "kyc", "verify", "aa" * 16, ("sex",), "found", "r1"),
            LedgerEntry(now_iso(), "bank", "kyc", "verify_batch", "", (), "items=3", "r2", items),
        ]
    )
    mine = ledger.entries_for("aa" * 16)
    assert [(e.operation, e.fields, e.outcome, e.request_id) for e in mine] == [
        ("verify", ("sex",), "found", "r1"),
        ("verify_batch", ("sex",), "found", "r2:0"),
    ]
    assert [e.request_id for e in ledger.entries_for("bb" * 16)] == ["r2:2"]
    from dancu.gateway.ledger import read_entries_for

    assert read_entries_for(path, "aa" * 16) == mine  # the reader's path gives the same entries
    assert read_entries_for(tmp_path / "absent.sqlite3", "aa" * 16) == []
    from dancu.gateway.ledger import read_entries_before

    assert read_entries_before(path, "aa" * 16) == mine[::-1]  # newest first
    assert read_entries_before(path, "aa" * 16, before=2) == mine[:1]
    assert read_entries_before(tmp_path / "absent.sqlite3", "aa" * 16) == []
    assert not (tmp_path / "absent.sqlite3").exists()  # a read creates nothing
    ledger.checkpoint()
    ledger.close()
    keys = {"k": key.public_key()}
    assert verify_ledger(path, keys).ok
    with Ledger(path, signing_key=None) as reopened:
        assert reopened.index_people(run_keys=1, final=True) == 2  # runs of entries 1 and 2
        assert reopened.entries_for("aa" * 16) == mine  # now read from the runs
    assert verify_ledger(path, keys).ok
    with sqlite3.connect(path) as db:  # hiding an access from the citizen's view is detected
        (records,) = db.execute("SELECT records FROM person_runs WHERE first = 2").fetchone()
        kept = b"".join(records[i : i + 28] for i in range(0, len(records), 28) if not records[i:].startswith(b"bb"))
        db.execute("UPDATE person_runs SET records = ? WHERE first = 2", (kept,))
    report = verify_ledger(path, keys)
    assert not report.ok
    assert report.first_bad_sequence == 2
    assert "index" in report.problem
    with sqlite3.connect(path) as db:  # so is a deleted run
        db.execute("DELETE FROM person_runs WHERE first = 1")
    report = verify_ledger(path, keys)
    assert not report.ok
    assert report.first_bad_sequence == 1
    assert "index" in report.problem


def _reference(entries: list[LedgerEntry], pin: str) -> list[tuple[int, str, tuple[str, ...], str]]:
    """A person's entries, worked out from what was appended: (sequence, request id, fields, outcome)."""
    found = []
    for sequence, entry in enumerate(entries, start=1):
        if entry.pin_hmac == pin:
            found.append((sequence, entry.request_id, entry.fields, entry.outcome))
        for index, (item_pin, fields, outcome) in enumerate(entry.items):
            if item_pin == pin:
                found.append((sequence, f"{entry.request_id}:{index}", fields, outcome))
    return sorted(found, key=lambda e: (e[0], e[1]))


@pytest.mark.parametrize("seed", range(6))
def test_per_person_runs_give_the_same_entries_as_the_tail(tmp_path: Path, seed: int) -> None:
    """Whatever has been indexed in runs (and merged) and whatever is left in the tail, a person's entries are
    exactly the appended ones that concern them, page by page; and verify_ledger accepts the runs."""
    import random

    rng = random.Random(seed)
    pins = [f"{n:02x}" * 16 for n in range(6)] + ["ab" * 16 + "ff", "ab" * 16]  # two sharing the key's 16 bytes
    path = tmp_path / "ledger.sqlite3"
    appended: list[LedgerEntry] = []
    with _ledger(path) as ledger:
        for round_ in range(12):
            batch = []
            for i in range(rng.randint(1, 6)):
                if rng.random() < 0.3:
                    items = tuple(
                        (rng.choice([*pins, ""]), ("sex",), rng.choice(["found", "not_found"]))
                        for _ in range(rng.randint(1, 5))
                    )
                    batch.append(LedgerEntry(now_iso(), "bank", "kyc", "verify_batch", "", (), f"items={len(items)}",
                                             f"b{round_}-{i}", items))  # fmt: skip
                else:
                    batch.append(_entry(i, rng.choice([*pins, ""]), tag=f"s{round_}"))
            ledger.append_batch(batch)
            appended += batch
            if rng.random() < 0.5:
                ledger.index_people(run_keys=rng.randint(1, 8), fanout=rng.randint(2, 3))
            for pin in pins:
                want = _reference(appended, pin)
                got = ledger.entries_for(pin, limit=10_000)
                assert [(e.sequence, e.request_id, e.fields, e.outcome) for e in got] == want
                assert {e.pin_hmac for e in got} <= {pin}
                if want:  # paging: after a sequence, a few at a time
                    after = want[len(want) // 2][0]
                    page = ledger.entries_for(pin, after=after, limit=3)
                    assert [(e.sequence, e.request_id) for e in page] == [(w[0], w[1]) for w in want if w[0] > after][
                        :3
                    ]
                    _check_newest_first(path, pin, want)
        ledger.index_people(run_keys=3, fanout=2, final=True)
        assert ledger._conn is not None
        levels = {row[0] for row in ledger._conn.execute("SELECT level FROM person_runs")}
        assert levels <= {0, 1}
        for pin in pins:
            assert [(e.sequence, e.request_id) for e in ledger.entries_for(pin, limit=10_000)] == [
                (w[0], w[1]) for w in _reference(appended, pin)
            ]
    assert verify_ledger(path, PUBLIC_KEYS).ok


def _check_newest_first(path: Path, pin: str, want: list[tuple[int, str, tuple[str, ...], str]]) -> None:
    """Paging back in time, a few at a time, gives every entry once, newest first, never splitting a sequence."""
    from dancu.gateway.ledger import read_entries_before

    newest_first = sorted(((w[0], w[1]) for w in want), reverse=True)
    seen: list[tuple[int, str]] = []
    before = None
    while True:
        page = read_entries_before(path, pin, before=before, limit=2)
        if not page:
            break
        seen += [(e.sequence, e.request_id) for e in page]
        before = page[-1].sequence
    assert seen == newest_first  # a sequence split across pages would lose its other entries here


def test_a_ledger_from_before_the_runs_is_read_and_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with _ledger(path) as ledger:
        ledger.append_batch([_entry(i, PIN_A if i % 2 else PIN_B) for i in range(10)])
    with _raw(path) as db:  # the layout of the earlier version: a B-tree index and an items table, no runs
        db.execute("DROP TABLE person_runs")
        db.execute("CREATE INDEX entries_pin_hmac ON entries (pin_hmac, sequence)")
        db.execute("CREATE TABLE entry_items (pin_hmac TEXT, sequence INTEGER, item INTEGER)")
    from dancu.gateway.ledger import read_entries_for

    assert [e.request_id for e in read_entries_for(path, PIN_A)] == [f"t-{i}" for i in range(1, 10, 2)]
    with _ledger(path) as ledger:  # opening it for writing upgrades it
        assert ledger._conn is not None
        names = {row[0] for row in ledger._conn.execute("SELECT name FROM sqlite_master")}
        assert "person_runs" in names
        assert not names & {"entries_pin_hmac", "entry_items"}
        ledger.index_people(run_keys=4)
        assert [e.request_id for e in ledger.entries_for(PIN_A)] == [f"t-{i}" for i in range(1, 10, 2)]


def test_one_indexer_at_a_time(tmp_path: Path) -> None:
    """Gateway workers elect the indexer with a lock file: a second one does nothing until the first is gone."""
    from dancu.gateway.ledger import PersonIndexer

    path = tmp_path / "ledger.sqlite3"
    with _ledger(path) as ledger:
        ledger.append_batch([_entry(i, PIN_A) for i in range(10)])
        assert ledger._conn is not None
        first, second = PersonIndexer(path, run_keys=4), PersonIndexer(path, run_keys=4)
        try:
            assert first.step(ledger._conn) == 2  # holds the lock: runs of entries 1-4 and 5-8
            ledger.append_batch([_entry(i, PIN_A) for i in range(10, 20)])
            assert second.step(ledger._conn) == 0  # another worker: the lock is taken
            first.close()  # the first worker is gone
            assert second.step(ledger._conn) == 3  # takes over from where the runs end: 9-12, 13-16, 17-20
            runs = ledger._conn.execute("SELECT first, last FROM person_runs ORDER BY first").fetchall()
            assert runs == [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20)]
            assert [e.request_id for e in ledger.entries_for(PIN_A, limit=100)] == [f"t-{i}" for i in range(20)]
        finally:
            first.close()
            second.close()
