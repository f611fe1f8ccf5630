"""The verification index file answers exactly what the projection's SQLite table answers, and never stale data."""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from dancu.exchange.projector import Projector
from dancu.gateway import projection
from dancu.registry import services
from tests import factories
from tests.fixtures.gateway import Setup

pytestmark = pytest.mark.django_db

SELECT = "SELECT name_h, name_fold_h, dob_h, dob_precision, sex_h, deceased FROM persons WHERE pin_h = ?"


def _rows(path: Path) -> list[tuple[bytes, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT {projection.VERIFY_COLUMNS} FROM persons").fetchall()


def test_the_index_holds_every_person_as_sqlite_does(gateway: Setup) -> None:
    db = projection.connect(gateway.config.projection, readonly=True)
    name = projection.meta(db, "verify_index")
    assert name.startswith(gateway.config.projection.name + ".verify-")
    index = projection.VerifyIndex(gateway.config.projection.parent / name)
    rows = _rows(gateway.config.projection)
    assert index.count == len(rows) >= 2
    for pin_h, *rest in rows:
        assert index.get(pin_h) == tuple(rest) == db.execute(SELECT, (pin_h,)).fetchone()
    assert index.get(os.urandom(16)) is None
    index.close()
    db.close()


def test_many_random_keys_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    db = projection.connect(path)
    people = [
        (os.urandom(16), os.urandom(16), os.urandom(16), os.urandom(16), ("day", "month", "year")[i % 3],
         os.urandom(16), i % 7 == 0, b"", b"", b"", b"")
        for i in range(3000)
    ]  # fmt: skip
    db.executemany("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?,?,?)", people)
    with projection.transaction(db):
        assert projection.write_verify_index(db, tmp_path / "v.idx") == 3000
    index = projection.VerifyIndex(tmp_path / "v.idx")
    for pin_h, name_h, fold_h, dob_h, precision, sex_h, deceased, *_ in people:
        assert index.get(pin_h) == (name_h, fold_h, dob_h, precision, sex_h, int(deceased))
    assert all(index.get(os.urandom(16)) is None for _ in range(1000))
    index.close()
    (tmp_path / "bad.idx").write_bytes(b"not an index")
    with pytest.raises(ValueError, match="not a verification index"):
        projection.VerifyIndex(tmp_path / "bad.idx")


def test_a_person_projected_after_the_index_is_read_from_sqlite_at_once(gateway: Setup) -> None:
    """A death recorded after the index was written: the gateway answers from the projection, not the old file."""
    person = gateway.people["living"]
    body = {"pin": person.pin, "purpose": "kyc-banking", "sex": "F"}
    token = gateway.token()
    assert gateway.call("/v1/verify", body, token).json()["status"] == "living"
    newborn = factories.person(full_name="Trần Thị Bé", sex="F", birth_date=date(2024, 1, 1))
    services.record_death(pin=person.pin, death_date=date(2026, 11, 1), actor="t")
    projector = Projector()
    try:
        projector.catch_up()
        with sqlite3.connect(gateway.config.projection) as db:
            assert db.execute("SELECT COUNT(*) FROM verify_changed").fetchone()[0] == 2
        assert gateway.call("/v1/verify", body, token).json()["status"] == "deceased"
        found = gateway.call("/v1/verify", {"pin": newborn.pin, "purpose": "kyc-banking", "sex": "F"}, token).json()
        assert found["found"] is True and found["attributes"]["sex"] == "match"
        batch = {"purpose": "kyc-banking", "items": [{"pin": person.pin}, {"pin": newborn.pin}]}
        results = gateway.call("/v1/verify/batch", batch, token).json()["results"]
        assert [r["found"] for r in results] == [True, True] and results[0]["status"] == "deceased"

        # A new file once enough people changed: the list empties, older files go, answers stay the same.
        with projection.transaction(projector.db) as db:
            projector._write_verify_index(db)
            projector._write_verify_index(db)
        files = sorted(p.name for p in gateway.config.projection.parent.glob("*.verify-*.idx"))
        assert len(files) == 2
        with sqlite3.connect(gateway.config.projection) as db:
            assert db.execute("SELECT COUNT(*) FROM verify_changed").fetchone()[0] == 0
        assert gateway.call("/v1/verify", body, token).json()["status"] == "deceased"
    finally:
        projector.close()


def test_without_a_usable_index_sqlite_answers(gateway: Setup) -> None:
    with sqlite3.connect(gateway.config.projection) as db:
        name = db.execute("SELECT value FROM meta WHERE key = 'verify_index'").fetchone()[0]
    (gateway.config.projection.parent / name).write_bytes(b"")  # a damaged file: not used
    db = projection.connect(gateway.config.projection, readonly=True)
    reader = projection.PersonReader(db, gateway.config.projection.parent)
    assert reader.index is None
    for pin_h, *rest in _rows(gateway.config.projection):
        assert reader.person(pin_h) == tuple(rest)
    assert set(reader.persons([r[0] for r in _rows(gateway.config.projection)])) == {
        r[0] for r in _rows(gateway.config.projection)
    }
    reader.close()
    db.close()
