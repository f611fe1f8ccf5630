"""Appending to and reading from the event log; consumer offsets."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from dancu.core.ids import uuid7
from dancu.core.processes import stopping
from dancu.events.models import ConsumerOffset, Event

# Taken for the rest of the transaction before an event is appended on PostgreSQL, so that sequence numbers are
# handed out in commit order: without it a consumer could read 11, then see 10 commit late and never read it.
# SQLite serialises writers already (BEGIN IMMEDIATE).
_EVENT_APPEND_LOCK = 0x64616E6375  # "dancu"


def lock_event_log() -> None:
    """Serialise event appends until the end of the current transaction (PostgreSQL only; no-op on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_EVENT_APPEND_LOCK])


def append_event(
    type: str,
    *,
    pin: str,
    effective_date: date,
    actor: str,
    source: str = "",
    payload: dict[str, Any],
    recorded_at: datetime | None = None,
) -> Event:
    """Append one event; must run inside the transaction that makes the change it describes."""
    if not connection.in_atomic_block:
        raise RuntimeError("append_event must be called inside the transaction that makes the change")
    lock_event_log()
    return Event.objects.create(
        event_id=uuid7(),
        type=type,
        pin=pin,
        effective_date=effective_date,
        recorded_at=recorded_at or timezone.now(),
        actor=actor,
        source=source,
        payload=payload,
    )


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A read-only event as consumers see it (plain data, cheap to build)."""

    sequence: int
    event_id: str
    type: str
    pin: str
    effective_date: str
    recorded_at: str
    actor: str
    source: str
    payload: dict[str, Any]


def _as_text(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def read_events(after: int = 0, *, limit: int | None = None, batch_size: int = 5000) -> Iterator[EventRecord]:
    """Events with sequence > ``after``, in order, fetched in pages by primary key (streams any size of log)."""
    table = Event._meta.db_table
    remaining = limit
    position = after
    loads = orjson.loads
    with connection.cursor() as cursor:
        while remaining is None or remaining > 0:
            page = batch_size if remaining is None else min(batch_size, remaining)
            cursor.execute(
                f"SELECT sequence, event_id, type, pin, effective_date, recorded_at, actor, source, payload "
                f"FROM {table} WHERE sequence > %s ORDER BY sequence LIMIT %s",
                [position, page],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            for seq, eid, typ, pin, eff, rec, actor, source, payload in rows:
                yield EventRecord(
                    seq,
                    str(eid),
                    typ,
                    pin,
                    _as_text(eff),
                    _as_text(rec),
                    actor,
                    source,
                    loads(payload) if isinstance(payload, (str, bytes)) else payload,
                )
            position = rows[-1][0]
            if remaining is not None:
                remaining -= len(rows)
            if len(rows) < page:
                return


def last_sequence() -> int:
    value = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    return value or 0


def get_offset(consumer: str) -> int:
    row = ConsumerOffset.objects.filter(consumer=consumer).values_list("sequence", flat=True).first()
    return row or 0


def consume(consumer: str, apply: Callable[[EventRecord], None], *, batch_size: int = 1000) -> int:
    """Apply new events to ``apply`` and advance the consumer's offset in the same transaction, batch by batch.

    A crash between batches re-delivers at most the unfinished batch, which ``apply`` must treat idempotently (keyed
    by ``event_id``) if it writes outside this database. A stop request (SIGTERM in a follower:
    :mod:`dancu.core.processes`) ends the loop after the batch being applied, its offset committed. Returns how many
    events were applied.
    """
    applied = 0
    while not stopping():
        with transaction.atomic():
            offset, _ = ConsumerOffset.objects.select_for_update().get_or_create(consumer=consumer)
            batch = list(read_events(offset.sequence, limit=batch_size, batch_size=batch_size))
            if not batch:
                return applied
            for record in batch:
                apply(record)
            offset.sequence = batch[-1].sequence
            offset.save(update_fields=["sequence", "updated_at"])
            applied += len(batch)
    return applied


def app_consumers() -> dict[str, Callable[[], int]]:
    """Each installed app's event consumer, by app label: the ``follow()`` of its ``consumers`` module (the room
    where an app says what it does when events arrive; CONVENTIONS.md). The event log knows no domain app: they are
    found, not imported by name."""
    found: dict[str, Callable[[], int]] = {}
    for config in apps.get_app_configs():
        name = f"{config.name}.consumers"
        if importlib.util.find_spec(name) is not None:
            found[config.label] = importlib.import_module(name).follow
    return found


def follow_all(labels: list[str] | None = None) -> dict[str, int]:
    """Run each app's consumer once (or only those of ``labels``), in app order; how many events each read."""
    consumers = app_consumers()
    unknown = set(labels or ()) - consumers.keys()
    if unknown:
        raise ValueError(f"no event consumer in app(s): {', '.join(sorted(unknown))}")
    return {label: follow() for label, follow in consumers.items() if labels is None or label in labels}
