"""Plain-data views of registry records, shared by the API, the back office and the CLI."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from dancu.core.names import fold_name
from dancu.geo.models import Commune
from dancu.registry.choices import ETHNIC_GROUPS
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence

MAX_SEARCH_RESULTS = 100


def commune_dict(commune: Commune | None) -> dict[str, Any] | None:
    if commune is None:
        return None
    return {
        "code": commune.code,
        "name": commune.name,
        "province_code": commune.province.code,
        "province_name": commune.province.name,
        "era": commune.era,
    }


def person_ref(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"pin": person.pin, "full_name": person.full_name, "birth_date": person.birth_date.isoformat()}


def load_person(pin: str) -> Person:
    return Person.objects.select_related(
        "father",
        "mother",
        "spouse",
        "household__commune__province",
        "birth_commune__province",
        "origin_commune__province",
    ).get(pin=pin)


def person_dict(person: Person) -> dict[str, Any]:
    """The current record of a person, with the links an official needs on one screen."""
    permanent = (
        PermanentResidence.objects.select_related("commune__province")
        .filter(person=person, valid_to__isnull=True)
        .first()
    )
    household = person.household
    return {
        "pin": person.pin,
        "full_name": person.full_name,
        "family_name": person.family_name,
        "middle_name": person.middle_name,
        "given_name": person.given_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "birth_date_precision": person.birth_date_precision,
        "birth_place": commune_dict(person.birth_commune),
        "birth_place_text": person.birth_place_text,
        "place_of_origin": commune_dict(person.origin_commune),
        "ethnicity": {"code": person.ethnicity, "name": ETHNIC_GROUPS.get(person.ethnicity, "")},
        "religion": person.religion,
        "nationality": person.nationality,
        "status": person.status,
        "death_date": person.death_date.isoformat() if person.death_date else None,
        "father": person_ref(person.father),
        "mother": person_ref(person.mother),
        "spouse": person_ref(person.spouse),
        "household": (
            {
                "number": household.number,
                "relationship_to_head": person.relationship_to_head,
                "commune": commune_dict(household.commune),
                "address_line": household.address_line,
            }
            if household
            else None
        ),
        "permanent_residence": residence_dict(permanent) if permanent else None,
        "version": person.version,
        "updated_at": person.updated_at.isoformat(),
    }


def residence_dict(residence: PermanentResidence) -> dict[str, Any]:
    return {
        "commune": commune_dict(residence.commune),
        "address_line": residence.address_line,
        "household": residence.household.number if residence.household_id and residence.household else None,
        "valid_from": residence.valid_from.isoformat(),
        "valid_to": residence.valid_to.isoformat() if residence.valid_to else None,
        "end_reason": residence.end_reason,
    }


def residences_dict(person: Person) -> dict[str, Any]:
    permanent = PermanentResidence.objects.select_related("commune__province", "household").filter(person=person)
    temporary = TemporaryResidence.objects.select_related("commune__province").filter(person=person)
    return {
        "permanent": [residence_dict(r) for r in permanent.order_by("valid_from", "id")],
        "temporary": [
            {
                "id": t.pk,
                "commune": commune_dict(t.commune),
                "address_line": t.address_line,
                "valid_from": t.valid_from.isoformat(),
                "valid_until": t.valid_until.isoformat(),
                "ended_on": t.ended_on.isoformat() if t.ended_on else None,
            }
            for t in temporary.order_by("valid_from", "id")
        ],
    }


def household_dict(household: Household) -> dict[str, Any]:
    members = Person.objects.filter(household=household).order_by("birth_date", "pin")
    return {
        "number": household.number,
        "commune": commune_dict(household.commune),
        "address_line": household.address_line,
        "created_on": household.created_on.isoformat(),
        "head": person_ref(household.head),
        "members": [
            {**(person_ref(m) or {}), "relationship_to_head": m.relationship_to_head, "status": m.status}
            for m in members
        ],
    }


def search_people(
    *, name: str = "", birth_date: date | None = None, commune: str = "", limit: int = 50
) -> list[Person]:
    """People whose name starts with ``name`` (diacritics- and case-insensitive), optionally born on
    ``birth_date`` and living (permanent residence) in ``commune``. A range scan on the folded-name index."""
    query = Person.objects.select_related("household__commune__province")
    folded = fold_name(name) if name else ""
    if folded:
        query = query.filter(name_folded__gte=folded, name_folded__lt=folded + "\uffff")
    if birth_date is not None:
        query = query.filter(birth_date=birth_date)
    if commune:
        query = query.filter(
            Q(permanent_residences__commune__code=commune, permanent_residences__valid_to__isnull=True)
        )
    return list(query.order_by("name_folded", "birth_date", "pin")[: min(limit, MAX_SEARCH_RESULTS)])


def person_summary(person: Person) -> dict[str, Any]:
    household = person.household
    return {
        "pin": person.pin,
        "full_name": person.full_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "status": person.status,
        "commune": commune_dict(household.commune) if household else None,
    }


def event_dict(event: Any) -> dict[str, Any]:
    def text(value: Any) -> str:
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    return {
        "sequence": event.sequence,
        "event_id": str(event.event_id),
        "type": event.type,
        "pin": event.pin,
        "effective_date": text(event.effective_date),
        "recorded_at": text(event.recorded_at),
        "actor": event.actor,
        "source": event.source,
        "payload": event.payload,
    }
