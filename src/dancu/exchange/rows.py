"""Projection rows: the HMACs and per-class ciphertexts of one person (no Django: runs in worker processes)."""

from __future__ import annotations

import marshal
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from dancu.core.crypto import Keyring
from dancu.gateway.hashing import AttributeHasher, name_forms
from dancu.registry.choices import ETHNIC_GROUPS  # plain data; importing it needs no Django settings


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value.isoformat())


def _dob_at_precision(born: str, precision: str) -> str:
    return born[:4] if precision == "year" else born[:7] if precision == "month" else born


def projection_rows(keys: Keyring, records: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The projection row of each registry record (see ``projector._PERSON_SQL`` for the columns).

    The HMACs come from :class:`~dancu.gateway.hashing.AttributeHasher` and the name forms from
    :func:`~dancu.gateway.hashing.name_forms` (the same bytes as :class:`~dancu.core.crypto.Keyring` and
    :mod:`dancu.core.names`, property-tested, at a third of the cost); each field class is sealed as
    :meth:`Keyring.encrypt` does, with its cipher and prefix looked up once per call rather than once per field."""
    dumps = orjson.dumps
    hasher = AttributeHasher(keys.hmac_key)
    digest = hasher.digest
    sealers = [keys.sealer(field_class) for field_class in ("identity", "status", "residence", "origin")]
    (
        (seal_identity, identity_aad),
        (seal_status, status_aad),
        (seal_residence, residence_aad),
        (seal_origin, origin_aad),
    ) = sealers
    rows = []
    records = list(records)
    nonces = os.urandom(48 * len(records))  # four 12-byte GCM nonces per person, drawn in one call
    for index, (pin, full_name, born, precision, sex, status, died, ethnicity, religion, nationality, origin_code,
         origin_name, origin_province, address, commune_code, commune_name, province_name,
         ) in enumerate(records):  # fmt: skip
        born_text = _text(born) or ""
        pin_h = digest(b"pin\0" + pin.encode())
        identity = {"full_name": full_name, "birth_date": born_text, "sex": sex}
        state = {"status": status, "death_date": _text(died)}
        residence = {
            "permanent_address": address,
            "permanent_commune": (
                {"code": commune_code, "name": commune_name, "province": province_name} if commune_code else None
            ),
        }
        origin = {
            "place_of_origin": (
                {"code": origin_code, "name": origin_name, "province": origin_province} if origin_code else None
            ),
            "ethnicity": ETHNIC_GROUPS.get(ethnicity, ""),
            "religion": religion,
            "nationality": nationality,
        }
        normalized, folded = name_forms(full_name)
        at = 48 * index
        rows.append(
            (
                pin_h,
                digest(f"name\0{pin}\0{normalized}".encode()),
                digest(f"name_folded\0{pin}\0{folded}".encode()),
                digest(f"birth_date\0{pin}\0{_dob_at_precision(born_text, precision)}".encode()),
                precision,
                digest(f"sex\0{pin}\0{sex}".encode()),
                1 if status == "deceased" else 0,
                seal_identity(nonces[at : at + 12], dumps(identity), pin_h + identity_aad),
                seal_status(nonces[at + 12 : at + 24], dumps(state), pin_h + status_aad),
                seal_residence(nonces[at + 24 : at + 36], dumps(residence), pin_h + residence_aad),
                seal_origin(nonces[at + 36 : at + 48], dumps(origin), pin_h + origin_aad),
            )
        )
    return rows


_WORKER_KEYS: Keyring | None = None


@dataclass(frozen=True)
class RegistrySource:
    """How a worker process opens the registry's database itself (plain DB-API, no Django) and the query that
    reads one page of persons (``%s`` placeholders: the first id, the id after the last)."""

    vendor: str  #: "sqlite" (params: {"path": ...}) or "postgresql" (params: psycopg's keyword arguments)
    params: dict[str, Any]
    sql: str

    def connect(self) -> Any:
        if self.vendor == "sqlite":
            return sqlite3.connect(f"{Path(self.params['path']).resolve().as_uri()}?mode=ro", uri=True)
        import psycopg

        return psycopg.connect(**self.params, autocommit=True)

    def close(self, conn: Any) -> None:
        conn.close()

    def read(self, conn: Any, first: int, end: int) -> list[Sequence[Any]]:
        sql = self.sql.replace("%s", "?") if self.vendor == "sqlite" else self.sql
        cursor = conn.cursor()
        try:
            cursor.execute(sql, (first, end))
            return list(cursor.fetchall())
        finally:
            cursor.close()


_WORKER_SOURCE: tuple[RegistrySource, Any] | None = None


def _init_worker(keys_dir: str, source: RegistrySource | None = None) -> None:
    global _WORKER_KEYS, _WORKER_SOURCE
    _WORKER_KEYS = Keyring(Path(keys_dir), create=False)
    if source is not None:
        _WORKER_SOURCE = (source, source.connect())


#: A rebuild spills rows into this many files by the leading bits of their key, each later sorted in memory.
SPILL_BUCKETS = 16


def spill(rows: list[tuple[Any, ...]], directory: str) -> int:
    """Append ``rows`` to the spill files under ``directory`` (``NN-<pid>``: bucket NN of :data:`SPILL_BUCKETS` by
    the key's leading bits, one file per process) as marshalled lists; returns their number."""
    shift = 8 - (SPILL_BUCKETS.bit_length() - 1)
    buckets: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        buckets.setdefault(row[0][0] >> shift, []).append(row)
    for bucket, chunk in buckets.items():
        data = marshal.dumps(chunk)
        with open(os.path.join(directory, f"{bucket:02x}-{os.getpid()}"), "ab") as out:
            out.write(len(data).to_bytes(8, "little") + data)  # length-prefixed: read back from memory, not the file
    return len(rows)


def read_spilled(directory: str, bucket: int) -> list[tuple[Any, ...]]:
    """Every row spilled into ``bucket``, sorted by key."""
    rows: list[tuple[Any, ...]] = []
    for path in sorted(Path(directory).glob(f"{bucket:02x}-*")):
        data = memoryview(path.read_bytes())
        at = 0
        while at < len(data):
            size = int.from_bytes(data[at : at + 8], "little")
            rows += marshal.loads(data[at + 8 : at + 8 + size])  # noqa: S302 (our own scratch files, just written)
            at += 8 + size
    rows.sort(key=itemgetter(0))
    return rows


def _read_compute_and_spill(first: int, end: int, directory: str) -> int:
    assert _WORKER_KEYS is not None and _WORKER_SOURCE is not None
    source, conn = _WORKER_SOURCE
    return spill(projection_rows(_WORKER_KEYS, source.read(conn, first, end)), directory)


def spill_in_pool(
    keys: Keyring, source: RegistrySource, ranges: Iterable[tuple[int, int]], directory: str, *, workers: int,
    in_flight: int = 4,
) -> Iterator[int]:  # fmt: skip
    """Read each range of person ids, compute its rows and spill them (:func:`spill`); yields the number of rows of
    each range. With ``workers`` > 1, that many spawned processes each read the registry themselves (through
    ``source``), so that the pages are not read here and sent over."""
    if workers <= 1:
        conn = source.connect()
        try:
            for first, end in ranges:
                yield spill(projection_rows(keys, source.read(conn, first, end)), directory)
        finally:
            source.close(conn)
        return
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker,
        initargs=(str(keys.directory), source),
    ) as pool:  # fmt: skip
        queue: list[Future[int]] = []
        for first, end in ranges:
            queue.append(pool.submit(_read_compute_and_spill, first, end, directory))
            if len(queue) >= in_flight:
                yield queue.pop(0).result()
        for future in queue:
            yield future.result()


__all__ = [
    "SPILL_BUCKETS",
    "RegistrySource",
    "projection_rows",
    "read_spilled",
    "spill",
    "spill_in_pool",
]
