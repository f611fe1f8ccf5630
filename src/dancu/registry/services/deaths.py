"""Death registration (khai tử); removing the residence afterwards is :mod:`~dancu.registry.services.residence`'s."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from dancu.events.services import append_event
from dancu.registry import rules
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person
from dancu.registry.services.common import _as_date, _living, _today, get_person


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
