"""The projector: keeps the gateway's projection file in step with the registry, from the event log.

Incremental: events after the projection's offset name the people that changed; their current records are
re-projected (idempotent), and the offset moves in the same SQLite transaction as the rows. A rebuild notes the
log's last sequence first, projects everyone, then catches up from that sequence, so nothing committed meanwhile is
missed. The exchange configuration (systems, purposes, grants, consents) is exported on every run.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection

from dancu.core.crypto import Keyring
from dancu.events.services import last_sequence, read_events
from dancu.exchange.models import ConnectedSystem, Consent, Grant, Purpose
from dancu.exchange.rows import compute_in_pool, projection_rows
from dancu.gateway import projection
from dancu.registry.models import Person

_PERSON_SQL = """
SELECT p.pin, p.full_name, p.birth_date, p.birth_date_precision, p.sex, p.status, p.death_date, p.ethnicity,
       p.religion, p.nationality, oc.code, oc.name, op.name, r.address_line, rc.code, rc.name, rp.name
FROM registry_person p
LEFT JOIN geo_commune oc ON oc.id = p.origin_commune_id LEFT JOIN geo_province op ON op.id = oc.province_id
LEFT JOIN registry_permanentresidence r ON r.person_id = p.id AND r.valid_to IS NULL
LEFT JOIN geo_commune rc ON rc.id = r.commune_id LEFT JOIN geo_province rp ON rp.id = rc.province_id
"""


@dataclass(frozen=True)
class ProjectReport:
    people: int
    events: int
    offset: int
    seconds: float
    rebuilt: bool


def projection_path() -> Path:
    return Path(settings.DANCU_GATEWAY_PROJECTION)


def keyring() -> Keyring:
    return Keyring(Path(settings.DANCU_KEYS_DIR))


def _mark(db: sqlite3.Connection, offset: int | None) -> None:
    """Within a write: the new offset (if it moves) and the time of the write."""
    if offset is not None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('offset', ?)", (str(offset),))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('updated_at', ?)", (datetime.now(UTC).isoformat(),))


class Projector:
    def __init__(self, path: Path | None = None, keys: Keyring | None = None) -> None:
        self.path = path or projection_path()
        self.keys = keys or keyring()
        self.db = projection.connect(self.path)

    def close(self) -> None:
        self.db.close()

    # -- rows

    def _rows(self, records: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        return projection_rows(self.keys, records)

    def _write(self, rows: list[tuple[Any, ...]], offset: int | None) -> None:
        """Rows and the new offset in one transaction: a crash never leaves the offset ahead of the rows."""
        with projection.transaction(self.db) as db:
            db.executemany("INSERT OR REPLACE INTO persons VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            _mark(db, offset)

    def offset(self) -> int:
        return int(projection.meta(self.db, "offset", "0"))

    # -- runs

    def rebuild(self, *, batch: int = 10_000, workers: int | None = None) -> ProjectReport:
        """Project every person from nothing, then catch up with the log.

        Rows are loaded into a scratch table and moved into the projection sorted by key in one transaction, so
        the B-tree is written in order (fast) and gateways keep reading the previous projection until the swap.
        """
        started = time.perf_counter()
        start_sequence = last_sequence()
        db = self.db
        db.execute("DROP TABLE IF EXISTS persons_load")
        db.execute("CREATE TABLE persons_load AS SELECT * FROM persons WHERE 0")
        people = 0

        def pages() -> Iterator[list[Sequence[Any]]]:
            last_id = 0
            with connection.cursor() as cursor:
                while True:
                    cursor.execute(
                        _PERSON_SQL.replace("SELECT p.pin", "SELECT p.id, p.pin", 1)
                        + " WHERE p.id > %s ORDER BY p.id LIMIT %s",
                        [last_id, batch],
                    )
                    page = cursor.fetchall()
                    if not page:
                        return
                    last_id = page[-1][0]
                    yield [row[1:] for row in page]

        # Hashing and encryption dominate: on a large registry they run in worker processes, one per core,
        # while this process reads the next pages and writes the finished ones.
        if workers is None:
            workers = (os.cpu_count() or 1) if Person.objects.count() > 50_000 else 1
        for rows in compute_in_pool(self.keys, pages(), workers=workers):
            with projection.transaction(db):
                db.executemany("INSERT INTO persons_load VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            people += len(rows)
        with projection.transaction(db):
            db.execute("DELETE FROM persons")
            db.execute("INSERT INTO persons SELECT * FROM persons_load ORDER BY pin_h")
            _mark(db, start_sequence)
        db.execute("DROP TABLE persons_load")
        report = self.catch_up()
        self.export_config()
        return ProjectReport(people + report.people, report.events, report.offset, time.perf_counter() - started, True)

    def catch_up(self, *, batch: int = 5000) -> ProjectReport:
        """Apply events after the offset: re-project the people they name. Also notes the log's last sequence and
        the time of the run, from which the gateway reports its lag (events behind, seconds since the last run)."""
        started = time.perf_counter()
        people = events = 0
        head = last_sequence()
        offset = self.offset()
        while True:
            page = list(read_events(offset, limit=batch, batch_size=batch))
            if not page:
                break
            pins = sorted({e.pin for e in page if e.pin})
            records: list[Sequence[Any]] = []
            with connection.cursor() as cursor:
                for start in range(0, len(pins), 500):
                    chunk = pins[start : start + 500]
                    cursor.execute(_PERSON_SQL + f" WHERE p.pin IN ({', '.join(['%s'] * len(chunk))})", chunk)
                    records.extend(cursor.fetchall())
            offset = page[-1].sequence
            self._write(self._rows(records), offset)
            people += len(records)
            events += len(page)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('log_sequence', ?)", (str(max(head, offset)),))
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('checked_at', ?)", (datetime.now(UTC).isoformat(),))
        return ProjectReport(people, events, offset, time.perf_counter() - started, False)

    def export_config(self) -> None:
        """Copy systems, purposes, grants and consents into the projection (read by the gateway every second)."""
        systems = [
            (s.client_id, s.organisation, s.name, s.kind, s.status, orjson.dumps(s.jwks).decode())
            for s in ConnectedSystem.objects.all()
        ]
        purposes = [(p.code, p.name, p.legal_basis) for p in Purpose.objects.all()]
        grants = [
            (
                g.system.client_id, g.purpose.code, orjson.dumps(g.operations).decode(),
                orjson.dumps(g.fields).decode(), int(g.status_flag), g.rate_per_second, g.daily_quota,
            )
            for g in Grant.objects.select_related("system", "purpose")
        ]  # fmt: skip
        consents = [
            (bytes.fromhex(c.pin_hmac), c.system.client_id, orjson.dumps(c.fields).decode())
            for c in Consent.objects.select_related("system").filter(revoked_at__isnull=True)
        ]
        fingerprint = orjson.dumps([systems, purposes, grants, [(c[0].hex(), c[1], c[2]) for c in consents]])
        version = hashlib.sha256(fingerprint).hexdigest()[:16]
        if projection.meta(self.db, "config_version") == version:
            return
        with projection.transaction(self.db) as db:
            for table in ("systems", "purposes", "grants", "consents"):
                db.execute(f"DELETE FROM {table}")
            db.executemany("INSERT INTO systems VALUES (?,?,?,?,?,?)", systems)
            db.executemany("INSERT INTO purposes VALUES (?,?,?)", purposes)
            db.executemany("INSERT INTO grants VALUES (?,?,?,?,?,?,?)", grants)
            db.executemany("INSERT INTO consents VALUES (?,?,?)", consents)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('config_version', ?)", (version,))

    def lag(self) -> int:
        return max(0, last_sequence() - self.offset())


def project(*, rebuild: bool = False) -> ProjectReport:
    """One run: rebuild if asked or if the projection is new, else catch up; export the configuration."""
    projector = Projector()
    try:
        if rebuild or projector.offset() == 0:
            return projector.rebuild()
        report = projector.catch_up()
        projector.export_config()
        return report
    finally:
        projector.close()
