"""A rebuild in worker processes that read the registry themselves gives the same projection as one in process."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from dancu.core.crypto import Keyring
from dancu.exchange.projector import Projector
from dancu.gateway import projection
from tests import factories

# Committed data: worker processes read the registry through their own connections (on SQLite in memory the
# rebuild falls back to this process; on PostgreSQL the workers really read it).
pytestmark = pytest.mark.django_db(transaction=True)


def _content(path: Path, keys: Keyring) -> dict[bytes, tuple[Any, ...]]:
    """Every person of a projection: the HMAC columns, and the decrypted field classes (the nonces differ)."""
    classes = ("identity", "status", "residence", "origin")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM persons").fetchall()
    found = {}
    for row in rows:
        decrypted = (orjson.loads(keys.decrypt(c, row[0], blob)) for c, blob in zip(classes, row[7:], strict=True))
        found[row[0]] = (*row[1:7], *decrypted)
    return found


def test_rebuild_in_workers_equals_rebuild_in_process(tmp_path: Path, settings: Any) -> None:
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    people = [factories.person() for _ in range(40)]
    keys = Keyring(tmp_path / "keys")
    built = {}
    for workers in (1, 2):
        path = tmp_path / f"projection-{workers}.sqlite3"
        projector = Projector(path, keys)
        try:
            report = projector.rebuild(batch=7, workers=workers)  # several pages, several spill files
            again = projector.rebuild(batch=7, workers=workers)  # over an existing projection: swapped, not added
        finally:
            projector.close()
        assert report.people == again.people == len(people)
        built[workers] = _content(path, keys)
        with sqlite3.connect(path) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            index_name = projection.meta(db, "verify_index")
        assert not tables & {"persons_new", "persons_old"}
        assert sorted(p.name for p in tmp_path.iterdir() if "rebuild" in p.name) == []  # the scratch files are gone
        index = projection.VerifyIndex(tmp_path / index_name)
        try:
            assert index.count == len(people)
            for pin_h, row in built[workers].items():
                assert index.get(pin_h) == row[:6]
        finally:
            index.close()
    assert built[1] == built[2]
    assert set(built[1]) == {keys.pin_hmac(person.pin) for person in people}
