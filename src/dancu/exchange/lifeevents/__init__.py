"""Life events (sự kiện hộ tịch, cư trú) pushed to the agencies that subscribed: the published contract, the mapping
from the registry's internal events, and the shaping of each event to what one subscription's grant allows.

- :func:`to_life_events` / :func:`to_life_event`: internal event records -> :class:`LifeEvent` (full field set);
- :func:`matches`: whether a subscription receives a life event (type, province / commune filter, from its start);
- :func:`shape`: the payload one subscription receives (thin by default; validated by the schemas in ``schemas/v1``);
- :func:`people_in`: the PINs whose data a shaped payload carries (each gets an access record).

Used by the webhook fan-out (``exchange.consumers``) and the NATS relay.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings

from dancu.core.crypto import PseudonymKey, pseudonym
from dancu.exchange.lifeevents.contract import (
    ENVELOPE_FIELDS,
    EVENT_TYPES,
    FIELDS,
    INTERNAL,
    TYPES,
    VERSION,
    contract_data,
    fields_of,
)

if TYPE_CHECKING:
    from dancu.exchange.models import Subscription

__all__ = [
    "ENVELOPE_FIELDS",
    "EVENT_TYPES",
    "FIELDS",
    "TYPES",
    "VERSION",
    "LifeEvent",
    "fields_of",
    "load_schema",
    "matches",
    "people_in",
    "pseudonym_of",
    "sent_fields",
    "shape",
    "to_life_event",
    "to_life_events",
]

SCHEMA_DIR = Path(__file__).parent / "schemas" / f"v{VERSION}"


class EventLike(Protocol):
    """An internal event as read from the log (:class:`dancu.events.services.EventRecord` or the model)."""

    sequence: int
    event_id: Any
    type: str
    pin: str
    effective_date: Any
    recorded_at: Any
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LifeEvent:
    """One life event with the contract's full field set (persons as PINs); :func:`shape` cuts it per grant."""

    event_id: str
    type: str
    sequence: int
    effective_date: str
    recorded_at: str
    pin: str
    province: str | None
    commune: str | None
    data: dict[str, Any] = field(default_factory=dict)
    qualifiers: dict[str, str] = field(default_factory=dict)
    version: int = VERSION


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _instant(value: Any) -> str:
    """An RFC 3339 time with its offset (the log stores UTC; SQLite's raw reads give it without the offset)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


@lru_cache(maxsize=8192)
def _province_of(commune: str) -> str | None:
    from dancu.geo.models import Commune, Era

    return Commune.objects.filter(era=Era.CURRENT, code=commune).values_list("province__code", flat=True).first()


def _residences(pins: Iterable[str]) -> dict[str, str]:
    """Current permanent-residence commune code by PIN."""
    from dancu.registry.models import PermanentResidence

    wanted = sorted(set(pins))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = PermanentResidence.objects.filter(
            person__pin__in=wanted[start : start + 500], valid_to__isnull=True
        ).values_list("person__pin", "commune__code")
        found.update(rows)
    return found


def to_life_events(events: Sequence[EventLike]) -> list[LifeEvent]:
    """The life events of these internal events, in order (those that are not life events are left out).

    The person's commune is the one the event names (a residence registered), else their current permanent
    residence, else (a birth not yet given a residence) the commune of birth; the province is that commune's."""
    mapped = [(e, INTERNAL[e.type]) for e in events if e.type in INTERNAL]
    needs_lookup = [e.pin for e, _ in mapped if "commune" not in (e.payload or {})]
    homes = _residences(needs_lookup) if needs_lookup else {}
    result = []
    for event, (contract_type, qualifiers) in mapped:
        payload = event.payload or {}
        commune = payload.get("commune") or homes.get(event.pin) or payload.get("birth_commune")
        if event.type == "residence.permanent.removed":
            commune = homes.get(event.pin) or payload.get("commune")
        result.append(
            LifeEvent(
                event_id=str(uuid.UUID(str(event.event_id))),
                type=contract_type,
                sequence=event.sequence,
                effective_date=_iso(event.effective_date),
                recorded_at=_instant(event.recorded_at),
                pin=event.pin,
                province=_province_of(commune) if commune else None,
                commune=commune,
                data=contract_data(event.type, payload),
                qualifiers=dict(qualifiers),
            )
        )
    return result


def to_life_event(event: EventLike) -> LifeEvent | None:
    """The life event of one internal event, or ``None`` if it is not one (see :data:`contract.INTERNAL`)."""
    found = to_life_events([event])
    return found[0] if found else None


@cache
def _pseudonym_key() -> PseudonymKey:
    return PseudonymKey(Path(settings.DANCU_KEYS_DIR) / "pseudonym-hmac.json")


@lru_cache(maxsize=256)
def _system_key(client_id: str) -> bytes:
    return _pseudonym_key().system_key(client_id)


def pseudonym_of(client_id: str, pin: str) -> str:
    """The pseudonym of ``pin`` for the connected system ``client_id`` (stable; differs from system to system)."""
    return pseudonym(_system_key(client_id), pin)


def matches(life_event: LifeEvent, subscription: Subscription) -> bool:
    """Whether ``subscription`` receives ``life_event``: its type, the person's province / commune, its start.
    (Whether it is active, and its system approved, is the caller's filter.)"""
    if life_event.type not in subscription.event_types:
        return False
    if life_event.sequence <= subscription.start_sequence:
        return False
    if subscription.provinces and life_event.province not in subscription.provinces:
        return False
    return not (subscription.communes and life_event.commune not in subscription.communes)


def _person(client_id: str, pin: str, with_pin: bool) -> dict[str, str]:
    return {"pin": pin} if with_pin else {"pseudonym": pseudonym_of(client_id, pin)}


def shape(life_event: LifeEvent, subscription: Subscription) -> dict[str, Any]:
    """The payload ``subscription`` receives: the thin envelope, plus the fields its grant names (persons by PIN
    only where ``pin`` is granted, otherwise by the system's pseudonym)."""
    granted = set(subscription.fields)
    client_id = subscription.system.client_id
    with_pin = "pin" in granted
    spec = TYPES[life_event.type]
    data: dict[str, Any] = dict(life_event.qualifiers)
    for name, spec_field in spec.fields.items():
        if name not in granted or name not in life_event.data:
            continue
        value = life_event.data[name]
        if spec_field.person and value:
            value = _person(client_id, value, with_pin)
        data[name] = value
    payload: dict[str, Any] = {
        "id": life_event.event_id,
        "type": life_event.type,
        "version": life_event.version,
        "effective_date": life_event.effective_date,
        "recorded_at": life_event.recorded_at,
        "subject": _person(client_id, life_event.pin, with_pin),
    }
    if "province" in granted:
        payload["province"] = life_event.province
    if "commune" in granted:
        payload["commune"] = life_event.commune
    payload["data"] = data
    return payload


def sent_fields(life_event: LifeEvent, subscription: Subscription) -> list[str]:
    """The field names a shaped payload carries about the person (for the access record)."""
    granted = set(subscription.fields)
    names = ["event", *(n for n in ENVELOPE_FIELDS if n in granted)]
    names += [n for n in TYPES[life_event.type].fields if n in granted and n in life_event.data]
    return sorted(set(names))


def people_in(life_event: LifeEvent, subscription: Subscription) -> list[str]:
    """The PINs whose data the shaped payload carries: the subject, and the persons named in granted fields (the
    parents of a birth, the spouse of a marriage). Each gets an access record."""
    granted = set(subscription.fields)
    pins = [life_event.pin]
    for name, spec_field in TYPES[life_event.type].fields.items():
        value = life_event.data.get(name)
        if spec_field.person and name in granted and value and value not in pins:
            pins.append(value)
    return pins


@cache
def load_schema(event_type: str) -> dict[str, Any]:
    """The published JSON Schema of ``event_type`` (version 1), as stored in the repository."""
    if event_type not in TYPES:
        raise KeyError(event_type)
    return json.loads((SCHEMA_DIR / f"{event_type}.json").read_text())
