"""Social insurance's part of the gateway's projection (``hi_*`` tables, :mod:`dancu.gateway.checkin_schema`):
each participant's current coverage keyed by HMAC(PIN) with HMACs of the name social insurance holds, the facilities
with their connected systems, and the receptionists. Called by the exchange projector on every run
(:func:`dancu.exchange.projector.project`, found by module name): facilities and receptionists are rewritten, the
coverage of participants changed since the previous run (less an overlap) re-projected; the first run projects all.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.db.models import Q

from dancu.core.crypto import Keyring
from dancu.gateway import projection
from dancu.gateway.hashing import AttributeHasher, name_forms
from dancu.insurance.models import CoveragePeriod, HealthFacility, Participant, Receptionist

OVERLAP = timedelta(minutes=2)


def _coverage_rows(hasher: AttributeHasher, participants: Iterable[int]) -> list[tuple[Any, ...]]:
    rows = []
    ids = list(participants)
    for start in range(0, len(ids), 900):
        current: dict[int, CoveragePeriod] = {}
        periods = (
            CoveragePeriod.objects.filter(participant_id__in=ids[start : start + 900])
            .select_related("participant__person", "facility")
            .order_by("participant_id", "valid_from", "id")
        )
        for period in periods:
            current[period.participant_id] = period  # the latest start wins
        for period in current.values():
            participant = period.participant
            pin = participant.person.pin
            normalized, folded = name_forms(participant.full_name)
            rows.append((
                hasher.pin_hmac(pin), hasher.attribute_hmac(pin, "name", normalized),
                hasher.attribute_hmac(pin, "name_folded", folded), period.status, period.valid_to.isoformat(),
                period.benefit_level, period.facility.code, int(period.five_consecutive_years),
            ))  # fmt: skip
    return rows


def export(db: sqlite3.Connection, keys: Keyring) -> int:
    """Bring the projection's health-insurance tables up to date; returns the coverage rows written."""
    hasher = AttributeHasher(keys.hmac_key)
    started = datetime.now(UTC)
    since_text = projection.meta(db, "hi_since")
    if since_text:
        since = datetime.fromisoformat(since_text)
        changed = set(Participant.objects.filter(updated_at__gte=since).values_list("id", flat=True))
        changed |= set(CoveragePeriod.objects.filter(updated_at__gte=since).values_list("participant_id", flat=True))
    else:
        changed = set(Participant.objects.values_list("id", flat=True))
    rows = _coverage_rows(hasher, sorted(changed))
    facilities = [
        (f.code, f.system.client_id if f.system else "", f.name, f.level, f.province_code)
        for f in HealthFacility.objects.select_related("system")
    ]
    receptionists = [
        (r.facility.code, hasher.pin_hmac(r.pin), hasher.attribute_hmac(r.pin, "name", name_forms(r.full_name)[0]))
        for r in Receptionist.objects.filter(active=True).select_related("facility").filter(~Q(pin=""))
    ]
    # The projector calls this on every pass: the reference tables are rewritten only when they changed (as the
    # systems and grants are, by their version), and nothing is written when nothing changed.
    version = hashlib.sha256(orjson.dumps([facilities, receptionists], default=bytes.hex)).hexdigest()[:16]
    reference_changed = projection.meta(db, "hi_reference_version") != version
    if since_text and not rows and not reference_changed:
        return 0
    with projection.transaction(db):
        if not since_text:
            db.execute("DELETE FROM hi_coverage")
        db.executemany("INSERT OR REPLACE INTO hi_coverage VALUES (?,?,?,?,?,?,?,?)", rows)
        if reference_changed:
            db.execute("DELETE FROM hi_facilities")
            db.executemany("INSERT INTO hi_facilities VALUES (?,?,?,?,?)", facilities)
            db.execute("DELETE FROM hi_receptionists")
            db.executemany("INSERT INTO hi_receptionists VALUES (?,?,?)", receptionists)
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("hi_since", (started - OVERLAP).isoformat()), ("hi_reference_version", version)],
        )
    return len(rows)
