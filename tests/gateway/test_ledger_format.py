"""A ledger written by the earlier code (commit 0b3d0a8, its compiled writer) verifies with this code, is appended
to by it, and this code writes the very same rows for the same entries (see data/make_ledger_fixture.py)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dancu.gateway.ledger import Ledger, LedgerEntry, verify_ledger

FIXTURE = Path(__file__).parent / "data" / "ledger-0b3d0a8.sqlite3"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEYS = {"fixture-key": KEY.public_key()}
ROWS = "SELECT * FROM entries ORDER BY sequence"


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(FIXTURE, path)
    return path


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _entries_of(path: Path) -> tuple[list[LedgerEntry], list[tuple[object, ...]]]:
    """The entries stored in a ledger file, rebuilt as :class:`LedgerEntry` values, and its raw rows."""
    with _read_only(path) as conn:
        rows = conn.execute(ROWS).fetchall()
        names = [column[1] for column in conn.execute("PRAGMA table_info(entries)")]
    entries = []
    for row in rows:
        value = dict(zip(names, row, strict=True))
        items = tuple((pin, tuple(fields), outcome) for pin, fields, outcome in orjson.loads(value["items"] or "[]"))
        entries.append(LedgerEntry(
            value["time"], value["system"], value["purpose"], value["operation"], value["pin_hmac"],
            tuple(orjson.loads(value["fields"])), value["outcome"], value["request_id"], items,
        ))  # fmt: skip
    return entries, rows


def test_an_old_ledger_verifies(tmp_path: Path) -> None:
    report = verify_ledger(_copy(tmp_path), PUBLIC_KEYS)
    assert (report.ok, report.entries, report.checkpoints) == (True, 31, 5), report.problem


def test_an_old_ledger_is_appended_to_and_still_verifies(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    entry = LedgerEntry("2026-11-24T00:00:00.000Z", "demo-bank", "kyc-banking", "verify", "ee" * 16, ("sex",), "ok",
                        "new-1", (("ff" * 16, ("sex",), "match"),))  # fmt: skip
    with Ledger(path, signing_key=KEY, key_id="fixture-key") as ledger:
        assert ledger.append_batch([entry, entry._replace(items=(), request_id="new-2")]) == [32, 33]
        ledger.index_people(run_keys=8, final=True)
        assert [e.request_id for e in ledger.entries_for("ff" * 16)] == ["new-1:0"]
        assert [e.request_id for e in ledger.entries_for("aa" * 16)][:2] == ["r-0:0", "r-1"]
    report = verify_ledger(path, PUBLIC_KEYS)
    assert (report.ok, report.entries) == (True, 33), report.problem


def test_the_same_entries_give_the_same_bytes(tmp_path: Path) -> None:
    """Every column of every row (the JSON texts, prev_hash and hash) and the per-person runs are byte for byte
    what the earlier code wrote."""
    entries, old_rows = _entries_of(FIXTURE)
    path = tmp_path / "new.sqlite3"
    with Ledger(path, signing_key=KEY, key_id="fixture-key", checkpoint_every=7) as ledger:
        ledger.append_batch(entries[:30])
        ledger.append_batch(entries[30:])
        ledger.index_people(run_keys=8, fanout=2)
    with sqlite3.connect(path) as new, _read_only(FIXTURE) as old:
        assert new.execute(ROWS).fetchall() == old_rows
        runs = "SELECT first, last, level, records FROM person_runs ORDER BY first"
        assert new.execute(runs).fetchall() == old.execute(runs).fetchall()
    assert verify_ledger(path, PUBLIC_KEYS).ok
