"""The life-event contract (version 1): the types, their fields, and the mapping from the registry's internal events.

The internal events (``dancu.registry.rules``, ``dancu.cards.rules``, accounts) may change; this contract may not
without a new version. Each type has a JSON Schema (2020-12) under ``schemas/v1/<type>.json``, published in
docs/life-events.md and served at ``/api/life-events/v1/<type>.json``; every shaped payload validates against it.

A payload (what a subscriber receives) is an envelope and the type's ``data``::

    {"id": "<event uuid>", "type": "birth.registered", "version": 1, "effective_date": "2026-12-01",
     "recorded_at": "2026-12-04T13:00:00+00:00", "subject": {"pseudonym": "..."} | {"pin": "..."},
     "province": "01", "commune": "00004", "data": {...}}

``id``, ``type``, ``version``, ``effective_date``, ``recorded_at``, ``subject`` and the type's qualifiers (such as
``change`` of a residence) are always sent (the thin payload); ``province``, ``commune`` and each field of ``data``
only when the subscription's grant names them; ``subject`` and every person in ``data`` (mother, father, spouse)
carry the PIN only with the ``pin`` field granted, otherwise the system's pseudonym of that person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION = 1

BIRTH_REGISTERED = "birth.registered"
DEATH_RECORDED = "death.recorded"
NAME_CHANGED = "name.changed"
MARRIAGE_REGISTERED = "marriage.registered"
RESIDENCE_PERMANENT_CHANGED = "residence.permanent.changed"
RESIDENCE_TEMPORARY_CHANGED = "residence.temporary.changed"
CARD_ISSUED = "card.issued"
CARD_CANCELLED = "card.cancelled"
ACCOUNT_CLOSED = "account.closed"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a type's ``data``: its JSON Schema, and whether it names a person (sent as PIN or pseudonym)."""

    schema: dict[str, Any]
    person: bool = False


_DATE = {"type": "string", "format": "date"}
_TEXT = {"type": "string", "maxLength": 200}
_CODE = {"type": ["string", "null"], "pattern": "^[0-9]{2,5}$"}
_PERSON = FieldSpec({"$ref": "#/$defs/person_ref"}, person=True)


@dataclass(frozen=True)
class TypeSpec:
    """A life-event type: what it means, its always-sent qualifiers, and its grantable fields."""

    description: str
    qualifiers: dict[str, dict[str, Any]]
    fields: dict[str, FieldSpec]


TYPES: dict[str, TypeSpec] = {
    BIRTH_REGISTERED: TypeSpec(
        "A birth was registered (đăng ký khai sinh): the person now exists in the registry.",
        {},
        {
            "full_name": FieldSpec(_TEXT),
            "sex": FieldSpec({"enum": ["M", "F"]}),
            "birth_date": FieldSpec(_DATE),
            "birth_commune": FieldSpec(_CODE),
            "nationality": FieldSpec({"type": "string", "pattern": "^[A-Z]{2}$"}),
            "mother": _PERSON,
            "father": _PERSON,
        },
    ),
    DEATH_RECORDED: TypeSpec(
        "A death was recorded (đăng ký khai tử): pensions, mandates and accounts of the person end.",
        {},
        {"death_date": FieldSpec(_DATE)},
    ),
    NAME_CHANGED: TypeSpec(
        "The person's name changed (thay đổi họ, chữ đệm, tên); the new name.",
        {},
        {"full_name": FieldSpec(_TEXT)},
    ),
    MARRIAGE_REGISTERED: TypeSpec(
        "A marriage was registered (đăng ký kết hôn); one event for each spouse.",
        {},
        {"marriage_date": FieldSpec(_DATE), "spouse": _PERSON},
    ),
    RESIDENCE_PERMANENT_CHANGED: TypeSpec(
        "The person's permanent residence (thường trú) was registered or removed.",
        {"change": {"enum": ["registered", "removed"]}},
        {
            "address_line": FieldSpec(_TEXT),
            "household": FieldSpec({"type": ["string", "null"], "maxLength": 12}),
            "valid_from": FieldSpec(_DATE),
            "valid_to": FieldSpec(_DATE),
        },
    ),
    RESIDENCE_TEMPORARY_CHANGED: TypeSpec(
        "A temporary residence (tạm trú) was registered or ended.",
        {"change": {"enum": ["registered", "ended"]}},
        {
            "address_line": FieldSpec(_TEXT),
            "valid_from": FieldSpec(_DATE),
            "valid_until": FieldSpec(_DATE),
            "ended_on": FieldSpec(_DATE),
        },
    ),
    CARD_ISSUED: TypeSpec(
        "An identity card (thẻ căn cước) was issued; the previous one is replaced.",
        {},
        {"issued_on": FieldSpec(_DATE), "expires_on": FieldSpec({"type": ["string", "null"], "format": "date"})},
    ),
    CARD_CANCELLED: TypeSpec(
        "The person's identity card was cancelled (death, loss).",
        {},
        {"reason": FieldSpec({"type": "string", "maxLength": 60})},
    ),
    ACCOUNT_CLOSED: TypeSpec(
        "The person's e-ID account was closed (its sign-ins and tokens end).",
        {},
        {"reason": FieldSpec({"type": "string", "maxLength": 60})},
    ),
}

EVENT_TYPES: tuple[str, ...] = tuple(TYPES)
#: Envelope fields a grant may add: the person's province and commune (current codes), and ``pin``.
ENVELOPE_FIELDS = ("pin", "province", "commune")
#: Every grantable field name, across types.
FIELDS: tuple[str, ...] = tuple(sorted({*ENVELOPE_FIELDS, *(name for spec in TYPES.values() for name in spec.fields)}))


def fields_of(event_types: list[str] | tuple[str, ...]) -> set[str]:
    """The grantable fields of these types (envelope fields included)."""
    names = set(ENVELOPE_FIELDS)
    for event_type in event_types:
        names.update(TYPES[event_type].fields)
    return names


# --- mapping from internal events ---------------------------------------------------------------------------------

#: Internal event type -> (contract type, qualifiers). Internal types not listed are not life events
#: (``person.registered`` is the initial load, not something that happened to the person).
INTERNAL: dict[str, tuple[str, dict[str, str]]] = {
    "birth.registered": (BIRTH_REGISTERED, {}),
    "death.recorded": (DEATH_RECORDED, {}),
    "name.changed": (NAME_CHANGED, {}),
    "marriage.registered": (MARRIAGE_REGISTERED, {}),
    "residence.permanent.registered": (RESIDENCE_PERMANENT_CHANGED, {"change": "registered"}),
    "residence.permanent.removed": (RESIDENCE_PERMANENT_CHANGED, {"change": "removed"}),
    "residence.temporary.registered": (RESIDENCE_TEMPORARY_CHANGED, {"change": "registered"}),
    "residence.temporary.ended": (RESIDENCE_TEMPORARY_CHANGED, {"change": "ended"}),
    "card.issued": (CARD_ISSUED, {}),
    "card.cancelled": (CARD_CANCELLED, {}),
    "account.closed": (ACCOUNT_CLOSED, {}),
}


def _text(value: Any, limit: int = 200) -> str:
    return str(value or "")[:limit]


def contract_data(internal_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The full field set of the contract type from an internal event's payload (persons as PINs)."""
    p = payload
    match internal_type:
        case "birth.registered":
            return {
                "full_name": _text(p.get("full_name")),
                "sex": p.get("sex"),
                "birth_date": p.get("birth_date"),
                "birth_commune": p.get("birth_commune"),
                "nationality": p.get("nationality") or "VN",
                "mother": p.get("mother"),
                "father": p.get("father"),
            }
        case "death.recorded":
            return {"death_date": p.get("death_date")}
        case "name.changed":
            return {"full_name": _text(p.get("full_name"))}
        case "marriage.registered":
            return {"marriage_date": p.get("marriage_date"), "spouse": p.get("spouse")}
        case "residence.permanent.registered":
            return {
                "address_line": _text(p.get("address_line")),
                "household": p.get("household"),
                "valid_from": p.get("valid_from"),
            }
        case "residence.permanent.removed":
            return {"household": p.get("household"), "valid_to": p.get("valid_to")}
        case "residence.temporary.registered":
            return {
                "address_line": _text(p.get("address_line")),
                "valid_from": p.get("valid_from"),
                "valid_until": p.get("valid_until"),
            }
        case "residence.temporary.ended":
            return {"ended_on": p.get("ended_on")}
        case "card.issued":
            return {"issued_on": p.get("issued_on"), "expires_on": p.get("expires_on")}
        case "card.cancelled" | "account.closed":
            return {"reason": _text(p.get("reason"), 60)}
    return {}


# --- JSON Schemas -------------------------------------------------------------------------------------------------

SCHEMA_BASE = "https://dancu.invalid/life-events/v1/"


def build_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one type's payload. The files under schemas/v1 were written from this and are
    the contract; a test checks that they still agree (a change here without a new version fails it)."""
    spec = TYPES[event_type]
    data_properties: dict[str, Any] = {**spec.qualifiers}
    for name, field in spec.fields.items():
        data_properties[name] = (
            field.schema if not field.person else {"anyOf": [{"$ref": "#/$defs/person_ref"}, {"type": "null"}]}
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{event_type}.json",
        "title": f"{event_type} (life event, version {VERSION})",
        "description": spec.description,
        "type": "object",
        "required": ["id", "type", "version", "effective_date", "recorded_at", "subject", "data"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "Event id; also the webhook-id / Nats-Msg-Id."},
            "type": {"const": event_type},
            "version": {"const": VERSION},
            "effective_date": {"type": "string", "format": "date", "description": "When it took effect."},
            "recorded_at": {"type": "string", "format": "date-time", "description": "When the registry recorded it."},
            "subject": {"$ref": "#/$defs/person_ref"},
            "province": {**_CODE, "description": "Province code of the person (granted field 'province')."},
            "commune": {**_CODE, "description": "Commune code of the person (granted field 'commune')."},
            "data": {
                "type": "object",
                "additionalProperties": False,
                "required": sorted(spec.qualifiers),
                "properties": data_properties,
            },
        },
        "$defs": {
            "person_ref": {
                "description": "A person: the PIN where the grant permits it, otherwise this system's pseudonym.",
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["pin"],
                        "additionalProperties": False,
                        "properties": {"pin": {"type": "string", "pattern": "^[0-9]{12}$"}},
                    },
                    {
                        "type": "object",
                        "required": ["pseudonym"],
                        "additionalProperties": False,
                        "properties": {"pseudonym": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"}},
                    },
                ],
            }
        },
    }
