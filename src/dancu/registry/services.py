"""Domain services of the registry: the only code that writes person data.

Each service validates its input, writes current state and appends its event in ONE transaction, and raises
:class:`~dancu.core.errors.DomainError` with a stable code when it refuses; a refusal writes nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from dancu.core.ages import age_on
from dancu.core.errors import DomainError, NotFound
from dancu.core.names import fold_name, split_name
from dancu.core.pin import generate_pin, parse_pin
from dancu.events.services import append_event
from dancu.geo.models import Commune, Era
from dancu.geo.services import get_commune, resolve_current_commune
from dancu.registry import rules
from dancu.registry.choices import DatePrecision, LifeStatus, Relationship
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence

__all__ = [
    "change_name",
    "end_temporary_residence",
    "get_person",
    "record_death",
    "register_birth",
    "register_marriage",
    "register_permanent_residence",
    "register_person",
    "register_temporary_residence",
    "remove_permanent_residence",
]


def _today() -> date:
    return timezone.localdate()


def _as_date(value: date | str, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DomainError("date_invalid", "Dates are written YYYY-MM-DD.", field=field) from None


def get_person(pin: str, *, for_update: bool = False) -> Person:
    """The person with this PIN (``pin_malformed`` / ``person_not_found``)."""
    parse_pin(pin)
    queryset = Person.objects.select_for_update() if for_update else Person.objects
    try:
        return queryset.get(pin=pin)
    except Person.DoesNotExist:
        raise NotFound("person_not_found", "No person with this personal ID number.", field="pin") from None


def _living(person: Person, field: str = "pin") -> Person:
    if person.status == LifeStatus.DECEASED:
        raise DomainError("person_deceased", "The person is recorded as deceased.", field=field, status=409)
    return person


def _optional_commune(code: str | None, field: str) -> Commune | None:
    if code in (None, ""):
        return None
    try:
        return resolve_current_commune(code)  # type: ignore[arg-type]
    except DomainError as error:
        error.field = field
        raise


def _parent(pin: str | None, role: str) -> Person | None:
    if not pin:
        return None
    try:
        return get_person(pin)
    except NotFound:
        raise DomainError(f"{role}_not_found", f"The {role} is not in the registry.", field=role) from None
    except DomainError as error:
        error.field = role
        raise


def _create_person(facts: rules.PersonFacts, *, actor: str, source: str, event_type: str) -> Person:
    birth_commune = _optional_commune(facts.birth_commune, "birth_commune")
    origin_commune = _optional_commune(facts.origin_commune, "origin_commune")
    father = _parent(facts.father_pin, "father")
    mother = _parent(facts.mother_pin, "mother")
    for role, parent in (("father", father), ("mother", mother)):
        if parent is not None:
            rules.check_parent(
                role,
                parent_sex=parent.sex,
                parent_birth=parent.birth_date,
                parent_death=parent.death_date,
                child_birth=facts.birth_date,
            )
    if Person.objects.filter(pin=facts.pin).exists():
        raise DomainError(
            "pin_duplicate", "A person with this personal ID number already exists.", field="pin", status=409
        )
    now = timezone.now()
    person = Person(
        pin=facts.pin,
        full_name=facts.name.full,
        family_name=facts.name.family,
        middle_name=facts.name.middle,
        given_name=facts.name.given,
        name_folded=facts.name_folded,
        sex=facts.sex,
        birth_date=facts.birth_date,
        birth_date_precision=facts.birth_date_precision,
        birth_commune=birth_commune,
        birth_place_text=facts.birth_place_text,
        origin_commune=origin_commune,
        ethnicity=facts.ethnicity,
        religion=facts.religion,
        nationality=facts.nationality,
        father=father,
        mother=mother,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            person.save(force_insert=True)
    except IntegrityError:
        raise DomainError(
            "pin_duplicate", "A person with this personal ID number already exists.", field="pin", status=409
        ) from None
    payload = facts.payload()
    payload["birth_commune"] = birth_commune.code if birth_commune else None
    payload["origin_commune"] = origin_commune.code if origin_commune else None
    append_event(
        event_type,
        pin=person.pin,
        effective_date=facts.birth_date,
        actor=actor,
        source=source,
        payload=payload,
        recorded_at=now,
    )
    return person


@transaction.atomic
def register_person(
    *,
    pin: str,
    full_name: str,
    sex: str,
    birth_date: date | str,
    birth_date_precision: str = DatePrecision.DAY,
    ethnicity: int = 1,
    religion: str = "Không",
    nationality: str = "VN",
    birth_commune: str | None = None,
    birth_place_text: str = "",
    origin_commune: str | None = None,
    father_pin: str | None = None,
    mother_pin: str | None = None,
    actor: str,
    source: str = "",
) -> Person:
    """Register an existing person with an already-issued PIN (initial load, migration from an older register)."""
    facts = rules.validate_person_facts(
        pin=pin,
        full_name=full_name,
        sex=sex,
        birth_date=_as_date(birth_date, "birth_date"),
        birth_date_precision=birth_date_precision,
        ethnicity=ethnicity,
        religion=religion,
        nationality=nationality,
        birth_commune=birth_commune,
        birth_place_text=birth_place_text,
        origin_commune=origin_commune,
        father_pin=father_pin,
        mother_pin=mother_pin,
        today=_today(),
    )
    return _create_person(facts, actor=actor, source=source, event_type=rules.PERSON_REGISTERED)


@transaction.atomic
def register_birth(
    *,
    full_name: str,
    sex: str,
    birth_date: date | str,
    birth_commune: str,
    registration_commune: str | None = None,
    mother_pin: str | None = None,
    father_pin: str | None = None,
    ethnicity: int | None = None,
    religion: str = "Không",
    nationality: str = "VN",
    origin_commune: str | None = None,
    actor: str,
    source: str = "",
    rng: random.Random | None = None,
) -> Person:
    """Register a birth (đăng ký khai sinh) and issue the child's PIN.

    Law on Civil Status 2014 art. 16; Decree 137/2015 art. 13 (the PIN is issued at birth registration). The PIN's
    province digits are those of the province where the birth is registered (``registration_commune``, default the
    place of birth). Ethnicity and place of origin default to the father's, else the mother's.
    """
    today = _today()
    born = _as_date(birth_date, "birth_date")
    if born > today:
        raise DomainError("birth_date_in_future", "The date of birth is in the future.", field="birth_date")
    if mother_pin is None and father_pin is None:
        raise DomainError("parent_missing", "A birth registration names at least one parent.", field="mother")
    place = resolve_current_commune(birth_commune)
    registered_at = resolve_current_commune(registration_commune) if registration_commune else place
    father = _parent(father_pin, "father")
    mother = _parent(mother_pin, "mother")
    lead = father or mother
    assert lead is not None
    if ethnicity is None:
        ethnicity = lead.ethnicity
    if origin_commune is None and lead.origin_commune_id:
        origin_commune = Commune.objects.values_list("code", flat=True).get(pk=lead.origin_commune_id)
    province_code = "0" + registered_at.province.code
    pin = generate_pin(
        province_code,
        sex if sex in ("M", "F") else "M",
        born.year,
        exists=lambda candidate: Person.objects.filter(pin=candidate).exists(),
        rng=rng,
    )
    facts = rules.validate_person_facts(
        pin=pin,
        full_name=full_name,
        sex=sex,
        birth_date=born,
        ethnicity=ethnicity,
        religion=religion,
        nationality=nationality,
        birth_commune=place.code,
        origin_commune=origin_commune,
        father_pin=father_pin,
        mother_pin=mother_pin,
        today=today,
    )
    return _create_person(facts, actor=actor, source=source, event_type=rules.BIRTH_REGISTERED)


def last_household_serial(commune_code: str) -> int:
    """The highest serial used in a commune's household numbers (commune code + 7 digits); an index range scan."""
    last = (
        Household.objects.filter(number__gte=commune_code + "0000000", number__lte=commune_code + "9999999")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last[len(commune_code) :]) if last else 0


def _next_household_number(commune: Commune) -> str:
    return f"{commune.code}{last_household_serial(commune.code) + 1:07d}"


@transaction.atomic
def register_permanent_residence(
    *,
    pin: str,
    commune: str,
    address_line: str,
    valid_from: date | str,
    household_number: str | None = None,
    relationship: str = Relationship.HEAD,
    era: str = Era.CURRENT,
    actor: str,
    source: str = "",
) -> PermanentResidence:
    """Register a permanent residence (đăng ký thường trú), joining a household or founding a new one.

    Law on Residence 2020 art. 20-22. A person has one permanent residence at a time: an open one must be removed
    first (``permanent_residence_exists``). Without ``household_number`` the person becomes head of a new household.
    """
    person = _living(get_person(pin, for_update=True))
    start = _as_date(valid_from, "valid_from")
    rules.check_residence_dates(valid_from=start, birth_date=person.birth_date, today=_today())
    address = (address_line or "").strip()
    if (not address and not household_number) or len(address) > 200:
        # A member joining a household takes the household's address; a new household needs its own.
        raise DomainError(
            "address_invalid", "The address line is required (at most 200 characters).", field="address_line"
        )
    recorded = get_commune(commune, era=era)
    current = resolve_current_commune(commune, era=era)
    if PermanentResidence.objects.filter(person=person, valid_to__isnull=True).exists():
        raise DomainError(
            "permanent_residence_exists",
            "The person already has a permanent residence; remove it before registering another.",
            status=409,
        )
    created_household = False
    if household_number:
        try:
            household = Household.objects.select_for_update().get(number=household_number)
        except Household.DoesNotExist:
            raise NotFound("household_not_found", "No household with this number.", field="household_number") from None
        if household.commune_id != current.id:
            raise DomainError(
                "household_commune_mismatch", "The household is registered in another commune.", field="commune"
            )
        if relationship not in Relationship.values or relationship == Relationship.HEAD:
            raise DomainError(
                "relationship_invalid",
                "A member joining a household needs a relationship to its head.",
                field="relationship",
            )
        address = household.address_line
    else:
        relationship = Relationship.HEAD
        # Household numbers are per commune: lock the commune's row so that two registrations founding households
        # in the same commune at the same time cannot draw the same serial (PostgreSQL; SQLite serialises writers).
        list(Commune.objects.select_for_update().filter(pk=current.pk).values_list("pk", flat=True))
        household = Household.objects.create(
            number=_next_household_number(current),
            commune=current,
            address_line=address,
            created_on=start,
            head=person,
        )
        created_household = True
    residence = PermanentResidence.objects.create(
        person=person,
        commune=current,
        recorded_commune=recorded if recorded.id != current.id else None,
        address_line=address,
        household=household,
        valid_from=start,
    )
    Person.objects.filter(pk=person.pk).update(
        household=household, relationship_to_head=relationship, version=person.version + 1, updated_at=timezone.now()
    )
    append_event(
        rules.PERMANENT_RESIDENCE_REGISTERED,
        pin=pin,
        effective_date=start,
        actor=actor,
        source=source,
        payload={
            "commune": current.code,
            "recorded_commune": recorded.code if recorded.id != current.id else None,
            "recorded_era": era,
            "address_line": address,
            "household": household.number,
            "household_created": created_household,
            "relationship": relationship,
            "valid_from": start.isoformat(),
        },
    )
    return residence


@transaction.atomic
def remove_permanent_residence(
    *, pin: str, valid_to: date | str, reason: str, actor: str, source: str = ""
) -> PermanentResidence:
    """Remove a permanent residence (xóa đăng ký thường trú), e.g. after death or a move. Law on Residence art. 24.

    Allowed for a deceased person (removal after death is one of the linked death-group procedures).
    """
    person = get_person(pin, for_update=True)
    end = _as_date(valid_to, "valid_to")
    residence = PermanentResidence.objects.filter(person=person, valid_to__isnull=True).first()
    if residence is None:
        raise DomainError("permanent_residence_missing", "The person has no open permanent residence.", status=409)
    if end < residence.valid_from:
        raise DomainError("residence_end_before_start", "The residence cannot end before it began.", field="valid_to")
    if end > _today():
        raise DomainError(
            "residence_end_in_future", "The residence cannot be removed with a future date.", field="valid_to"
        )
    reason = (reason or "").strip()[:40] or "other"
    residence.valid_to = end
    residence.end_reason = reason
    residence.save(update_fields=["valid_to", "end_reason"])
    household = residence.household
    Person.objects.filter(pk=person.pk).update(
        household=None, relationship_to_head="", version=person.version + 1, updated_at=timezone.now()
    )
    if household is not None and household.head_id == person.id:
        Household.objects.filter(pk=household.pk).update(head=None)
    append_event(
        rules.PERMANENT_RESIDENCE_REMOVED,
        pin=pin,
        effective_date=end,
        actor=actor,
        source=source,
        payload={"valid_to": end.isoformat(), "reason": reason, "household": household.number if household else None},
    )
    return residence


@transaction.atomic
def register_temporary_residence(
    *,
    pin: str,
    commune: str,
    address_line: str,
    valid_from: date | str,
    valid_until: date | str,
    actor: str,
    source: str = "",
) -> TemporaryResidence:
    """Register a temporary residence (đăng ký tạm trú) for up to two years. Law on Residence 2020 art. 27-28."""
    person = _living(get_person(pin, for_update=True))
    start = _as_date(valid_from, "valid_from")
    until = _as_date(valid_until, "valid_until")
    rules.check_residence_dates(valid_from=start, birth_date=person.birth_date, today=_today())
    if until < start:
        raise DomainError("residence_end_before_start", "The term ends before it begins.", field="valid_until")
    if (until - start).days > rules.TEMPORARY_RESIDENCE_MAX_DAYS:
        raise DomainError(
            "temporary_residence_too_long", "One registration lasts at most two years.", field="valid_until"
        )
    address = (address_line or "").strip()
    if not address or len(address) > 200:
        raise DomainError(
            "address_invalid", "The address line is required (at most 200 characters).", field="address_line"
        )
    place = resolve_current_commune(commune)
    residence = TemporaryResidence.objects.create(
        person=person, commune=place, address_line=address, valid_from=start, valid_until=until
    )
    Person.objects.filter(pk=person.pk).update(version=person.version + 1, updated_at=timezone.now())
    append_event(
        rules.TEMPORARY_RESIDENCE_REGISTERED,
        pin=pin,
        effective_date=start,
        actor=actor,
        source=source,
        payload={
            "residence_id": residence.pk,
            "commune": place.code,
            "address_line": address,
            "valid_from": start.isoformat(),
            "valid_until": until.isoformat(),
        },
    )
    return residence


@transaction.atomic
def end_temporary_residence(
    *, pin: str, residence_id: int, ended_on: date | str, actor: str, source: str = ""
) -> TemporaryResidence:
    """End a temporary residence before its term (xóa đăng ký tạm trú)."""
    person = get_person(pin, for_update=True)
    end = _as_date(ended_on, "ended_on")
    residence = TemporaryResidence.objects.filter(person=person, pk=residence_id, ended_on__isnull=True).first()
    if residence is None:
        raise NotFound("temporary_residence_not_found", "No open temporary residence with this id for this person.")
    if end < residence.valid_from:
        raise DomainError("residence_end_before_start", "The residence cannot end before it began.", field="ended_on")
    residence.ended_on = end
    residence.save(update_fields=["ended_on"])
    append_event(
        rules.TEMPORARY_RESIDENCE_ENDED,
        pin=pin,
        effective_date=end,
        actor=actor,
        source=source,
        payload={"residence_id": residence.pk, "ended_on": end.isoformat()},
    )
    return residence


@transaction.atomic
def register_marriage(*, pin_a: str, pin_b: str, marriage_date: date | str, actor: str, source: str = "") -> None:
    """Register a marriage (đăng ký kết hôn). Law on Marriage and Family 2014 art. 8: men 20+, women 18+, both
    unmarried, living; Law on Civil Status art. 17-18."""
    if pin_a == pin_b:
        raise DomainError("marriage_same_person", "A person cannot marry themselves.", field="pin_b")
    when = _as_date(marriage_date, "marriage_date")
    if when > _today():
        raise DomainError("marriage_date_in_future", "The marriage date is in the future.", field="marriage_date")
    first, second = sorted([pin_a, pin_b])
    people = {p.pin: p for p in (get_person(first, for_update=True), get_person(second, for_update=True))}
    for field, p in (("pin_a", people[pin_a]), ("pin_b", people[pin_b])):
        _living(p, field)
        if p.spouse_id is not None:
            raise DomainError("person_married", "One of the two is already married.", field=field, status=409)
        if age_on(p.birth_date, when) < rules.MARRIAGE_AGE[p.sex]:
            raise DomainError(
                "marriage_under_age",
                "One of the two is under the legal age of marriage (men 20, women 18).",
                field=field,
            )
    a, b = people[pin_a], people[pin_b]
    now = timezone.now()
    Person.objects.filter(pk=a.pk).update(spouse=b, version=a.version + 1, updated_at=now)
    Person.objects.filter(pk=b.pk).update(spouse=a, version=b.version + 1, updated_at=now)
    for own, other in ((a, b), (b, a)):
        append_event(
            rules.MARRIAGE_REGISTERED,
            pin=own.pin,
            effective_date=when,
            actor=actor,
            source=source,
            payload={"spouse": other.pin, "marriage_date": when.isoformat()},
            recorded_at=now,
        )


@transaction.atomic
def change_name(
    *, pin: str, full_name: str, effective_date: date | str, reason: str, actor: str, source: str = ""
) -> Person:
    """Change a name (thay đổi họ, chữ đệm, tên). Civil Code 2015 art. 28; Law on Civil Status art. 26-28."""
    person = _living(get_person(pin, for_update=True))
    when = _as_date(effective_date, "effective_date")
    if when > _today() or when < person.birth_date:
        raise DomainError(
            "date_out_of_range", "The change takes effect between birth and today.", field="effective_date"
        )
    parts = split_name(full_name)
    if parts.full == person.full_name:
        raise DomainError("name_unchanged", "The new name is the same as the recorded one.", field="full_name")
    person.full_name, person.family_name, person.middle_name, person.given_name = (
        parts.full,
        parts.family,
        parts.middle,
        parts.given,
    )
    person.name_folded = fold_name(parts.full)
    person.version += 1
    person.updated_at = timezone.now()
    person.save(
        update_fields=["full_name", "family_name", "middle_name", "given_name", "name_folded", "version", "updated_at"]
    )
    append_event(
        rules.NAME_CHANGED,
        pin=pin,
        effective_date=when,
        actor=actor,
        source=source,
        payload={
            "full_name": parts.full,
            "family_name": parts.family,
            "middle_name": parts.middle,
            "given_name": parts.given,
            "reason": (reason or "").strip()[:200],
        },
    )
    return person


@transaction.atomic
def record_death(*, pin: str, death_date: date | str, place_text: str = "", actor: str, source: str = "") -> Person:
    """Record a death (đăng ký khai tử). Law on Civil Status 2014 art. 33; the residence is removed separately."""
    person = _living(get_person(pin, for_update=True))
    when = _as_date(death_date, "death_date")
    rules.check_death(death_date=when, birth_date=person.birth_date, today=_today())
    person.status = LifeStatus.DECEASED
    person.death_date = when
    person.version += 1
    person.updated_at = timezone.now()
    person.save(update_fields=["status", "death_date", "version", "updated_at"])
    append_event(
        rules.DEATH_RECORDED,
        pin=pin,
        effective_date=when,
        actor=actor,
        source=source,
        payload={"death_date": when.isoformat(), "place_text": (place_text or "").strip()[:200]},
    )
    return person
