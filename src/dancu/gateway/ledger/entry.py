"""The entry format of the access ledger: what one call is, how it is checked, and the bytes its hash covers.

Each call to the gateway becomes one :class:`LedgerEntry`, checked once (:func:`check_entry`) when it is queued and
stored as one row of the ``entries`` table (:mod:`.store`). :func:`hash_input` defines the bytes an entry's hash
covers, once, for the writer and the verifier.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

#: The ``prev_hash`` of the first entry.
GENESIS_HASH = bytes(32)
# The reference encoding (what an independent verifier writes with the standard library); orjson gives its bytes.
_STDLIB_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
TIME_FORMAT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class LedgerEntry(NamedTuple):
    """One call to the gateway, as recorded (all text; ``""`` for what is absent). Immutable; a named tuple rather
    than a frozen dataclass because one is made for every call (a frozen dataclass's ``__init__`` sets each field
    through ``object.__setattr__``, four times slower)."""

    time: str  #: ISO 8601 UTC with milliseconds, e.g. ``"2026-11-23T02:00:00.123Z"`` (see :func:`now_iso`)
    system: str  #: connected-system id (``""`` when the caller is unauthenticated)
    purpose: str  #: purpose code (``""`` when absent)
    operation: str  #: ``"verify"``, ``"verify_batch"``, ``"lookup"``, ``"token"``...
    pin_hmac: str  #: hex HMAC of the PIN concerned, ``""`` when none
    fields: tuple[str, ...]  #: attributes compared or returned
    outcome: str  #: ``"ok"``, ``"no_match"``, ``"refused:rate_limited"``, ``"malformed"``...
    request_id: str  #: the request's id, for matching with the gateway's logs
    #: For a batch call: one ``(pin_hmac, fields, outcome)`` per item, in order (hashed with the entry).
    items: tuple[tuple[str, tuple[str, ...], str], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry read back from the ledger, with its sequence number."""

    sequence: int
    time: str
    system: str
    purpose: str
    operation: str
    pin_hmac: str
    fields: tuple[str, ...]
    outcome: str
    request_id: str


_now_cache: list[Any] = [-1, ""]  # [a second since the epoch, its text]: the date and time are formatted once a second


def now_iso() -> str:
    """The current UTC time in the :attr:`LedgerEntry.time` format (``2026-11-23T02:00:00.123Z``)."""
    seconds, millis = divmod(time.time_ns() // 1_000_000, 1000)
    cache = _now_cache
    if seconds != cache[0]:
        cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(seconds))
        cache[0] = seconds
    return f"{cache[1]}{millis:03d}Z"


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, exactly ``json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()``.

    orjson writes these bytes (compact, UTF-8, the same escapes: property-tested), several times faster; for what it
    refuses (lone surrogates, integers beyond 64 bits) the standard library says what is wrong (a lone surrogate
    raises ``UnicodeEncodeError``)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _STDLIB_JSON.encode(value).encode()


def encode_items(items: Iterable[tuple[str, Sequence[str], str]]) -> bytes:
    """A batch entry's items as stored in its ``items`` column and hashed: ``[[pin_hmac,[field,...],outcome],...]``."""
    return encode_json([[pin, list(fields), outcome] for pin, fields, outcome in items])


def hash_input(sequence: int, values: Sequence[Any], fields: Any, items_json: bytes | None) -> bytes:
    """The bytes an entry's hash covers (after the previous entry's hash): the one definition of the entry format,
    used by the writer (:mod:`.writer`) and the verifier (:mod:`.verify`) alike.

    Byte layout: the compact UTF-8 JSON array (no spaces, non-ASCII written as itself, the standard library's
    escapes; see :func:`encode_json`)::

        [sequence,"time","system","purpose","operation","pin_hmac",["field",...],"outcome","request_id"]

    and for a batch entry (one with items) the items array as a tenth element, as stored in the ``items`` column::

        [sequence,...,"request_id",[["pin_hmac",["field",...],"outcome"],...]]

    ``sequence`` is a JSON integer; ``values`` are the eight values after it, of which the sixth (``fields``) is
    replaced by ``fields`` (a list); ``items_json`` is :func:`encode_items` of the items, or ``None`` for an entry
    without items (an empty items list is the same as none). An entry's ``hash`` is
    ``SHA-256(prev_hash || hash_input(...))`` (:func:`chain_hash`); the first entry's ``prev_hash`` is
    :data:`GENESIS_HASH`.
    """
    at, system, purpose, operation, pin_hmac, _, outcome, request_id = values
    head = encode_json([sequence, at, system, purpose, operation, pin_hmac, fields, outcome, request_id])
    if items_json is None:
        return head
    return head[:-1] + b"," + items_json + b"]"  # the items spliced in as the last element: encoded once


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    """An entry's hash: ``SHA-256(prev_hash || canonical)``, ``canonical`` being :func:`hash_input`'s bytes."""
    return hashlib.sha256(prev_hash + canonical).digest()


def check_entry(entry: LedgerEntry) -> None:
    """Raise unless ``entry`` is a :class:`LedgerEntry` whose values are all text (``TypeError``), whose time is
    well formed (``ValueError``) and whose texts are all encodable as UTF-8 (lone surrogates: ``UnicodeEncodeError``).
    This runs for every call the gateway serves: one join in C checks the types, one encode the encoding."""
    if type(entry) is not LedgerEntry:
        raise TypeError(f"expected a LedgerEntry, got {type(entry).__name__}")
    texts: list[Any] = [entry.time, entry.system, entry.purpose, entry.operation, entry.pin_hmac, entry.outcome,
                        entry.request_id, *entry.fields]  # fmt: skip
    for pin, item_fields, outcome in entry.items:
        texts += (pin, *item_fields, outcome)
    try:
        joined = "".join(texts)
    except TypeError:
        wrong = next(text for text in texts if not isinstance(text, str))
        raise TypeError(f"ledger entry values must be str, got {type(wrong).__name__} in {entry!r}") from None
    if not TIME_FORMAT.fullmatch(entry.time):
        raise ValueError(f"ledger entry time must look like 2026-11-23T02:00:00.123Z, got {entry.time!r}")
    joined.encode()


def entry_values(entry: LedgerEntry) -> tuple[str, str, str, str, str, list[str], str, str]:
    """The entry's eight values (``fields`` as a list), for an entry already checked by :func:`check_entry`."""
    return (entry.time, entry.system, entry.purpose, entry.operation, entry.pin_hmac, list(entry.fields),
            entry.outcome, entry.request_id)  # fmt: skip
