"""``dancu relay``'s wiring: the event log to the internal stream (subjects by type and the person's province), and
each subscribing system's deliveries to its own subjects (see :mod:`dancu.exchange.nats.deliveries`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections

from dancu.events.relay import (
    EVENTS_STREAM,
    EVENTS_SUBJECT_PREFIX,
    EventLogSource,
    NatsOptions,
    Source,
    StreamRelay,
    StreamSettings,
    connect,
    events_stream_settings,
    pause,
)
from dancu.events.services import EventRecord

logger = logging.getLogger(__name__)

#: Payload keys that name the commune an event is about (residence events name the new one).
_COMMUNE_KEYS = ("commune",)


class ProvinceResolver:
    """The province of each event's person for the subject: the commune the event names (a residence change),
    else the person's current household at relay time, else the commune of birth; ``00`` when none is known."""

    def __init__(self) -> None:
        from dancu.geo.models import Commune, Era

        self._province_of_commune: dict[str, str] = dict(
            Commune.objects.filter(era=Era.CURRENT).values_list("code", "province__code")
        )

    def __call__(self, records: Sequence[EventRecord]) -> list[str]:
        from dancu.registry.models import Person

        found: list[str | None] = []
        missing: set[str] = set()
        lookup = self._province_of_commune
        for record in records:
            province = None
            for key in _COMMUNE_KEYS:
                code = record.payload.get(key)
                if isinstance(code, str) and code in lookup:
                    province = lookup[code]
                    break
            if province is None and record.pin:
                missing.add(record.pin)
            found.append(province)
        homes: dict[str, str] = {}
        if missing:  # one query for both (a profile showed Django's IN handling per value at a fifth of the relay)
            for pin, home, birth in Person.objects.filter(pin__in=missing).values_list(
                "pin", "household__commune__province__code", "birth_commune__province__code"
            ):
                if home or birth:
                    homes[pin] = home or birth
        return [province or homes.get(record.pin) or "00" for record, province in zip(records, found, strict=True)]


def event_relay(nc: Any, *, batch_size: int = 2000, db: ThreadPoolExecutor | None = None) -> StreamRelay:
    """The internal stream's relay, provinces resolved from the registry."""
    source = EventLogSource(
        prefix=EVENTS_SUBJECT_PREFIX, offset_name=f"nats:{EVENTS_STREAM}", resolve_provinces=ProvinceResolver()
    )
    return StreamRelay(nc, source, events_stream_settings(), batch_size=batch_size, db=db)


def delivery_relays(nc: Any, *, batch_size: int = 2000, db: ThreadPoolExecutor | None = None) -> list[StreamRelay]:
    """The per-system delivery stream's relay, when the subscriptions (exchange.lifeevents) are installed."""
    from dancu.exchange.nats import deliveries

    source: Source | None = deliveries.delivery_source()
    if source is None:
        return []
    settings: StreamSettings = deliveries.deliveries_stream_settings()
    return [StreamRelay(nc, source, settings, batch_size=batch_size, db=db)]


async def run(options: NatsOptions, *, follow: bool, stop: asyncio.Event, batch_size: int = 2000) -> list[StreamRelay]:
    """Connect (waiting for the server if it is not up yet) and run every relay until ``stop``."""
    nc = None
    delay = 0.2
    while nc is None:
        try:
            nc = await connect(options)
        except Exception as error:
            if stop.is_set():
                return []
            logger.warning("relay: cannot reach NATS (%s); retrying", type(error).__name__)
            await pause(stop, delay)
            delay = min(delay * 2, 5.0)
    db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-db")
    loop = asyncio.get_running_loop()
    relays = await loop.run_in_executor(
        db, lambda: [event_relay(nc, batch_size=batch_size, db=db), *delivery_relays(nc, batch_size=batch_size, db=db)]
    )
    try:
        await asyncio.gather(*(relay.run(follow=follow, stop=stop) for relay in relays))
    finally:
        await nc.drain() if nc.is_connected else await nc.close()
        await loop.run_in_executor(db, connections.close_all)  # the database thread's connection
        db.shutdown(wait=True)
    return relays
