"""Helpers shared by the registry's services: today's date, date parsing, looking a person up, checks on people
and places. Package-internal apart from :func:`get_person`."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from dancu.core.errors import DomainError, NotFound
from dancu.core.pin import parse_pin
from dancu.geo.models import Commune
from dancu.geo.services import resolve_current_commune
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person


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
        if role == "mother":
            raise DomainError("mother_not_found", "The mother is not in the registry.", field=role) from None
        raise DomainError("father_not_found", "The father is not in the registry.", field=role) from None
    except DomainError as error:
        error.field = role
        raise
