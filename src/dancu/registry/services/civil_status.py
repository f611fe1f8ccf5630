"""Civil status of a living person: marriage (kết hôn) and change of name (thay đổi họ, chữ đệm, tên)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from dancu.core.ages import age_on
from dancu.core.errors import DomainError
from dancu.core.names import fold_name, split_name
from dancu.events.services import append_event
from dancu.registry import rules
from dancu.registry.models import Person
from dancu.registry.services.common import _as_date, _living, _today, get_person


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
