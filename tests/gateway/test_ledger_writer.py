"""The compiled ledger writer (``_ledger.c``) and the Python one write the same rows, byte for byte."""

from __future__ import annotations

import shutil
import sqlite3
import sysconfig
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from dancu.gateway import ledger as ledger_module
from dancu.gateway.ledger import Ledger, LedgerEntry, verify_ledger

needs_compiled = pytest.mark.skipif(not ledger_module.COMPILED_WRITER, reason="the compiled writer was not built")
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
ODD = "".join(chr(c) for c in range(0x80)) + "\u2028\u2029\ufeff\U0001f600\u00ad\u1ec7"


def _entries() -> list[LedgerEntry]:
    return [
        LedgerEntry(
            "2026-11-23T02:00:00.123Z", "bank", "kyc", "verify", "ab" * 16, ("full_name", "sex"), "found", "r1"
        ),
        LedgerEntry("2026-11-23T02:00:00.124Z", "", ODD, "token", "", (), f"refused:{ODD}", "r2"),
        LedgerEntry(
            "2026-11-23T02:00:00.125Z",
            "bank",
            "kyc",
            "verify_batch",
            "",
            (),
            "items=2",
            "r3",
            items=(("cd" * 16, ("sex",), "found"), ("", (), "refused:pin_invalid")),
        ),
        LedgerEntry("2026-11-23T02:00:00.126Z", "nul\0inside", "kyc", "lookup", "ef" * 16, ("a\0b",), "ok", "r4"),
    ]


def _rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM entries ORDER BY sequence").fetchall()
    finally:
        conn.close()


@needs_compiled
def test_both_writers_store_the_same_rows(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    paths = {}
    for compiled in (True, False):
        path = paths[compiled] = tmp_path / f"ledger-{compiled}.sqlite3"
        with Ledger(path, signing_key=key, key_id="k1", checkpoint_every=2, compiled=compiled) as ledger:
            assert ledger.append_batch(_entries()[:2]) == [1, 2]
            assert ledger.append_batch(_entries()[2:], checked=False) == [3, 4]
    assert _rows(paths[True]) == _rows(paths[False])
    for path in paths.values():
        report = verify_ledger(path, {"k1": key.public_key()})
        assert report.ok, report.problem
        assert report.checkpoints == 2  # the first batch of a new ledger, then two entries later


@needs_compiled
@given(st.lists(st.tuples(TEXT, TEXT, st.lists(TEXT, max_size=3)), min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_the_canonical_json_is_the_standard_librarys(values: list[tuple[str, str, list[str]]]) -> None:
    items = tuple((pin, tuple(fields), outcome) for pin, outcome, fields in values)
    first = values[0]
    entry = LedgerEntry("2026-11-23T02:00:00.123Z", first[0], first[1], "op", first[0], tuple(first[2]), first[1],
                        "r", items=items if len(values) > 1 else ())  # fmt: skip
    body: list[object] = [7, *entry[:5], list(entry.fields), entry.outcome, entry.request_id]
    if entry.items:
        body.append([[pin, list(fields), outcome] for pin, fields, outcome in entry.items])
    assert ledger_module._compiled.canonical_json(7, entry) == orjson.dumps(body)


@needs_compiled
def test_bad_entries_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3", signing_key=None, compiled=True) as ledger:
        good = _entries()[0]
        for bad in (good._replace(system=3), good._replace(fields=["a"]), good._replace(outcome="\ud800")):
            with pytest.raises((TypeError, UnicodeEncodeError)):
                ledger.append_batch([good, bad], checked=True)  # the compiled writer checks types itself
        assert ledger.last_sequence() == 0
        assert ledger._writer.execute("PRAGMA synchronous") == "2"  # FULL on the writer's own connection


@needs_compiled
def test_a_failed_seal_rolls_the_batch_back(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3", signing_key=Ed25519PrivateKey.generate(), key_id="k1", compiled=True) as led:

        def broken(sequence: int, entry_hash: bytes) -> tuple[str, str, bytes]:
            raise OSError("the signing key is unreadable")

        led._sealed = broken  # type: ignore[method-assign]
        with pytest.raises(OSError, match="unreadable"):
            led.append_batch(_entries()[:1])
        assert led.last_sequence() == 0
        del led._sealed
        assert led.append_batch(_entries()[:1]) == [1]


def test_the_compiled_writer_is_built_where_it_can_be() -> None:
    """With a C compiler and the headers of Python, OpenSSL and SQLite, hatch_build.py must have compiled it."""
    compiler = str(sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = [Path("/usr/include/openssl/sha.h"), Path("/usr/include/sqlite3.h")]
    python_h = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if shutil.which(compiler) is None or not all(header.exists() for header in headers) or not python_h.exists():
        pytest.skip("no C compiler, OpenSSL, SQLite or Python headers here: the Python writer is in use, as designed")
    assert ledger_module._compiled is not None, "src/dancu/gateway/_ledger.c was not compiled: see hatch_build.py"
    assert ledger_module.COMPILED_WRITER, "the compiled writer and Python's sqlite3 do not share one SQLite"
