"""Plain-data views of registry records, shared by the API, the back office and the CLI."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat

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
    return {
        "id": person.pk,  # for links in the back office: URLs carry this surrogate key, never a PIN
        "pin": person.pin,
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat(),
    }


def people_with_links() -> QuerySet[Person]:
    """People with what their record shows in the same query (parents, spouse, household, places)."""
    return Person.objects.select_related(
        "father",
        "mother",
        "spouse",
        "household__commune__province",
        "birth_commune__province",
        "origin_commune__province",
    )


def load_person(pin: str) -> Person:
    return people_with_links().get(pin=pin)


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


_COMMUNE_COLUMNS = "{a}.code, {a}.name, {p}.code, {p}.name, {a}.era"
_PERSON_RECORD_SQL = f"""
SELECT p.pin, p.full_name, p.family_name, p.middle_name, p.given_name, p.sex, p.birth_date, p.birth_date_precision,
       p.birth_place_text, p.ethnicity, p.religion, p.nationality, p.status, p.death_date, p.relationship_to_head,
       p.version, p.updated_at,
       {_COMMUNE_COLUMNS.format(a="bc", p="bp")},
       {_COMMUNE_COLUMNS.format(a="oc", p="op")},
       f.id, f.pin, f.full_name, f.birth_date, m.id, m.pin, m.full_name, m.birth_date,
       s.id, s.pin, s.full_name, s.birth_date,
       h.number, h.address_line, {_COMMUNE_COLUMNS.format(a="hc", p="hp")},
       r.address_line, r.valid_from, r.valid_to, r.end_reason, rh.number, {_COMMUNE_COLUMNS.format(a="rc", p="rp")}
FROM registry_person p
LEFT JOIN geo_commune bc ON bc.id = p.birth_commune_id LEFT JOIN geo_province bp ON bp.id = bc.province_id
LEFT JOIN geo_commune oc ON oc.id = p.origin_commune_id LEFT JOIN geo_province op ON op.id = oc.province_id
LEFT JOIN registry_person f ON f.id = p.father_id
LEFT JOIN registry_person m ON m.id = p.mother_id
LEFT JOIN registry_person s ON s.id = p.spouse_id
LEFT JOIN registry_household h ON h.id = p.household_id
LEFT JOIN geo_commune hc ON hc.id = h.commune_id LEFT JOIN geo_province hp ON hp.id = hc.province_id
LEFT JOIN registry_permanentresidence r ON r.person_id = p.id AND r.valid_to IS NULL
LEFT JOIN registry_household rh ON rh.id = r.household_id
LEFT JOIN geo_commune rc ON rc.id = r.commune_id LEFT JOIN geo_province rp ON rp.id = rc.province_id
WHERE p.pin = %s
"""


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value.isoformat())


def _iso_datetime(value: Any) -> str:
    """ISO 8601 with offset; SQLite hands back naive UTC datetimes (or text), PostgreSQL aware ones."""
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.isoformat())


def person_record(pin: str) -> dict[str, Any] | None:
    """The same dictionary as :func:`person_dict`, read with one SQL statement: the hot read path of the API
    (the ORM's query compilation cost more than the query itself; tests check that both agree)."""
    with connection.cursor() as cursor:
        cursor.execute(_PERSON_RECORD_SQL, [pin])
        row = cursor.fetchone()
    if row is None:
        return None
    it = iter(row)
    (pin_, full, family, middle, given, sex, born, precision, place_text, ethnicity, religion, nationality, status,
     died, relationship, version, updated) = (next(it) for _ in range(17))  # fmt: skip

    def commune() -> dict[str, Any] | None:
        code, name, province_code, province_name, era = (next(it) for _ in range(5))
        if code is None:
            return None
        return {"code": code, "name": name, "province_code": province_code, "province_name": province_name, "era": era}

    def ref() -> dict[str, Any] | None:
        ref_id, ref_pin, ref_name, ref_born = next(it), next(it), next(it), next(it)
        if ref_pin is None:
            return None
        return {"id": ref_id, "pin": ref_pin, "full_name": ref_name, "birth_date": _iso(ref_born)}

    birth_place, origin = commune(), commune()
    father, mother, spouse = ref(), ref(), ref()
    household_number, household_address = next(it), next(it)
    household_commune = commune()
    r_address, r_from, r_to, r_reason, r_household = (next(it) for _ in range(5))
    r_commune = commune()
    return {
        "pin": pin_,
        "full_name": full,
        "family_name": family,
        "middle_name": middle,
        "given_name": given,
        "sex": sex,
        "birth_date": _iso(born),
        "birth_date_precision": precision,
        "birth_place": birth_place,
        "birth_place_text": place_text,
        "place_of_origin": origin,
        "ethnicity": {"code": ethnicity, "name": ETHNIC_GROUPS.get(ethnicity, "")},
        "religion": religion,
        "nationality": nationality,
        "status": status,
        "death_date": _iso(died),
        "father": father,
        "mother": mother,
        "spouse": spouse,
        "household": (
            {
                "number": household_number,
                "relationship_to_head": relationship,
                "commune": household_commune,
                "address_line": household_address,
            }
            if household_number
            else None
        ),
        "permanent_residence": (
            {
                "commune": r_commune,
                "address_line": r_address,
                "household": r_household,
                "valid_from": _iso(r_from),
                "valid_to": _iso(r_to),
                "end_reason": r_reason,
            }
            if r_commune
            else None
        ),
        "version": version,
        "updated_at": _iso_datetime(updated),
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
    *,
    name: str = "",
    birth_date: date | None = None,
    commune: str = "",
    limit: int = 50,
    people: QuerySet[Person] | None = None,
) -> list[Person]:
    """People whose name starts with ``name`` (diacritics- and case-insensitive), optionally born on
    ``birth_date`` and living (permanent residence) in ``commune``, among ``people`` (an official's area; default
    everyone). A range scan on the folded-name index."""
    query = (Person.objects.all() if people is None else people).select_related("household__commune__province")
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


def people_matching(*, name: str = "", birth_date: date | None = None, commune: str = "") -> QuerySet[Person]:
    """People any word of whose name starts with ``name``'s words in order, diacritics- and case-insensitive ("hong"
    and "thi hong" find "Nguyễn Thị Hồng"), optionally born on ``birth_date`` and living (permanent residence) in
    ``commune``; sorted by name, for paging. A substring match: on PostgreSQL the trigram index
    ``person_name_trgm`` (migration 0004) serves it; on SQLite it reads the table (the folded-name B-tree serves
    only :func:`search_people`'s prefix match)."""
    query = Person.objects.select_related("household__commune__province")
    folded = fold_name(name) if name else ""
    if folded:
        query = query.filter(Q(name_folded__startswith=folded) | Q(name_folded__contains=" " + folded))
    if birth_date is not None:
        query = query.filter(birth_date=birth_date)
    if commune:
        query = query.filter(
            Q(permanent_residences__commune__code=commune, permanent_residences__valid_to__isnull=True)
        )
    if folded and connection.vendor == "postgresql":
        # Sorted by an expression, not the column: otherwise, for the first page, the planner may walk the B-tree in
        # name order testing every row until 25 match, which for a word that starts names late in the alphabet reads
        # most of the table (0.9 s at 200,000 people, bench/RESULTS.md); this way it takes the trigram index's
        # matches and sorts them. The order is the same.
        return query.order_by(Concat("name_folded", Value("")), "birth_date", "pin")
    return query.order_by("name_folded", "birth_date", "pin")


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
