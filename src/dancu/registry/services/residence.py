"""Residence: permanent residence with its household (thường trú, hộ gia đình) and temporary residence (tạm trú)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from dancu.core.errors import DomainError, NotFound
from dancu.events.services import append_event
from dancu.geo.models import Commune, Era
from dancu.geo.services import get_commune, resolve_current_commune
from dancu.registry import rules
from dancu.registry.choices import Relationship
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence
from dancu.registry.services.common import _as_date, _living, _today, get_person


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
