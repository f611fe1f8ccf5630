"""Issuing and cancelling identity cards; each change appends its event in the same transaction."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from dancu.cards import rules
from dancu.cards.chip import personalise
from dancu.cards.models import CardStatus, IdentityCard
from dancu.core.ages import age_on, birthday
from dancu.core.errors import DomainError
from dancu.events.models import Event
from dancu.events.services import append_event, lock_event_log
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person
from dancu.registry.services import get_person

#: Cards are issued from this age (Law on Identification 2023 art. 19; younger children on request).
MIN_CARD_AGE = 14


def current_card(person: Person) -> IdentityCard | None:
    """The person's valid card that has not expired, if any."""
    card = IdentityCard.objects.filter(person=person, status=CardStatus.VALID).first()
    if card is None or (card.expires_on is not None and card.expires_on <= timezone.localdate()):
        return None
    return card


@transaction.atomic
def issue_card(*, pin: str, issued_on: date, actor: str, source: str = "") -> IdentityCard:
    """Issue a new card; the previous valid one, if any, is marked replaced."""
    person = get_person(pin, for_update=True)
    if person.status == LifeStatus.DECEASED:
        raise DomainError("person_deceased", "A card cannot be issued to a deceased person.", field="pin")
    if issued_on < person.birth_date or issued_on > timezone.localdate():
        raise DomainError(
            "card_issue_date_invalid", "The issue date must be between birth and today.", field="issued_on"
        )
    now = timezone.now()
    IdentityCard.objects.filter(person=person, status=CardStatus.VALID).update(
        status=CardStatus.REPLACED, status_changed_at=now
    )
    card = IdentityCard.objects.create(
        person=person,
        number=person.pin,
        issued_on=issued_on,
        expires_on=rules.card_expiry(person.birth_date, issued_on),
        created_at=now,
    )
    append_event(
        rules.CARD_ISSUED,
        pin=pin,
        effective_date=issued_on,
        actor=actor,
        source=source,
        payload={"card_id": card.pk, "issued_on": issued_on.isoformat(), "expires_on": _iso(card.expires_on)},
    )
    personalise(card)
    return card


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@transaction.atomic
def cancel_cards(*, pin: str, reason: str, actor: str, source: str = "") -> int:
    """Cancel the person's valid card (death, loss); returns how many were cancelled."""
    person = get_person(pin, for_update=True)
    changed = IdentityCard.objects.filter(person=person, status=CardStatus.VALID).update(
        status=CardStatus.CANCELLED, status_changed_at=timezone.now()
    )
    if changed:
        append_event(
            rules.CARD_CANCELLED,
            pin=pin,
            effective_date=timezone.localdate(),
            actor=actor,
            source=source,
            payload={"reason": reason[:60]},
        )
    return changed


def synthetic_issue_date(person_id: int, birth: date, today: date, seed: int) -> date | None:
    """A plausible issue date for a living person's current card: after their last renewal age, mostly during the
    2021-2024 chip-card campaign; ``None`` under 14."""
    age = age_on(birth, today)
    if age < MIN_CARD_AGE:
        return None
    last_age = max(a for a in (*rules.RENEWAL_AGES, MIN_CARD_AGE) if a <= age)
    earliest = birthday(birth, last_age)
    rng = random.Random(seed * 1_000_003 + person_id)
    earliest = max(earliest, date(2021, 1, 1)) if rng.random() < 0.8 else earliest
    span = (today - earliest).days
    return earliest + timedelta(days=rng.randint(0, max(span, 0) // 2)) if span > 0 else today


def issue_synthetic_cards(*, seed: int = 1, actor: str = "synth", batch: int = 5000) -> int:
    """Give every living person of card age who has no valid card a card with a synthetic issue date, in chunks of
    one transaction each (resumable: people who already hold a card are skipped). Writes the same rows and events
    as :func:`issue_card`."""
    today = timezone.localdate()
    issued = 0
    last_id = 0
    while True:
        people = list(
            Person.objects.filter(pk__gt=last_id, status=LifeStatus.LIVING)
            .exclude(cards__status=CardStatus.VALID)
            .order_by("pk")
            .values_list("pk", "pin", "birth_date")[:batch]
        )
        if not people:
            return issued
        last_id = people[-1][0]
        with transaction.atomic():
            now = timezone.now()
            cards = []
            for pk, pin, birth in people:
                when = synthetic_issue_date(pk, birth, today, seed)
                if when is None:
                    continue
                cards.append(
                    IdentityCard(
                        person_id=pk,
                        number=pin,
                        issued_on=when,
                        expires_on=rules.card_expiry(birth, when),
                        created_at=now,
                    )
                )
            if not cards:
                continue
            created = IdentityCard.objects.bulk_create(cards)
            lock_event_log()
            Event.objects.bulk_create(
                Event(
                    type=rules.CARD_ISSUED,
                    pin=card.number,
                    effective_date=card.issued_on,
                    recorded_at=now,
                    actor=actor,
                    source="synthetic cards",
                    payload={
                        "card_id": card.pk,
                        "issued_on": card.issued_on.isoformat(),
                        "expires_on": _iso(card.expires_on),
                    },
                )
                for card in created
            )
            issued += len(created)
