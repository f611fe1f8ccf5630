"""A person enters the register: birth registration (a new PIN) or the registration of a person who already has one."""

from __future__ import annotations

import random
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.core.pin import generate_pin
from dancu.events.services import append_event
from dancu.geo.models import Commune
from dancu.geo.services import resolve_current_commune
from dancu.registry import rules
from dancu.registry.choices import DatePrecision
from dancu.registry.models import Person
from dancu.registry.services.common import _as_date, _optional_commune, _parent, _today


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
