"""Projection rows: the HMACs and per-class ciphertexts of one person (no Django: runs in worker processes)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from dancu.core.crypto import Keyring
from dancu.core.names import fold_name, normalize_name
from dancu.registry.choices import ETHNIC_GROUPS  # plain data; importing it needs no Django settings


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value.isoformat())


def _dob_at_precision(born: str, precision: str) -> str:
    return born[:4] if precision == "year" else born[:7] if precision == "month" else born


def projection_rows(keys: Keyring, records: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    dumps = orjson.dumps
    encrypt = keys.encrypt
    rows = []
    records = list(records)
    nonces = os.urandom(48 * len(records))  # four 12-byte GCM nonces per person, drawn in one call
    for index, (pin, full_name, born, precision, sex, status, died, ethnicity, religion, nationality, origin_code,
         origin_name, origin_province, address, commune_code, commune_name, province_name,
         ) in enumerate(records):  # fmt: skip
        born_text = _text(born) or ""
        pin_h = keys.pin_hmac(pin)
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
        rows.append(
            (
                pin_h,
                keys.attribute_hmac(pin, "name", normalize_name(full_name)),
                keys.attribute_hmac(pin, "name_folded", fold_name(full_name)),
                keys.attribute_hmac(pin, "birth_date", _dob_at_precision(born_text, precision)),
                precision,
                keys.attribute_hmac(pin, "sex", sex),
                1 if status == "deceased" else 0,
                encrypt("identity", pin_h, dumps(identity), nonces[48 * index : 48 * index + 12]),
                encrypt("status", pin_h, dumps(state), nonces[48 * index + 12 : 48 * index + 24]),
                encrypt("residence", pin_h, dumps(residence), nonces[48 * index + 24 : 48 * index + 36]),
                encrypt("origin", pin_h, dumps(origin), nonces[48 * index + 36 : 48 * index + 48]),
            )
        )
    return rows


_WORKER_KEYS: Keyring | None = None


def _init_worker(keys_dir: str) -> None:
    global _WORKER_KEYS
    _WORKER_KEYS = Keyring(Path(keys_dir), create=False)


def _compute(records: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
    assert _WORKER_KEYS is not None
    return projection_rows(_WORKER_KEYS, records)


def compute_in_pool(
    keys: Keyring, pages: Iterator[list[Sequence[Any]]], *, workers: int, in_flight: int = 4
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows for each page, in order; with ``workers`` > 1 computed in that many spawned processes."""
    if workers <= 1:
        for page in pages:
            yield projection_rows(keys, page)
        return
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker,
        initargs=(str(keys.directory),),
    ) as pool:  # fmt: skip
        queue: list[Future[list[tuple[Any, ...]]]] = []
        for page in pages:
            queue.append(pool.submit(_compute, page))
            if len(queue) >= in_flight:
                yield queue.pop(0).result()
        for future in queue:
            yield future.result()


__all__ = ["compute_in_pool", "projection_rows"]
