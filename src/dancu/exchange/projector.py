"""The projector: keeps the gateway's projection file in step with the registry, from the event log.

Incremental: events after the projection's offset name the people that changed; their current records are
re-projected (idempotent), and the offset moves in the same SQLite transaction as the rows. A rebuild notes the
log's last sequence first, projects everyone, then catches up from that sequence, so nothing committed meanwhile is
missed. The exchange configuration (systems, purposes, grants) is exported on every run, and the consents granted or
revoked since the previous run (:meth:`Projector.sync_consents`).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from dancu.cards import rules as card_rules
from dancu.core.chip.lds import DG13_COMPARED
from dancu.core.crypto import Keyring
from dancu.core.processes import stopping
from dancu.events.services import last_sequence, read_events
from dancu.exchange.models import ConnectedSystem, Consent, Grant, Purpose
from dancu.exchange.rows import SPILL_BUCKETS, RegistrySource, projection_rows, read_spilled, spill_in_pool
from dancu.gateway import projection
from dancu.registry.models import Person

#: Consents stamped this long before a pass are read again by the next one (a consent is stamped when it is written
#: and seen when its transaction commits; clocks of several web servers differ a little).
CONSENT_OVERLAP = timedelta(minutes=2)
#: Persons projected since the verification index was written (read from SQLite meanwhile) before a new one is.
VERIFY_INDEX_REWRITE = 50_000
#: Seconds between full passes over the consents (see :meth:`Projector.sync_consents`).
CONSENT_FULL_SECONDS = 600.0

_PERSON_SQL = """
SELECT p.pin, p.full_name, CAST(p.birth_date AS TEXT), p.birth_date_precision, p.sex, p.status,
       CAST(p.death_date AS TEXT), p.ethnicity,
       p.religion, p.nationality, oc.code, oc.name, op.name, r.address_line, rc.code, rc.name, rp.name
FROM registry_person p
LEFT JOIN geo_commune oc ON oc.id = p.origin_commune_id LEFT JOIN geo_province op ON op.id = oc.province_id
LEFT JOIN registry_permanentresidence r ON r.person_id = p.id AND r.valid_to IS NULL
LEFT JOIN geo_commune rc ON rc.id = r.commune_id LEFT JOIN geo_province rp ON rp.id = rc.province_id
"""


_CARD_SQL = """
SELECT c.id, c.number, CAST(c.issued_on AS TEXT), c.status, CAST(c.expires_on AS TEXT), p.full_name,
       CAST(p.birth_date AS TEXT), p.sex, oc.name, op.name, r.address_line, rc.name, rp.name
FROM cards_identitycard c JOIN registry_person p ON p.id = c.person_id
LEFT JOIN geo_commune oc ON oc.id = p.origin_commune_id LEFT JOIN geo_province op ON op.id = oc.province_id
LEFT JOIN registry_permanentresidence r ON r.person_id = p.id AND r.valid_to IS NULL
LEFT JOIN geo_commune rc ON rc.id = r.commune_id LEFT JOIN geo_province rp ON rp.id = rc.province_id
"""


def card_rows(keys: Keyring, records: Iterable[Sequence[Any]]) -> list[tuple[bytes, bytes, str, str, bytes]]:
    """Projection rows of identity cards for the gateway's chip check: key, HMAC(PIN), status, expiry and the
    HMACs of the DG13 fields the registry knows now (formatted as personalisation writes them)."""
    rows = []
    attribute_hmac = keys.attribute_hmac
    for (_id, number, issued, status, expires, full_name, born, sex, origin, origin_province, line, commune,
         province) in records:  # fmt: skip
        compared = card_rules.dg13_compared(
            full_name=full_name, birth_date=born, sex=sex, origin=(origin, origin_province),
            address=(line, commune, province),
        )  # fmt: skip
        rows.append(
            (
                projection.card_key(attribute_hmac, number, str(issued)[:10]),
                keys.pin_hmac(number),
                status,
                str(expires or "")[:10],
                projection.card_fields_digest(attribute_hmac, number, [compared[n] for n in DG13_COMPARED]),
            )
        )
    return rows


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


_PAGE_SQL = _PERSON_SQL + " WHERE p.id >= %s AND p.id < %s"


def _registry_source() -> RegistrySource | None:
    """How worker processes open the registry's database on their own (``None`` when they cannot: SQLite in
    memory). The same database and credentials as Django's connection."""
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if name.startswith("file:") or name == ":memory:" or not Path(name).is_file():
            return None
        return RegistrySource("sqlite", {"path": name}, _PAGE_SQL)
    if connection.vendor == "postgresql":
        params = {key: value for key, value in connection.get_connection_params().items()
                  if isinstance(value, str | int) and key != "client_encoding"}  # fmt: skip
        if connection.settings_dict.get("PASSWORD"):
            params["password"] = connection.settings_dict["PASSWORD"]
        return RegistrySource("postgresql", params, _PAGE_SQL)
    return None


class _DjangoSource(RegistrySource):
    """Reads through Django's own connection, in this process."""

    def connect(self) -> Any:
        return connection

    def close(self, conn: Any) -> None:
        pass  # Django's connection stays open (and inside the caller's transaction, if any)

    def read(self, conn: Any, first: int, end: int) -> list[Sequence[Any]]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [first, end])
            return list(cursor.fetchall())


def _django_source() -> RegistrySource:
    return _DjangoSource("django", {}, _PAGE_SQL)


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

    def _write(
        self,
        rows: list[tuple[Any, ...]],
        offset: int | None,
        cards: tuple[list[bytes], list[tuple[Any, ...]]] = ([], []),
    ) -> None:
        """Rows (persons; and the cards of the people named, replacing theirs) and the new offset in one
        transaction: a crash never leaves the offset ahead of the rows."""
        with projection.transaction(self.db) as db:
            db.executemany("INSERT OR REPLACE INTO persons VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            db.executemany("INSERT OR IGNORE INTO verify_changed VALUES (?)", [(row[0],) for row in rows])
            db.executemany("DELETE FROM cards WHERE pin_h = ?", [(pin_h,) for pin_h in cards[0]])
            db.executemany("INSERT OR REPLACE INTO cards VALUES (?,?,?,?,?)", cards[1])
            _mark(db, offset)

    def _card_records(self, pins: Sequence[str]) -> list[Sequence[Any]]:
        records: list[Sequence[Any]] = []
        with connection.cursor() as cursor:
            for start in range(0, len(pins), 500):
                chunk = pins[start : start + 500]
                cursor.execute(_CARD_SQL + f" WHERE c.number IN ({', '.join(['%s'] * len(chunk))})", chunk)
                records.extend(cursor.fetchall())
        return records

    def project_all_cards(self, *, batch: int = 20_000) -> int:
        """Every card into the projection (a rebuild), page by page of card ids; the old rows go in the first page's
        transaction, so a gateway never reads an empty table."""
        count = 0
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(_CARD_SQL + " WHERE c.id > %s ORDER BY c.id LIMIT %s", [last, batch])
                records = cursor.fetchall()
            if not records:
                return count
            with projection.transaction(self.db) as db:
                if not last:
                    db.execute("DELETE FROM cards")
                db.executemany("INSERT OR REPLACE INTO cards VALUES (?,?,?,?,?)", card_rows(self.keys, records))
            last = int(records[-1][0])
            count += len(records)

    def offset(self) -> int:
        return int(projection.meta(self.db, "offset", "0"))

    # -- runs

    def rebuild(self, *, batch: int = 10_000, workers: int | None = None) -> ProjectReport:
        """Project every person from nothing, then catch up with the log.

        The rows are computed page by page (in worker processes on a large registry) and spilled into
        :data:`~dancu.exchange.rows.SPILL_BUCKETS` scratch files by the leading bits of their key; each file is then
        sorted in memory and appended to a new table in key order (the B-tree written left to right, and the
        verification index's records made on the way), which is swapped in by renaming, in one short transaction.
        Gateways keep reading the previous projection until the swap.
        """
        started = time.perf_counter()
        start_sequence = last_sequence()
        db = self.db
        people = 0

        low, high = Person.objects.aggregate(low=Min("id"), high=Max("id")).values()
        ranges = [(first, first + batch) for first in range(low or 0, (high or -1) + 1, batch)]
        source = _registry_source()
        # Hashing and encryption dominate: on a large registry they run in worker processes, one per core,
        # each reading its own ranges of person ids.
        if workers is None:
            workers = (os.cpu_count() or 1) if Person.objects.count() > 50_000 else 1
        if workers <= 1 or source is None:  # in this process, on Django's connection (or SQLite in memory)
            workers, source = 1, _django_source()
        generation = int(projection.meta(db, "verify_generation", "0")) + 1
        index_name = f"{self.path.name}.verify-{generation}.idx"
        with tempfile.TemporaryDirectory(prefix=f".{self.path.name}.rebuild-", dir=self.path.parent) as scratch:
            for count in spill_in_pool(self.keys, source, ranges, scratch, workers=workers):
                people += count
            db.execute("DROP TABLE IF EXISTS persons_new")
            db.execute(projection.PERSONS_TABLE.format(name="persons_new"))
            records: list[bytes] = []
            for bucket in range(SPILL_BUCKETS):
                rows = read_spilled(scratch, bucket)
                with projection.transaction(db):
                    db.executemany("INSERT INTO persons_new VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
                records += map(projection.verify_record, (row[:7] for row in rows))
                del rows
        projection.write_verify_records(records, self.path.parent / index_name)
        del records
        with projection.transaction(db):
            db.execute("DROP TABLE IF EXISTS persons_old")
            db.execute("ALTER TABLE persons RENAME TO persons_old")
            db.execute("ALTER TABLE persons_new RENAME TO persons")
            _mark(db, start_sequence)
            self._name_verify_index(db, generation)
        db.execute("DROP TABLE persons_old")
        self.project_all_cards()
        report = self.catch_up()
        self.export_config(full_consents=True)
        return ProjectReport(people + report.people, report.events, report.offset, time.perf_counter() - started, True)

    def catch_up(self, *, batch: int = 5000) -> ProjectReport:
        """Apply events after the offset: re-project the people they name. Also notes the log's last sequence and
        the time of the run, from which the gateway reports its lag (events behind, seconds since the last run)."""
        started = time.perf_counter()
        people = events = 0
        head = last_sequence()
        offset = self.offset()
        while not stopping():  # a stopping projector ends after the page it wrote (with its offset)
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
            cards = ([self.keys.pin_hmac(pin) for pin in pins], card_rows(self.keys, self._card_records(pins)))
            self._write(self._rows(records), offset, cards)
            people += len(records)
            events += len(page)
        changed = int(self.db.execute("SELECT COUNT(*) FROM verify_changed").fetchone()[0])
        if changed > VERIFY_INDEX_REWRITE or not projection.meta(self.db, "verify_index"):
            with projection.transaction(self.db) as db:
                self._write_verify_index(db)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('log_sequence', ?)", (str(max(head, offset)),))
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('checked_at', ?)", (datetime.now(UTC).isoformat(),))
        return ProjectReport(people, events, offset, time.perf_counter() - started, False)

    def _write_verify_index(self, db: sqlite3.Connection) -> None:
        """Within a write transaction: a new verification index file of every person, named in the projection, and
        ``verify_changed`` emptied (see :mod:`dancu.gateway.projection`)."""
        generation = int(projection.meta(db, "verify_generation", "0")) + 1
        projection.write_verify_index(db, self.path.parent / f"{self.path.name}.verify-{generation}.idx")
        self._name_verify_index(db, generation)

    def _name_verify_index(self, db: sqlite3.Connection, generation: int) -> None:
        """Within a write transaction: name the verification index file of ``generation`` (already written) and
        empty ``verify_changed``. Files older than the previous one are removed (a gateway still reading the
        previous one keeps it until it sees the new name)."""
        name = f"{self.path.name}.verify-{generation}.idx"
        db.execute("DELETE FROM verify_changed")
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("verify_index", name), ("verify_generation", str(generation))],
        )
        keep = {name, f"{self.path.name}.verify-{generation - 1}.idx"}
        for old in self.path.parent.glob(f"{glob.escape(self.path.name)}.verify-*.idx*"):
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def export_config(self, *, full_consents: bool = False) -> None:
        """Copy systems, purposes and grants into the projection (read by the gateway every second), and bring its
        consents up to date (:meth:`sync_consents`)."""
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
        # Consents are not part of the version: the gateway reads them per lookup, and a citizen granting or revoking
        # one must not make every worker reload its configuration (and reset its rate buckets).
        version = hashlib.sha256(orjson.dumps([systems, purposes, grants])).hexdigest()[:16]
        if projection.meta(self.db, "config_version") != version:
            with projection.transaction(self.db) as db:
                for table in ("systems", "purposes", "grants"):
                    db.execute(f"DELETE FROM {table}")
                db.executemany("INSERT INTO systems VALUES (?,?,?,?,?,?)", systems)
                db.executemany("INSERT INTO purposes VALUES (?,?,?)", purposes)
                db.executemany("INSERT INTO grants VALUES (?,?,?,?,?,?,?)", grants)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('config_version', ?)", (version,))
        self.sync_consents(full=full_consents)
        for export in _projection_parts():  # other apps' tables of the projection (insurance's hi_*)
            export(self.db, self.keys)

    def sync_consents(self, *, full: bool = False) -> int:
        """Bring the projection's consents up to date; returns the number of (person, system) pairs rewritten.

        Incremental: only the pairs with a consent granted or revoked since the last pass (less
        ``CONSENT_OVERLAP``, so that a consent committed a little after it was stamped is not missed) are read
        again and rewritten. A full pass (every active consent, the table rewritten) runs the first time, when
        ``full`` is asked, and every ``CONSENT_FULL_SECONDS``: it catches what leaves no time stamp behind, a
        consent row deleted (with its system) or its fields edited in place. An ``updated_at`` column on
        ``Consent`` would make those exact too.
        """
        started = timezone.now()
        since_text = projection.meta(self.db, "consents_since")
        full_at_text = projection.meta(self.db, "consents_full_at")
        due = (
            full
            or not since_text
            or not full_at_text
            or (started - datetime.fromisoformat(full_at_text)).total_seconds() >= CONSENT_FULL_SECONDS
        )
        client_ids = dict(ConnectedSystem.objects.values_list("id", "client_id"))
        active = Consent.objects.filter(revoked_at__isnull=True)
        mark = [("consents_since", (started - CONSENT_OVERLAP).isoformat())]
        if due:
            rows = _merged_consents(active.values_list("pin_hmac", "system_id", "fields"), client_ids)
            with projection.transaction(self.db) as db:
                db.execute("DELETE FROM consents")
                db.executemany("INSERT INTO consents VALUES (?,?,?)", rows)
                db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)", [*mark, ("consents_full_at", started.isoformat())]
                )
            return len(rows)
        since = datetime.fromisoformat(since_text)
        changed = set(Consent.objects.filter(updated_at__gte=since).values_list("pin_hmac", "system_id"))
        rows = []
        pins = sorted({pin for pin, _system in changed})
        for start in range(0, len(pins), 500):
            found = active.filter(pin_hmac__in=pins[start : start + 500]).values_list("pin_hmac", "system_id", "fields")
            rows += _merged_consents((c for c in found if (c[0], c[1]) in changed), client_ids)
        gone = [(bytes.fromhex(pin), client_ids[system]) for pin, system in changed if system in client_ids]
        with projection.transaction(self.db) as db:
            db.executemany("DELETE FROM consents WHERE pin_h = ? AND client_id = ?", gone)
            db.executemany("INSERT INTO consents VALUES (?,?,?)", rows)
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", mark)
        return len(changed)

    def lag(self) -> int:
        return max(0, last_sequence() - self.offset())


@functools.cache
def _projection_parts() -> list[Any]:
    """The ``export(db, keys)`` of each installed app's ``projection`` module: found, not imported by name (the
    exchange knows no app that adds tables to the projection); looked up once per process (the installed apps do not
    change)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    names = [f"{config.name}.projection" for config in apps.get_app_configs() if config.name.startswith("dancu.")]
    return [import_module(name).export for name in names if find_spec(name) is not None]


def _merged_consents(
    consents: Iterable[tuple[str, int, Any]], client_ids: dict[int, str]
) -> list[tuple[bytes, str, str]]:
    """Projection rows, one per (person, system): the fields of that pair's active consents together."""
    merged: dict[tuple[str, int], list[str]] = {}
    for pin, system, fields in consents:
        if system not in client_ids:
            continue
        have = merged.setdefault((pin, system), [])
        have.extend(field for field in fields if field not in have)
    return [
        (bytes.fromhex(pin), client_ids[system], orjson.dumps(fields).decode())
        for (pin, system), fields in merged.items()
    ]


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
