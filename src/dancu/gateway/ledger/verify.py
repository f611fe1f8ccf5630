"""Offline verification of a ledger file: the chain, the signed checkpoints and the per-person index."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from dancu.gateway.ledger.checkpoints import check_checkpoint
from dancu.gateway.ledger.entry import GENESIS_HASH, chain_hash, encode_items, hash_input
from dancu.gateway.ledger.people import RUN_RECORD, entry_records
from dancu.gateway.ledger.store import ENTRY_COLUMNS, connect_readonly


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


def _fail(entries: int, checkpoints: int, sequence: int, problem: str) -> VerifyReport:
    return VerifyReport(False, entries, checkpoints, sequence, problem)


def verify_ledger(path: Path, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
    """Check a ledger file offline (read-only) and report the first problem in sequence order.

    Checks, for each entry in order: no sequence missing, ``prev_hash`` equal to the previous entry's hash, the hash
    recomputed from the content equal to the stored one; for each checkpoint: a known ``key_id``, a valid signature,
    a sealed hash equal to the entry's hash; and no checkpoint beyond the last entry. ``public_keys`` maps key ids to
    the platform's ledger public keys (all of them, including retired ones). See the package docstring for what cannot
    be detected.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no ledger at {path}")
    conn = connect_readonly(path)
    try:
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
    cursor = conn.execute(f"SELECT {ENTRY_COLUMNS}, prev_hash, hash, items FROM entries ORDER BY sequence")
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
            items_json = encode_items(items) if items else None
            computed = chain_hash(prev_hash, hash_input(sequence, row[1:9], fields, items_json))
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
            run_records += entry_records(sequence, row[5], row[11])
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
            problem = check_checkpoint(sequence, computed, sealed, public_keys, last_sealed)
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
