"""Signed checkpoints: the platform's Ed25519 seal on one entry's hash.

The hash chain alone proves nothing against someone who can write the file: after editing a row they can recompute
every later hash with the public formula. A checkpoint seals the hash of one entry with the platform's ledger key
(not in the file): the signature covers :func:`checkpoint_message`. A rewritten chain no longer matches the sealed
hash, and a forged checkpoint has a bad signature.

When one is written (:func:`checkpoint_due`, applied by the writer inside the transaction of a batch): at the end of
the first batch of a new ledger, then whenever ``checkpoint_every`` entries or ``checkpoint_seconds`` have passed
since the last one; the writer also seals the tail when the gateway is idle and when it stops.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHECKPOINT_DOMAIN = b"dancu-ledger-checkpoint\0"


def checkpoint_message(sequence: int, entry_hash: bytes, sealed_at: str) -> bytes:
    """What a checkpoint's signature covers: ``b"dancu-ledger-checkpoint\\0" || sequence as 8 bytes big-endian ||
    hash || time (UTF-8)``."""
    return CHECKPOINT_DOMAIN + sequence.to_bytes(8, "big") + entry_hash + sealed_at.encode()


def seconds_since(iso_time: str) -> float:
    try:
        then = datetime.fromisoformat(iso_time)
    except (TypeError, ValueError):
        return float("inf")
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()


def check_checkpoint(
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
        key.verify(signature, checkpoint_message(sequence, sealed_hash, sealed_at))
    except (InvalidSignature, UnicodeEncodeError):
        return f"checkpoint at entry {sequence} has a bad signature (the checkpoint was forged or altered)"
    if sealed_hash != entry_hash:
        return (
            f"entry {sequence} does not match its signed checkpoint: some entry from {last_sealed + 1} to {sequence} "
            "was altered and the hash chain recomputed"
        )
    return ""


def last_checkpoint(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """``(sequence, time)`` of the last checkpoint in the file, or ``None``."""
    row = conn.execute("SELECT sequence, time FROM checkpoints ORDER BY sequence DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def checkpoint_due(sealed: tuple[int, str] | None, sequence: int, every: int, seconds: float) -> bool:
    """Whether the tail ending at ``sequence`` must be sealed now, the last checkpoint being ``sealed``."""
    return sealed is None or sequence - sealed[0] >= every or seconds_since(sealed[1]) >= seconds
