"""Witnessed checkpoints: signed statements about the ledger, kept outside the ledger file.

A checkpoint in the file proves the entries up to it, but nothing in the file can prove that entries after the last
checkpoint existed, or that a later checkpoint was not deleted together with the entries it sealed. So every signed
checkpoint, and a signed *tail head* (the last entry's sequence and hash, at least every
``DANCU_LEDGER_WITNESS_SECONDS`` seconds, default 2, while entries are appended), is sent to a witness: by default
an append-only JSON-lines file next to the ledger (``<ledger>.witness.jsonl``, each line written in one ``write``
and fsync'd; ``DANCU_LEDGER_WITNESS`` names another path), or an HTTP endpoint (``DANCU_LEDGER_WITNESS`` set to an
``http(s)://`` URL) that receives each statement as a ``POST`` of its JSON. ``verify_ledger(..., witness=PATH)``
checks the ledger against the statements of a witness file (:func:`check_against`).

A statement, one JSON object per line::

    {"v":1,"kind":"checkpoint"|"tail","ledger":"ledger.sqlite3","sequence":N,"hash":"<hex>","time":"...Z",
     "key_id":"...","signature":"<hex>"}

A checkpoint statement carries the checkpoint row's own signature (:func:`.checkpoints.checkpoint_message`); a tail
head is signed over :func:`tail_message` (another domain, so neither can pass for the other). Statements are sent by
one gateway process at a time (the holder of ``<ledger>.witness.lock``), from its background thread after the entries
are committed, never on an answer's path: one signature every few seconds.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dancu.gateway.ledger.checkpoints import checkpoint_message
from dancu.gateway.ledger.entry import TIME_FORMAT, now_iso
from dancu.gateway.ledger.store import Election

log = logging.getLogger("dancu.gateway.ledger")

TAIL_DOMAIN = b"dancu-ledger-tail\0"
#: Default seconds between two tail heads while entries are appended.
WITNESS_SECONDS = 2.0
HTTP_TIMEOUT_SECONDS = 5.0


def tail_message(sequence: int, entry_hash: bytes, signed_at: str) -> bytes:
    """What a tail head's signature covers: ``b"dancu-ledger-tail\\0" || sequence as 8 bytes big-endian || hash ||
    time (UTF-8)``."""
    return TAIL_DOMAIN + sequence.to_bytes(8, "big") + entry_hash + signed_at.encode()


def statement(
    kind: str, ledger: str, sequence: int, entry_hash: bytes, at: str, key_id: str, signature: bytes
) -> bytes:
    """One statement as a JSON line (with its newline)."""
    body = {"v": 1, "kind": kind, "ledger": ledger, "sequence": sequence, "hash": entry_hash.hex(), "time": at,
            "key_id": key_id, "signature": signature.hex()}  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


class Witness(Protocol):
    """Where statements go; ``send`` raises ``OSError`` when the statement could not be kept."""

    def send(self, line: bytes) -> None: ...

    def describe(self) -> str: ...


class FileWitness:
    """An append-only JSON-lines file: each statement is one ``write`` on an ``O_APPEND`` descriptor, then fsync'd
    (several processes may append to it; whole lines do not interleave)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, line: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def describe(self) -> str:
        return str(self.path)


class HttpWitness:
    """``POST`` of each statement (``application/json``) to a URL; any 2xx answer means it is kept."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("a witness URL starts with http:// or https://")
        self.url = url

    def send(self, line: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(self.url, data=line, method="POST", headers=headers)  # noqa: S310 (http(s))
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310 (configured)
                if not 200 <= response.status < 300:
                    raise OSError(f"the witness answered {response.status}")
        except OSError:
            raise
        except Exception as error:  # http.client errors that are not OSError
            raise OSError(str(error)) from error

    def describe(self) -> str:
        return self.url


def witness_from_env(ledger_path: Path) -> Witness:
    """``DANCU_LEDGER_WITNESS``: a path, or an ``http(s)://`` URL; default ``<ledger>.witness.jsonl``."""
    configured = os.environ.get("DANCU_LEDGER_WITNESS", "").strip()
    if configured.startswith(("http://", "https://")):
        return HttpWitness(configured)
    return FileWitness(Path(configured) if configured else Path(f"{ledger_path}.witness.jsonl"))


def witness_seconds_from_env() -> float:
    """``DANCU_LEDGER_WITNESS_SECONDS``, or :data:`WITNESS_SECONDS` when unset or not a positive number."""
    text = os.environ.get("DANCU_LEDGER_WITNESS_SECONDS", "")
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value > 0:
        return value
    if text:
        log.warning("DANCU_LEDGER_WITNESS_SECONDS=%r is not a positive number: using %s", text, WITNESS_SECONDS)
    return WITNESS_SECONDS


class Signer(Protocol):
    """What the publisher needs of :class:`.writer.Ledger`: the current signing key (it may be rotated)."""

    def signing_key(self) -> tuple[str, Ed25519PrivateKey] | None: ...


class WitnessPublisher:
    """Sends new checkpoints and a tail head to a witness, from a background thread (see the module docstring).

    :meth:`step` is called about once a second with that thread's own connection; it does nothing unless this
    process holds ``<ledger>.witness.lock``. On its first step it sends the last checkpoint again (a witness may
    have missed it while no gateway ran) and then every later one. A statement that cannot be sent is retried at the
    next step; the gateway keeps answering meanwhile (the uncovered tail grows: the log says so).
    """

    def __init__(self, ledger_path: Path, signer: Signer, witness: Witness, *, seconds: float = WITNESS_SECONDS,
                 use_lock: bool = True) -> None:  # fmt: skip
        self.path = Path(ledger_path)
        self.name = self.path.name
        self.signer = signer
        self.witness = witness
        self.seconds = seconds
        self._election = Election(self.path, ".witness.lock", use_lock=use_lock)
        self._sent_checkpoint: int | None = None
        self._sent_tail = 0
        self._next_tail = 0.0
        self._failing = False

    def close(self) -> None:
        self._election.release()

    def step(self, conn: sqlite3.Connection, *, force: bool = False) -> int:
        """Send what is due (with ``force``, the tail head whatever the time); returns the statements sent."""
        if not self._election.held():
            return 0
        try:
            return self._step(conn, force)
        except OSError as error:
            if not self._failing:
                log.warning("access ledger: the witness %s cannot be reached (%s); will retry",
                            self.witness.describe(), type(error).__name__)  # fmt: skip
            self._failing = True
            return 0

    def _step(self, conn: sqlite3.Connection, force: bool) -> int:
        sent = 0
        if self._sent_checkpoint is None:  # resend the last one: a witness may have missed it
            row = conn.execute("SELECT sequence FROM checkpoints ORDER BY sequence DESC LIMIT 1 OFFSET 1").fetchone()
            self._sent_checkpoint = int(row[0]) if row else 0
        rows = conn.execute("SELECT sequence, hash, time, key_id, signature FROM checkpoints WHERE sequence > ? "
                            "ORDER BY sequence", (self._sent_checkpoint,)).fetchall()  # fmt: skip
        for sequence, sealed_hash, at, key_id, signature in rows:
            self.witness.send(statement("checkpoint", self.name, sequence, sealed_hash, at, key_id, signature))
            self._sent_checkpoint = self._sent_tail = max(self._sent_tail, sequence)
            sent += 1
        if force or time.monotonic() >= self._next_tail:
            self._next_tail = time.monotonic() + self.seconds
            row = conn.execute("SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1").fetchone()
            keyed = self.signer.signing_key()
            if row is not None and int(row[0]) > self._sent_tail and keyed is not None:
                sequence, entry_hash = int(row[0]), bytes(row[1])
                key_id, key = keyed
                at = now_iso()
                signature = key.sign(tail_message(sequence, entry_hash, at))
                self.witness.send(statement("tail", self.name, sequence, entry_hash, at, key_id, signature))
                self._sent_tail = sequence
                sent += 1
        if self._failing and sent:
            log.warning("access ledger: the witness %s is reachable again", self.witness.describe())
            self._failing = False
        return sent


# -- checking a ledger against its witness


@dataclass(frozen=True, slots=True)
class Statement:
    line: int
    kind: str
    sequence: int
    hash: bytes
    time: str
    key_id: str
    signature: bytes


class WitnessUnreadable(ValueError):
    """The witness file cannot be read as statements (names the line)."""


def read_statements(path: Path, public_keys: Mapping[str, Ed25519PublicKey]) -> Iterator[Statement]:
    """The statements of a witness file, each checked (shape and signature); raises :class:`WitnessUnreadable` at the
    first line that is not a valid, correctly signed statement. A last line without its newline (a write cut short by
    a crash) is skipped."""
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.endswith(b"\n"):
                return  # torn last write
            yield _parse(number, raw, public_keys)


def _parse(number: int, raw: bytes, public_keys: Mapping[str, Ed25519PublicKey]) -> Statement:
    try:
        body: Any = json.loads(raw)
        kind, sequence, at, key_id = body["kind"], body["sequence"], body["time"], body["key_id"]
        entry_hash, signature = bytes.fromhex(body["hash"]), bytes.fromhex(body["signature"])
        if kind not in ("checkpoint", "tail") or type(sequence) is not int or sequence < 1 or len(entry_hash) != 32:
            raise ValueError("not a statement")
        if not (isinstance(at, str) and TIME_FORMAT.fullmatch(at) and isinstance(key_id, str)):
            raise ValueError("not a statement")
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise WitnessUnreadable(f"witness line {number} is not a statement (the witness file was altered)") from None
    key = public_keys.get(key_id)
    if key is None:
        raise WitnessUnreadable(f"witness line {number} is signed with an unknown key {key_id!r}")
    message = (checkpoint_message if kind == "checkpoint" else tail_message)(sequence, entry_hash, at)
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise WitnessUnreadable(f"witness line {number} has a bad signature (the witness file was altered)") from None
    return Statement(number, kind, sequence, entry_hash, at, key_id, signature)


@dataclass(frozen=True, slots=True)
class WitnessCheck:
    problem: str  #: "" when the ledger agrees with every statement
    first_bad_sequence: int | None
    vouched: int  #: the last entry the witness vouches for (0: none)
    vouched_at: str  #: when that statement was signed
    statements: int


def check_against(conn: sqlite3.Connection, last_entry: int, path: Path,
                  public_keys: Mapping[str, Ed25519PublicKey]) -> WitnessCheck:  # fmt: skip
    """Check the ledger open on ``conn`` (whose chain and checkpoints have verified, up to ``last_entry``) against
    every statement of the witness file at ``path``: each vouched-for entry must be there with the same hash, each
    witnessed checkpoint must still be in the file, unchanged."""
    vouched, vouched_at, count = 0, "", 0
    problems: list[tuple[int, str]] = []
    try:
        for item in read_statements(path, public_keys):
            count += 1
            if item.sequence > vouched:
                vouched, vouched_at = item.sequence, item.time
            problem = _disagreement(conn, last_entry, item)
            if problem:  # a truncation is first seen at the first missing entry
                problems.append((min(item.sequence, last_entry + 1), problem))
    except WitnessUnreadable as error:
        return WitnessCheck(str(error), None, vouched, vouched_at, count)
    except OSError as error:
        return WitnessCheck(f"the witness file cannot be read ({type(error).__name__})", None, 0, "", 0)
    if problems:
        sequence, problem = min(problems)
        return WitnessCheck(problem, sequence, vouched, vouched_at, count)
    return WitnessCheck("", None, vouched, vouched_at, count)


def _disagreement(conn: sqlite3.Connection, last_entry: int, item: Statement) -> str:
    what = "a signed checkpoint" if item.kind == "checkpoint" else "a signed tail head"
    said = f"the witness holds {what} for entry {item.sequence} ({item.time}, line {item.line})"
    if item.sequence > last_entry:
        return (f"{said}, but the ledger ends at entry {last_entry}: entries {last_entry + 1} to {item.sequence} "
                "were removed (the ledger was truncated)")  # fmt: skip
    row = conn.execute("SELECT hash FROM entries WHERE sequence = ?", (item.sequence,)).fetchone()
    if row is None or row[0] != item.hash:
        return (
            f"{said}, and the ledger contradicts it: entry {item.sequence} has another hash (the chain was rewritten)"
        )
    if item.kind == "checkpoint":
        sealed = conn.execute("SELECT hash, time, key_id, signature FROM checkpoints WHERE sequence = ?",
                              (item.sequence,)).fetchone()  # fmt: skip
        expected = (item.hash, item.time.encode(), item.key_id.encode(), item.signature)
        if sealed is None:
            return f"{said}, but the ledger has no checkpoint there (the checkpoint was deleted)"
        if tuple(sealed) != expected:
            return f"{said}, and the ledger's checkpoint at entry {item.sequence} differs (it was replaced)"
    return ""
