"""Keeping the roll-ups: each source read from its own offset, a batch's counts added up in memory and written with
one upsert per table, in the same transaction as the source's new offset (so a crash re-reads at most the batch it
had not committed, and nothing is counted twice). ``rebuild`` empties the roll-ups and reads every source again.

Sources and what they count (metric names are the keys of :data:`dancu.insights.kpis.KPIS`' figures):

- the event log (offset: the events app's consumer ``insights``): ``births_registered`` by the time taken to
  register (detail ``60d``, ``1y``, ``5y``, ``late``), ``cards_issued``, ``deaths``;
- the dossiers' status changes (``transitions``): ``submitted_online`` / ``submitted_counter`` (who submitted),
  ``received``, ``reused`` (a received dossier that re-used data), ``with_fee`` / ``paid_online``, ``processed``
  (approved or refused), ``digitised``, ``results_issued``, ``e_results``;
- the e-ID accounts' security events (``security_events``): ``accounts_registered``, ``accounts_activated``
  (level 2), ``sign_ins``;
- the gateway's access ledger (``ledger``): calls per day, connected system, purpose, operation and outcome.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from dancu.core.processes import stopping
from dancu.events.models import ConsumerOffset, Event
from dancu.insights.models import CommunePopulation, DailyCount, DailyLookup, MonthlyCount, SourceOffset

CONSUMER = "insights"
SOURCES = ("events", "transitions", "security_events", "ledger")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH = 20_000

#: A count key: (day, province, commune, agency, metric, detail).
Key = tuple[dt.date, str, str, str, str, str]
#: A gateway key: (day, system, system kind, purpose, operation, outcome).
LookupKey = tuple[dt.date, str, str, str, str, str]

BIRTH_REGISTERED = "birth.registered"
CARD_ISSUED = "card.issued"
DEATH_RECORDED = "death.recorded"
SECURITY_KINDS = {
    "registered": "accounts_registered",
    "level2_activated": "accounts_activated",
    "signed_in": "sign_ins",
}


def registration_bucket(delay_days: int) -> str:
    """OpenCRVS's windows of birth registration: within the legal 60 days, a year, five years, or later."""
    if delay_days <= 60:
        return "60d"
    if delay_days <= 365:
        return "1y"
    if delay_days <= 5 * 365:
        return "5y"
    return "late"


def local_day(moment: dt.datetime | str) -> dt.date:
    """The day in Vietnam of an aware time (or an ISO 8601 text, ``Z`` for UTC)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM).date()


class _Areas:
    """Commune codes to their province's code, and people (by PIN or id) to their household's commune, asked a
    batch at a time."""

    def __init__(self) -> None:
        self._province_of: dict[str, str] | None = None

    @property
    def province_of(self) -> dict[str, str]:
        """Read once, when a batch first needs it (a follower with nothing new asks nothing)."""
        if self._province_of is None:
            from dancu.geo.models import Commune

            self._province_of = {}
            # Current units last, so a code present in both eras maps to the current province.
            for code, province in Commune.objects.order_by("-era").values_list("code", "province__code"):
                self._province_of[code] = province
        return self._province_of

    def of_pins(self, pins: Iterable[str]) -> dict[str, str]:
        from dancu.registry.models import Person

        wanted = list(set(pins))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 900):
            rows = Person.objects.filter(pin__in=wanted[start : start + 900]).values_list(
                "pin", "household__commune__code"
            )
            found.update((pin, code or "") for pin, code in rows)
        return found


def _add_counts(counts: Counter[Key]) -> None:
    """Add a batch's counts to the daily roll-up and to the monthly one."""
    if not counts:
        return
    months: Counter[Key] = Counter()
    for (day, *rest), value in counts.items():
        months[(day.replace(day=1), *rest)] += value  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        for table, column, rows in (
            (DailyCount._meta.db_table, "day", counts),
            (MonthlyCount._meta.db_table, "month", months),
        ):
            cursor.executemany(
                f"INSERT INTO {table} ({column}, province, commune, agency, metric, detail, value) "
                f"VALUES (%s, %s, %s, %s, %s, %s, %s) "
                f"ON CONFLICT ({column}, commune, agency, metric, detail) "
                f"DO UPDATE SET value = {table}.value + excluded.value",
                [(*key, value) for key, value in rows.items()],
            )


def _add_lookups(counts: Counter[LookupKey]) -> None:
    if not counts:
        return
    table = DailyLookup._meta.db_table
    rows = [(*key, value) for key, value in counts.items()]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (day, system, system_kind, purpose, operation, outcome, value) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (day, system, purpose, operation, outcome) "
            f"DO UPDATE SET value = {table}.value + excluded.value",
            rows,
        )


def _position(source: str) -> SourceOffset:
    row, _ = SourceOffset.objects.select_for_update().get_or_create(source=source)
    return row


# --- the event log ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Event:
    type: str
    pin: str
    effective_date: str
    recorded_at: str
    payload: dict[str, Any]


COUNTED_TYPES = (BIRTH_REGISTERED, CARD_ISSUED, DEATH_RECORDED)


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _event_batch(after: int, batch: int) -> tuple[int, list[_Event]]:
    """The end of the next ``batch`` events after ``after`` (an index-only scan of the primary key), and of those only
    the ones counted here, read whole (most of the log, people registered and moved, is not counted: its payloads are
    never read nor parsed). ``(after, [])`` when nothing is new."""
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX(sequence) FROM "
            f"(SELECT sequence FROM {table} WHERE sequence > %s ORDER BY sequence LIMIT %s) t",
            [after, batch],
        )
        end = cursor.fetchone()[0]
        if end is None:
            return after, []
        marks = ", ".join(["%s"] * len(COUNTED_TYPES))
        cursor.execute(
            f"SELECT type, pin, effective_date, recorded_at, payload FROM {table} "
            f"WHERE sequence > %s AND sequence <= %s AND type IN ({marks}) ORDER BY sequence",
            [after, end, *COUNTED_TYPES],
        )
        rows = [
            _Event(
                kind,
                pin,
                _text(eff),
                _text(rec),
                orjson.loads(payload) if isinstance(payload, (str, bytes)) else payload,
            )
            for kind, pin, eff, rec, payload in cursor.fetchall()
        ]
    return end, rows


def count_events(events: list[Any], areas: _Areas) -> Counter[Key]:
    """The counts of a batch of events (anything with ``type``, ``pin``, ``effective_date``, ``recorded_at`` and
    ``payload``, as :class:`~dancu.events.services.EventRecord`)."""
    counts: Counter[Key] = Counter()
    pins = [e.pin for e in events if e.type in (CARD_ISSUED, DEATH_RECORDED)]
    commune_of = areas.of_pins(pins) if pins else {}
    province_of = areas.province_of if events else {}
    for event in events:
        kind = event.type
        if kind == BIRTH_REGISTERED:
            commune = (event.payload or {}).get("birth_commune") or ""
            recorded = local_day(event.recorded_at)
            delay = (recorded - dt.date.fromisoformat(event.effective_date)).days
            key = (recorded, province_of.get(commune, ""), commune, "", "births_registered", registration_bucket(delay))
            counts[key] += 1
        elif kind == CARD_ISSUED:
            commune = commune_of.get(event.pin, "")
            day = dt.date.fromisoformat(event.effective_date)
            counts[(day, province_of.get(commune, ""), commune, "", "cards_issued", "")] += 1
        elif kind == DEATH_RECORDED:
            commune = commune_of.get(event.pin, "")
            counts[(local_day(event.recorded_at), province_of.get(commune, ""), commune, "", "deaths", "")] += 1
    return counts


def follow_events(areas: _Areas | None = None, batch: int = BATCH) -> int:
    """Count what is new in the event log; returns how many events were read past (counted or not)."""
    applied = 0
    areas = areas or _Areas()
    while not stopping():
        with transaction.atomic():
            offset, _ = ConsumerOffset.objects.select_for_update().get_or_create(consumer=CONSUMER)
            end, events = _event_batch(offset.sequence, batch)
            if end == offset.sequence:
                return applied
            _add_counts(count_events(events, areas))
            applied += end - offset.sequence
            offset.sequence = end
            offset.save(update_fields=["sequence", "updated_at"])
    return applied


# --- the dossiers' status changes -------------------------------------------------------------------------------


def _transition_rows(after: int, batch: int) -> list[dict[str, Any]]:
    from dancu.procedures.models import Attachment, Document, Payment, Reuse, Transition

    paid = Payment.objects.filter(status="paid").filter(
        Q(dossier_id=OuterRef("dossier_id")) | Q(case_id=OuterRef("dossier__case_id"), case_id__isnull=False)
    )
    return list(
        Transition.objects.filter(pk__gt=after)
        .order_by("pk")
        .annotate(
            has_reuse=Exists(Reuse.objects.filter(dossier_id=OuterRef("dossier_id"))),
            has_document=Exists(Document.objects.filter(dossier_id=OuterRef("dossier_id"))),
            has_attachment=Exists(Attachment.objects.filter(dossier_id=OuterRef("dossier_id"))),
            paid_online=Exists(paid),
        )
        .values(
            "pk", "to_status", "actor_kind", "at", "dossier__commune", "dossier__procedure__agency",
            "dossier__procedure__fee_vnd", "dossier__procedure__fee_online_vnd",
            "has_reuse", "has_document", "has_attachment", "paid_online",
        )[:batch]
    )  # fmt: skip


def count_transitions(rows: list[dict[str, Any]], areas: _Areas) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    province_of = areas.province_of
    for row in rows:
        commune = row["dossier__commune"] or ""
        base = (local_day(row["at"]), province_of.get(commune, ""), commune, row["dossier__procedure__agency"] or "")
        to = row["to_status"]
        metrics: list[str] = []
        if to == "submitted":
            metrics.append("submitted_online" if row["actor_kind"] == "citizen" else "submitted_counter")
        elif to == "received":
            metrics.append("received")
            if row["has_reuse"]:
                metrics.append("reused")
            if row["dossier__procedure__fee_vnd"] or row["dossier__procedure__fee_online_vnd"]:
                metrics.append("with_fee")
                if row["paid_online"]:
                    metrics.append("paid_online")
        elif to in ("approved", "rejected"):
            metrics.append("processed")
            if row["has_document"] or row["has_attachment"]:
                metrics.append("digitised")
        elif to == "issued":
            metrics.append("results_issued")
            if row["has_document"]:
                metrics.append("e_results")
        for metric in metrics:
            counts[(*base, metric, "")] += 1
    return counts


def follow_transitions(areas: _Areas | None = None, batch: int = BATCH) -> int:
    applied = 0
    while not stopping():
        with transaction.atomic():
            position = _position("transitions")
            rows = _transition_rows(position.position, batch)
            if not rows:
                return applied
            areas = areas or _Areas()
            _add_counts(count_transitions(rows, areas))
            position.position = rows[-1]["pk"]
            position.save(update_fields=["position", "updated_at"])
            applied += len(rows)
    return applied


# --- the e-ID accounts' security events ---------------------------------------------------------------------------


def follow_security_events(areas: _Areas | None = None, batch: int = BATCH) -> int:
    from dancu.accounts.models import SecurityEvent

    applied = 0
    while not stopping():
        with transaction.atomic():
            position = _position("security_events")
            rows = list(
                SecurityEvent.objects.filter(pk__gt=position.position)
                .order_by("pk")
                .values_list("pk", "kind", "at", "account__person__household__commune__code")[:batch]
            )
            if not rows:
                return applied
            areas = areas or _Areas()
            counts: Counter[Key] = Counter()
            for _pk, kind, at, commune in rows:
                metric = SECURITY_KINDS.get(kind)
                if metric:
                    commune = commune or ""
                    counts[(local_day(at), areas.province_of.get(commune, ""), commune, "", metric, "")] += 1
            _add_counts(counts)
            position.position = rows[-1][0]
            position.save(update_fields=["position", "updated_at"])
            applied += len(rows)
    return applied


# --- the gateway's access ledger ----------------------------------------------------------------------------------


def _ledger_rows(path: Path, after: int, batch: int) -> list[tuple[Any, ...]]:
    if not path.exists():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        return conn.execute(
            "SELECT sequence, time, system, purpose, operation, outcome FROM entries WHERE sequence > ? "
            "ORDER BY sequence LIMIT ?",
            (after, batch),
        ).fetchall()
    except sqlite3.OperationalError:  # a ledger file without its table yet: nothing to read
        return []
    finally:
        conn.close()


def count_ledger(rows: list[tuple[Any, ...]], kinds: dict[str, str]) -> Counter[LookupKey]:
    counts: Counter[LookupKey] = Counter()
    days: dict[str, dt.date] = {}
    for _seq, time, system, purpose, operation, outcome in rows:
        hour = time[:13]  # the day in Vietnam changes on the hour: convert each UTC hour once
        day = days.get(hour)
        if day is None:
            day = days[hour] = local_day(time)
        counts[(day, system[:100], kinds.get(system, ""), purpose[:100], operation[:20], outcome[:60])] += 1
    return counts


def follow_ledger(path: Path | None = None, batch: int = BATCH) -> int:
    from dancu.exchange.models import ConnectedSystem

    path = path or Path(settings.DANCU_LEDGER)
    applied = 0
    kinds: dict[str, str] | None = None
    while not stopping():
        with transaction.atomic():
            position = _position("ledger")
            rows = _ledger_rows(path, position.position, batch)
            if not rows:
                return applied
            if kinds is None:
                kinds = dict(ConnectedSystem.objects.values_list("client_id", "kind"))
            _add_lookups(count_ledger(rows, kinds))
            position.position = rows[-1][0]
            position.save(update_fields=["position", "updated_at"])
            applied += len(rows)
    return applied


# --- population, all sources, rebuild ----------------------------------------------------------------------------


def count_population() -> int:
    """Count the living people of every commune (their household's) again; returns how many communes have some."""
    from dancu.registry.models import Person

    areas = _Areas()
    rows = (
        Person.objects.filter(status="living", household__isnull=False)
        .values_list("household__commune__code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    now = timezone.now()
    with transaction.atomic():
        CommunePopulation.objects.all().delete()
        CommunePopulation.objects.bulk_create(
            CommunePopulation(commune=code, province=areas.province_of.get(code, ""), people=n, counted_at=now)
            for code, n in rows
            if code
        )
    return CommunePopulation.objects.count()


def population_stale(max_age: dt.timedelta = dt.timedelta(hours=1)) -> bool:
    latest = CommunePopulation.objects.order_by("-counted_at").values_list("counted_at", flat=True).first()
    return latest is None or timezone.now() - latest > max_age


def follow_all(ledger: Path | None = None) -> dict[str, int]:
    """Read every source from its offset once; how many rows each gave. The population is counted again when its
    figures are older than an hour."""
    areas = _Areas()
    applied = {
        "events": follow_events(areas),
        "transitions": follow_transitions(areas),
        "security_events": follow_security_events(areas),
        "ledger": follow_ledger(ledger),
    }
    if population_stale():
        count_population()
    return applied


def rebuild(ledger: Path | None = None) -> dict[str, int]:
    """Empty the roll-ups and every source's offset, then read all sources from the start."""
    with transaction.atomic():
        DailyCount.objects.all().delete()
        MonthlyCount.objects.all().delete()
        DailyLookup.objects.all().delete()
        SourceOffset.objects.all().delete()
        ConsumerOffset.objects.filter(consumer=CONSUMER).delete()
    applied = follow_all(ledger)
    count_population()
    return applied
