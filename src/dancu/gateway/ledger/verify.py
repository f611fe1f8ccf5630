"""Offline verification of a ledger file: the chain, the signed checkpoints and the per-person index."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from dancu.gateway.ledger.checkpoints import check_checkpoint
from dancu.gateway.ledger.entry import GENESIS_HASH, chain_hash, encode_items, hash_input
from dancu.gateway.ledger.people import RUN_RECORD, entry_records
from dancu.gateway.ledger.store import ENTRY_COLUMNS, connect_readonly
from dancu.gateway.ledger.witness import check_against


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify_ledger`."""

    ok: bool
    entries: int  #: rows in the entries table
    checkpoints: int  #: rows in the checkpoints table
    #: Where the first problem is, in sequence order: the edited or out-of-chain entry; the first missing sequence
    #: for a deletion or a truncation; the checkpoint's entry for a bad signature, an unknown key, or a chain rewritten
    #: after an edit (the edit itself lies after the previous checkpoint; the problem sentence gives the range); the
    #: entry a witness statement names when the ledger contradicts it. ``None`` when ok, or when no entry can be named.
    first_bad_sequence: int | None
    problem: str  #: ``""`` when ok; otherwise a sentence naming what is wrong
    last_sealed: int = 0  #: the last entry sealed by a valid signed checkpoint (0: none)
    witnessed: int | None = None  #: the last entry the witness vouches for (``None``: no witness was given)
    witnessed_at: str = ""  #: when the witness's statement about that entry was signed
    statements: int = 0  #: witness statements read
    coverage: str = ""  #: when ok: which entries are not covered by a signature or by the witness


def _fail(entries: int, checkpoints: int, sequence: int | None, problem: str) -> VerifyReport:
    return VerifyReport(False, entries, checkpoints, sequence, problem)


def verify_ledger(
    path: Path, public_keys: Mapping[str, Ed25519PublicKey], *, witness: Path | None = None
) -> VerifyReport:
    """Check a ledger file offline (read-only) and report the first problem in sequence order.

    Checks, for each entry in order: no sequence missing, every column of the type and encoding the writer gives it,
    ``prev_hash`` equal to the previous entry's hash, the hash recomputed from the content equal to the stored one;
    for each checkpoint: a known ``key_id``, a valid signature, a sealed hash equal to the entry's hash; no checkpoint
    beyond the last entry; each run of the per-person index equal to the entries it covers. With ``witness`` (a
    witness file, :mod:`.witness`): every statement in it is correctly signed, every entry it vouches for is in the
    ledger with the same hash, and every checkpoint it holds is still in the file, unchanged. ``public_keys`` maps key
    ids to the platform's ledger public keys (all of them, including retired ones). Anything unreadable in the file
    is reported as a problem, never raised. See the package docstring for what cannot be detected.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no ledger at {path}")
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as error:
        return _fail(0, 0, None, f"the ledger file cannot be opened ({error})")
    try:
        conn.text_factory = bytes  # text is decoded here, so that bytes that are not UTF-8 are reported, not raised
        conn.execute("BEGIN")  # one snapshot for every read, even while gateway workers append
        report = _verify(conn, public_keys)
        if report.ok:
            report = _coverage(conn, report, public_keys, witness)
        return report
    except sqlite3.DatabaseError as error:  # a damaged file, or tables rebuilt out of shape
        return _fail(0, 0, None, f"the ledger file cannot be read as a ledger ({error})")
    finally:
        conn.close()


def _coverage(
    conn: sqlite3.Connection, report: VerifyReport, public_keys: Mapping[str, Ed25519PublicKey], witness: Path | None
) -> VerifyReport:
    """The report of a ledger whose own checks passed, with what is not covered, and checked against ``witness``."""
    last, sealed = _last_entry(conn), report.last_sealed
    if witness is None:
        truncation = "a truncation back to an earlier checkpoint with the later checkpoints deleted"
        if sealed < last:
            coverage = (f"entries {sealed + 1} to {last} come after the last signed checkpoint and are not covered: "
                        f"their removal would not be detected, nor would {truncation} (check with a "
                        "witness)")  # fmt: skip
        else:
            coverage = (f"every entry is sealed by a signed checkpoint, but {truncation} would not be detected (check "
                        "with a witness)")  # fmt: skip
        return replace(report, coverage=coverage)
    check = check_against(conn, last, witness, public_keys)
    if check.problem:
        return replace(report, ok=False, first_bad_sequence=check.first_bad_sequence, problem=check.problem,
                       witnessed=check.vouched, witnessed_at=check.vouched_at, statements=check.statements)  # fmt: skip
    if check.vouched >= last:
        coverage = "the witness vouches for every entry" if last else "the ledger is empty"
    elif check.vouched == 0:
        coverage = f"the witness holds no statement: entries 1 to {last} are not covered by it"
    else:
        coverage = (f"entries {check.vouched + 1} to {last} were appended after the witness's last statement and are "
                    "not covered by it")  # fmt: skip
    return replace(report, witnessed=check.vouched, witnessed_at=check.vouched_at, statements=check.statements,
                   coverage=coverage)  # fmt: skip


def _last_entry(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT MAX(sequence) FROM entries").fetchone()[0] or 0)


#: Each column of an entry row and the type the writer gives it (text as UTF-8).
_ENTRY_NAMES = (*ENTRY_COLUMNS.split(", "), "prev_hash", "hash", "items")
_ENTRY_TYPES = (b"integer", *[b"text"] * 8, b"blob", b"blob", b"text")
_TEXT = (1, 2, 3, 4, 5, 6, 7, 8, 11)
_CHECKPOINT_NAMES = ("sequence", "hash", "time", "key_id", "signature")
_CHECKPOINT_TYPES = (b"integer", b"blob", b"text", b"text", b"blob")


def _typed(names: tuple[str, ...]) -> str:
    return ", ".join(names) + ", " + ", ".join(f"typeof({name})" for name in names)


def _entry_problem(sequence: int, row: tuple[Any, ...], types: tuple[Any, ...]) -> tuple[list[Any], str]:
    """The row with its text decoded, or a sentence saying which column of entry ``sequence`` is not as written."""
    for index, (found, wanted) in enumerate(zip(types, _ENTRY_TYPES, strict=True)):
        if found != wanted:
            return (
                [],
                f"entry {sequence} was edited: its {_ENTRY_NAMES[index]} is {found.decode()}, not {wanted.decode()}",
            )
    values = list(row)
    for index in _TEXT:
        try:
            values[index] = row[index].decode()
        except UnicodeDecodeError:
            return [], f"entry {sequence} was edited: its {_ENTRY_NAMES[index]} is not UTF-8 text"
    if len(row[9]) != 32 or len(row[10]) != 32:
        return [], f"entry {sequence} was edited: a hash is not 32 bytes long"
    return values, ""


def _read_checkpoints(conn: sqlite3.Connection) -> tuple[dict[int, tuple[Any, ...] | str], str]:
    """The checkpoint rows by sequence, each as ``(hash, time, key_id, signature)`` or a sentence saying what is wrong
    with it; and a sentence for a row whose sequence is not even a number."""
    checkpoints: dict[int, tuple[Any, ...] | str] = {}
    for raw in conn.execute(f"SELECT {_typed(_CHECKPOINT_NAMES)} FROM checkpoints"):
        row, types = raw[:5], raw[5:]
        sequence = row[0]
        if type(sequence) is not int:
            return checkpoints, f"a checkpoint row has an invalid sequence ({types[0].decode()}): it was altered"
        wrong = [name for name, found, wanted in zip(_CHECKPOINT_NAMES, types, _CHECKPOINT_TYPES, strict=True)
                 if found != wanted]  # fmt: skip
        if wrong:
            checkpoints[sequence] = f"checkpoint at entry {sequence} was altered: its {wrong[0]} has the wrong type"
            continue
        try:
            checkpoints[sequence] = (row[1], row[2].decode(), row[3].decode(), row[4])
        except UnicodeDecodeError:
            checkpoints[sequence] = f"checkpoint at entry {sequence} was altered: its time or key id is not UTF-8"
    return checkpoints, ""


def _verify(conn: sqlite3.Connection, public_keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
    tables = {bytes(r[0]).decode() for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"entries", "checkpoints"} <= tables:
        return VerifyReport(
            False, 0, 0, None, "this is not an access ledger: the entries or checkpoints table is missing"
        )
    n_entries = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    checkpoints, unreadable = _read_checkpoints(conn)
    n_checkpoints = int(conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])
    if unreadable:
        return _fail(n_entries, n_checkpoints, None, unreadable)
    if checkpoints and min(checkpoints) < 1:
        first = min(checkpoints)
        return _fail(n_entries, n_checkpoints, first, f"checkpoint at sequence {first} seals no entry")

    expected = 1
    prev_hash = GENESIS_HASH
    last_sealed = 0
    cursor = conn.execute(f"SELECT {_typed(_ENTRY_NAMES)} FROM entries ORDER BY sequence")
    runs, run_problem = _read_runs(conn) if "person_runs" in tables else ([], "")
    if run_problem:
        return _fail(n_entries, n_checkpoints, None, run_problem)
    run_at = 0  # the run covering the current entry is runs[run_at]
    run_records: list[bytes] = []
    for raw in cursor:
        row, types = raw[:12], raw[12:]
        sequence = row[0]
        if type(sequence) is not int:
            return _fail(n_entries, n_checkpoints, expected,
                         f"entry {expected} was edited: its sequence is {types[0].decode()}, not integer")  # fmt: skip
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
        values, problem = _entry_problem(sequence, row, types)
        if problem:
            return _fail(n_entries, n_checkpoints, sequence, problem)
        if values[9] != prev_hash:
            before = "the genesis hash (32 zero bytes)" if sequence == 1 else f"the hash of entry {sequence - 1}"
            return _fail(
                n_entries,
                n_checkpoints,
                sequence,
                f"entry {sequence} is out of chain: its prev_hash is not {before} "
                "(entries reordered or replaced, or an entry deleted and the rest renumbered)",
            )
        try:
            fields = json.loads(values[6])
            if not isinstance(fields, list):
                raise TypeError("fields is not a list")
            items = json.loads(values[11]) if values[11] else []
            items_json = encode_items(items) if items else None
            computed = chain_hash(prev_hash, hash_input(sequence, values[1:9], fields, items_json))
        except (TypeError, ValueError, RecursionError):
            computed = b""
        if computed != values[10]:
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
            run_records += entry_records(sequence, values[5], values[11])
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
            problem = sealed if isinstance(sealed, str) else check_checkpoint(
                sequence, computed, sealed, public_keys, last_sealed
            )  # fmt: skip
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
    return VerifyReport(True, n_entries, n_checkpoints, None, "", last_sealed=last_sealed)


def _read_runs(conn: sqlite3.Connection) -> tuple[list[tuple[int, int]], str]:
    runs = []
    for first, last, types in conn.execute(
        "SELECT first, last, typeof(first) || typeof(last) || typeof(records) FROM person_runs ORDER BY first"
    ):
        if types != b"integerintegerblob":
            return [], "the per-person index was altered: a run has a value of the wrong type"
        runs.append((first, last))
    return runs, ""


def _check_run(conn: sqlite3.Connection, first: int, expected: list[bytes]) -> int | None:
    """The first entry whose records differ between a stored run and ``expected`` (``None`` when they agree)."""
    row = conn.execute("SELECT records FROM person_runs WHERE first = ?", (first,)).fetchone()
    stored = row[0] if row is not None and isinstance(row[0], bytes) else b""
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
