"""Witnessed checkpoints: a ledger's tail cannot vanish, nor its checkpoints, without the witness saying so; and
garbage anywhere in a ledger file is reported as tampering of the entry it is in, never raised."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import sqlite3
import threading
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from dancu.core.crypto import Keyring
from dancu.gateway.ledger import AsyncLedger, Ledger, LedgerEntry, now_iso, verify_ledger
from dancu.gateway.ledger.witness import FileWitness, HttpWitness, WitnessPublisher

KEY = Ed25519PrivateKey.generate()
KEY_ID = "witness-test-1"
PUBLIC_KEYS = {KEY_ID: KEY.public_key()}


def _entry(i: int, *, items: tuple[tuple[str, tuple[str, ...], str], ...] = ()) -> LedgerEntry:
    return LedgerEntry(now_iso(), "bank-vcb", "kyc", "verify_batch" if items else "verify", "" if items else "a1" * 16,
                       ("full_name",), "ok", f"t-{i}", items)  # fmt: skip


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


class Witnessed:
    """A ledger (checkpoints every 5 entries) whose publisher sends to a witness file when told to."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "ledger.sqlite3"
        self.witness = tmp_path / "ledger.sqlite3.witness.jsonl"
        self.ledger = Ledger(self.path, signing_key=KEY, key_id=KEY_ID, checkpoint_every=5)
        self.publisher = WitnessPublisher(self.path, self.ledger, FileWitness(self.witness), use_lock=False)

    def append(self, first: int, count: int) -> None:
        """Append ``count`` entries one at a time, the publisher stepping after each (as the gateway's background
        thread does every second), then send the tail head."""
        assert self.ledger._conn is not None
        for i in range(first, first + count):
            self.ledger.append_batch([_entry(i)])
            self.publisher.step(self.ledger._conn)
        self.publisher.step(self.ledger._conn, force=True)

    def close(self) -> None:
        self.ledger.close()


@pytest.fixture
def witnessed(tmp_path: Path) -> Iterator[Witnessed]:
    setup = Witnessed(tmp_path)
    try:
        yield setup
    finally:
        setup.close()


def _statements(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_witness_receives_checkpoints_and_tail_heads(witnessed: Witnessed) -> None:
    witnessed.append(1, 12)  # checkpoints at 1 (first batch), 6 and 11; then the tail head at 12
    kinds = [(s["kind"], s["sequence"]) for s in _statements(witnessed.witness)]
    assert kinds == [("checkpoint", 1), ("checkpoint", 6), ("checkpoint", 11), ("tail", 12)]
    assert witnessed.publisher.step(witnessed.ledger._conn, force=True) == 0  # type: ignore[arg-type]
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.witnessed, report.statements) == (True, 12, 4), report.problem
    assert report.coverage == "the witness vouches for every entry"


def test_without_a_witness_the_uncovered_tail_is_named(witnessed: Witnessed) -> None:
    witnessed.append(1, 13)
    report = verify_ledger(witnessed.path, PUBLIC_KEYS)
    assert (report.ok, report.last_sealed, report.witnessed) == (True, 11, None)
    assert report.coverage.startswith("entries 12 to 13 come after the last signed checkpoint and are not covered")


def test_a_truncated_tail_is_caught_by_the_witness(witnessed: Witnessed) -> None:
    witnessed.append(1, 14)  # sealed up to 11; 12-14 vouched for by the tail head only
    with _raw(witnessed.path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence > 11")
    assert verify_ledger(witnessed.path, PUBLIC_KEYS).ok  # the file alone cannot tell
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.first_bad_sequence, report.witnessed) == (False, 12, 14)
    assert "signed tail head for entry 14" in report.problem
    assert "entries 12 to 14 were removed (the ledger was truncated)" in report.problem


def test_truncation_to_an_earlier_checkpoint_with_its_successors_deleted_is_caught(witnessed: Witnessed) -> None:
    witnessed.append(1, 14)
    with _raw(witnessed.path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence > 6")
        conn.execute("DELETE FROM checkpoints WHERE sequence > 6")
    assert verify_ledger(witnessed.path, PUBLIC_KEYS).ok
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.first_bad_sequence) == (False, 7)  # the first entry missing
    assert "signed checkpoint for entry 11" in report.problem and "entries 7 to 11 were removed" in report.problem


def test_a_deleted_checkpoint_is_caught(witnessed: Witnessed) -> None:
    witnessed.append(1, 12)
    with _raw(witnessed.path) as conn:
        conn.execute("DELETE FROM checkpoints WHERE sequence = 6")
    assert verify_ledger(witnessed.path, PUBLIC_KEYS).ok
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.first_bad_sequence) == (False, 6)
    assert "the ledger has no checkpoint there (the checkpoint was deleted)" in report.problem


def test_a_rewritten_tail_contradicts_the_witness(witnessed: Witnessed) -> None:
    """The tail after the last checkpoint removed and other entries appended in its place: the chain and the
    checkpoints are valid, but the witness's tail head names another hash."""
    witnessed.append(1, 13)
    with _raw(witnessed.path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence > 11")
    witnessed.ledger.append_batch([_entry(100), _entry(101)])  # 12 and 13 again, other content; no checkpoint due
    assert verify_ledger(witnessed.path, PUBLIC_KEYS).ok
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.first_bad_sequence) == (False, 13)
    assert "the ledger contradicts it: entry 13 has another hash" in report.problem


def test_an_altered_witness_file_is_reported(witnessed: Witnessed) -> None:
    witnessed.append(1, 12)
    lines = witnessed.witness.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["sequence"] = 7
    witnessed.witness.write_text("\n".join([lines[0], json.dumps(forged), *lines[2:]]) + "\n")
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.problem) == (False, "witness line 2 has a bad signature (the witness file was altered)")
    witnessed.witness.write_bytes(b"\xff\xfe not json\n")
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.problem) == (False, "witness line 1 is not a statement (the witness file was altered)")


def test_a_torn_last_witness_line_is_skipped(witnessed: Witnessed) -> None:
    witnessed.append(1, 7)
    with witnessed.witness.open("ab") as out:
        out.write(b'{"v":1,"kind":"ta')  # a write cut short by a crash
    report = verify_ledger(witnessed.path, PUBLIC_KEYS, witness=witnessed.witness)
    assert (report.ok, report.witnessed) == (True, 7), report.problem


def test_the_async_ledger_witnesses_its_final_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    witness = tmp_path / "elsewhere.jsonl"
    ledger = Ledger(path, signing_key=KEY, key_id=KEY_ID)

    async def run() -> None:
        async with AsyncLedger(ledger, witness=FileWitness(witness), witness_seconds=0.05) as writer:
            await asyncio.gather(*(writer.append(_entry(i)) for i in range(50)))

    try:
        asyncio.run(run())
    finally:
        ledger.close()
    statements = _statements(witness)
    assert statements[-1]["kind"] == "checkpoint" and statements[-1]["sequence"] == 50
    report = verify_ledger(path, PUBLIC_KEYS, witness=witness)
    assert (report.ok, report.witnessed) == (True, 50), report.problem


def test_the_witness_path_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3", signing_key=KEY, key_id=KEY_ID)
    try:
        assert AsyncLedger(ledger).publisher.witness.describe() == f"{tmp_path / 'l.sqlite3'}.witness.jsonl"  # type: ignore[union-attr]
        monkeypatch.setenv("DANCU_LEDGER_WITNESS", str(tmp_path / "w.jsonl"))
        assert AsyncLedger(ledger).publisher.witness.describe() == str(tmp_path / "w.jsonl")  # type: ignore[union-attr]
        monkeypatch.setenv("DANCU_LEDGER_WITNESS", "http://127.0.0.1:9/witness")
        assert isinstance(AsyncLedger(ledger).publisher.witness, HttpWitness)  # type: ignore[union-attr]
    finally:
        ledger.close()
    unsigned = Ledger(tmp_path / "u.sqlite3", signing_key=None)
    try:
        assert AsyncLedger(unsigned).publisher is None  # nothing signed, nothing to witness
    finally:
        unsigned.close()


def test_an_http_witness_receives_the_statements(witnessed: Witnessed, caplog: pytest.LogCaptureFixture) -> None:
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)  # a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/witness"
        publisher = WitnessPublisher(witnessed.path, witnessed.ledger, HttpWitness(url), use_lock=False)
        witnessed.ledger.append_batch([_entry(1)])  # sealed: the first batch of a new ledger
        witnessed.ledger.append_batch([_entry(2)])
        assert publisher.step(witnessed.ledger._conn, force=True) == 2  # type: ignore[arg-type]
    finally:
        server.shutdown()
        server.server_close()
    assert [json.loads(body)["kind"] for body in received] == ["checkpoint", "tail"]
    # Unreachable now: the step does not raise (the gateway keeps answering); it says so once, and retries.
    witnessed.ledger.append_batch([_entry(3)])
    assert publisher.step(witnessed.ledger._conn, force=True) == 0  # type: ignore[arg-type]
    assert "cannot be reached" in caplog.text


# -- garbage in any column of any row


def _rebuilt(path: Path) -> None:
    """Tables rebuilt without their constraints, so that any value fits anywhere (as an attacker could)."""
    with _raw(path) as conn:
        for table in ("entries", "checkpoints", "person_runs"):
            conn.execute(f"CREATE TABLE loose AS SELECT * FROM {table} ORDER BY rowid")
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"ALTER TABLE loose RENAME TO {table}")


NOT_UTF8 = "CAST(x'ff00fe' AS TEXT)"
GARBAGE = {"NULL": "NULL", "not UTF-8": NOT_UTF8, "integer": "42", "real": "1.5", "blob": "x'00ff'",
           "text": "'garbage'"}  # fmt: skip
ENTRY_COLUMNS = ["sequence", "time", "system", "purpose", "operation", "pin_hmac", "fields", "outcome", "request_id",
                 "prev_hash", "hash", "items"]  # fmt: skip
CASES = [("entries", column, name) for column in ENTRY_COLUMNS for name in GARBAGE]
CASES += [("entries", "fields", "bad JSON"), ("entries", "items", "bad JSON"), ("entries", "hash", "short"),
          ("entries", "items", "wrong shape")]  # fmt: skip
CASES += [("checkpoints", column, name) for column in ("sequence", "hash", "time", "key_id", "signature")
          for name in GARBAGE]  # fmt: skip
CASES += [("person_runs", column, name) for column in ("first", "last", "records") for name in GARBAGE]
SPECIAL = {"bad JSON": "'[\"full_name\"'", "short": "x'0011'", "wrong shape": "'[[1,2,3,4]]'"}


@pytest.mark.parametrize(("table", "column", "garbage"), CASES, ids=["-".join(case) for case in CASES])
def test_garbage_is_reported_as_tampering_never_raised(tmp_path: Path, table: str, column: str, garbage: str) -> None:
    path = tmp_path / "ledger.sqlite3"
    items = (("b2" * 16, ("sex",), "match"),)
    with Ledger(path, signing_key=KEY, key_id=KEY_ID, checkpoint_every=3) as ledger:
        for i in range(1, 10):
            ledger.append_batch([_entry(i, items=items if i == 6 else ())])
        ledger.index_people(run_keys=4, final=True)
    _rebuilt(path)
    assert verify_ledger(path, PUBLIC_KEYS).ok  # rebuilt tables alone are not tampering
    where = {"entries": "sequence = 6", "checkpoints": "sequence = 7", "person_runs": "first = 5"}[table]
    value = SPECIAL.get(garbage, GARBAGE.get(garbage))
    with _raw(path) as conn:
        rowid = conn.execute(f"SELECT rowid FROM {table} WHERE {where}").fetchone()[0]
        before = conn.execute(f"SELECT hex({column}) || typeof({column}) FROM {table} WHERE rowid = ?", (rowid,))
        original = before.fetchone()[0]
        conn.execute(f"UPDATE {table} SET {column} = {value} WHERE rowid = ?", (rowid,))
        after = conn.execute(f"SELECT hex({column}) || typeof({column}) FROM {table} WHERE rowid = ?", (rowid,))
        assert after.fetchone()[0] != original  # the value really changed
    report = verify_ledger(path, PUBLIC_KEYS)
    assert not report.ok, (table, column, garbage)
    assert report.problem
    if table == "entries" and column != "sequence":
        assert report.first_bad_sequence == 6, report.problem
    if table == "checkpoints" and column != "sequence":
        assert report.first_bad_sequence == 7, report.problem


def test_the_cli_reports_a_non_utf8_signature_as_tampering(tmp_path: Path, settings: Any) -> None:
    """The integrator's case: a checkpoint signature replaced by bytes that are not UTF-8 text."""
    keys = Keyring(tmp_path / "keys")
    kid, key = keys.ledger_signing_key()
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path, signing_key=key, key_id=kid) as ledger:
        ledger.append_batch([_entry(1)])
        ledger.append_batch([_entry(2)])
        ledger.checkpoint()
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    out = StringIO()
    call_command("ledger", "verify", "--file", str(path), stdout=out)
    assert "Ledger intact: 2 entries, 2 signed checkpoints verified." in out.getvalue()
    assert "Not covered: every entry is sealed by a signed checkpoint, but a truncation back" in out.getvalue()
    with _raw(path) as conn:
        conn.execute(f"UPDATE checkpoints SET signature = {NOT_UTF8} WHERE sequence = 2")
    with pytest.raises(CommandError, match=r"^ledger_tampered: checkpoint at entry 2 was altered"):
        call_command("ledger", "verify", "--file", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match=r"^witness_missing: "):
        call_command("ledger", "verify", "--file", str(path), "--witness", str(tmp_path / "none"), stdout=StringIO())


def test_the_cli_checks_against_a_witness(tmp_path: Path, settings: Any) -> None:
    keys = Keyring(tmp_path / "keys")
    kid, key = keys.ledger_signing_key()
    path, witness = tmp_path / "ledger.sqlite3", tmp_path / "witness.jsonl"
    with Ledger(path, signing_key=key, key_id=kid) as ledger:
        ledger.append_batch([_entry(1)])
        ledger.append_batch([_entry(2), _entry(3)])
        assert ledger._conn is not None
        WitnessPublisher(path, ledger, FileWitness(witness), use_lock=False).step(ledger._conn, force=True)
        ledger.append_batch([_entry(4)])
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    out = StringIO()
    call_command("ledger", "verify", "--file", str(path), "--witness", str(witness), stdout=out)
    assert "Witness: 2 signed statements agree; the last entry vouched for: up to entry 3" in out.getvalue()
    assert "entries 4 to 4 were appended after the witness's last statement and are not covered by it" in out.getvalue()
    with _raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE sequence > 1")
    with pytest.raises(CommandError, match=r"^ledger_tampered: the witness holds a signed tail head for entry 3"):
        call_command("ledger", "verify", "--file", str(path), "--witness", str(witness), stdout=StringIO())
