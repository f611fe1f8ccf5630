"""The life-event contract: every internal event the registry emits maps to a contract type (or, for the initial
load, to none), and every shaped payload validates against the published schema of its type."""

from __future__ import annotations

import json
from datetime import date

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from dancu.cards import services as cards
from dancu.events.models import Event
from dancu.exchange.lifeevents import (
    EVENT_TYPES,
    FIELDS,
    SCHEMA_DIR,
    load_schema,
    people_in,
    pseudonym_of,
    shape,
    to_life_event,
    to_life_events,
)
from dancu.exchange.lifeevents.contract import INTERNAL, build_schema
from dancu.exchange.models import Subscription
from dancu.registry import rules
from dancu.registry import services as registry
from tests import factories

pytestmark = pytest.mark.django_db

FORMATS = Draft202012Validator.FORMAT_CHECKER


def _validate(payload: dict) -> None:
    schema = load_schema(payload["type"])
    validator_for(schema)(schema, format_checker=FORMATS).validate(payload)


def _subscription(fields: list[str], types: tuple[str, ...] = EVENT_TYPES) -> Subscription:
    system = factories.connected_system()
    purpose = factories.purpose()
    return Subscription(system=system, purpose=purpose, name="s", event_types=list(types), fields=fields)


def test_the_schema_files_are_the_published_contract_and_valid_2020_12_schemas() -> None:
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.json")) == sorted(EVENT_TYPES)
    for event_type in EVENT_TYPES:
        stored = json.loads((SCHEMA_DIR / f"{event_type}.json").read_text())
        Draft202012Validator.check_schema(stored)
        # The code that shapes payloads and the files agree: a change to one alone needs a new version.
        assert stored == build_schema(event_type), event_type


def test_every_internal_event_type_is_mapped_or_deliberately_left_out() -> None:
    internal = set(rules.EVENT_TYPES) | {"card.issued", "card.cancelled", "account.closed"}
    assert internal - set(INTERNAL) == {rules.PERSON_REGISTERED}
    assert {contract for contract, _ in INTERNAL.values()} == set(EVENT_TYPES)


def _life_of_a_family() -> tuple:
    mother = factories.person(sex="F", birth_date=date(1992, 3, 1), residence=factories.HANOI_BA_DINH)
    father = factories.person(sex="M", birth_date=date(1990, 1, 1), residence=factories.HANOI_BA_DINH)
    registry.register_marriage(pin_a=father.pin, pin_b=mother.pin, marriage_date=date(2020, 5, 1), actor="t")
    child = registry.register_birth(
        full_name="Nguyễn Văn Con",
        sex="M",
        birth_date=date(2024, 2, 2),
        birth_commune=factories.HANOI_BA_DINH,
        mother_pin=mother.pin,
        father_pin=father.pin,
        actor="t",
    )
    registry.change_name(
        pin=father.pin, full_name="Nguyễn Văn Mới", effective_date=date(2024, 3, 1), reason="r", actor="t"
    )
    registry.register_temporary_residence(
        pin=father.pin,
        commune=factories.HANOI_OTHER,
        address_line="Số 2",
        valid_from=date(2024, 4, 1),
        valid_until=date(2025, 4, 1),
        actor="t",
    )
    cards.issue_card(pin=mother.pin, issued_on=date(2024, 5, 1), actor="t")
    registry.record_death(pin=father.pin, death_date=date(2024, 6, 1), actor="t")
    cards.cancel_cards(pin=mother.pin, reason="loss", actor="t")
    registry.remove_permanent_residence(pin=mother.pin, valid_to=date(2024, 7, 1), reason="moved", actor="t")
    return mother, father, child


@pytest.mark.parametrize("fields", [[], list(FIELDS), ["province", "mother", "spouse", "death_date"]])
def test_every_shaped_payload_validates_against_its_schema(fields: list[str]) -> None:
    _life_of_a_family()
    events = list(Event.objects.order_by("sequence"))
    life = to_life_events(events)
    assert {e.type for e in life} >= set(EVENT_TYPES) - {"account.closed"}
    subscription = _subscription(fields)
    for event in life:
        payload = shape(event, subscription)
        _validate(payload)
        assert payload["id"] == event.event_id


def test_thin_by_default_pseudonyms_per_system_pin_only_where_granted() -> None:
    mother, father, child = _life_of_a_family()
    birth = to_life_event(Event.objects.get(type="birth.registered"))
    assert birth is not None
    assert (birth.province, birth.commune) == ("01", factories.HANOI_BA_DINH)
    thin = shape(birth, _subscription([]))
    assert set(thin) == {"id", "type", "version", "effective_date", "recorded_at", "subject", "data"}
    assert thin["data"] == {}
    assert child.pin not in json.dumps(thin)
    one, other = _subscription(["mother"]), _subscription(["mother"])
    a, b = shape(birth, one), shape(birth, other)
    assert a["subject"] == {"pseudonym": pseudonym_of(one.system.client_id, child.pin)}
    assert a["subject"] != b["subject"]  # two systems' pseudonyms of one person cannot be linked
    assert a["data"]["mother"] == {"pseudonym": pseudonym_of(one.system.client_id, mother.pin)}
    full = shape(birth, _subscription(["pin", "mother", "father", "full_name"]))
    assert full["subject"] == {"pin": child.pin}
    assert full["data"] == {
        "full_name": "Nguyễn Văn Con",
        "mother": {"pin": mother.pin},
        "father": {"pin": father.pin},
    }
    assert people_in(birth, _subscription(["mother"])) == [child.pin, mother.pin]
    assert people_in(birth, _subscription([])) == [child.pin]


def test_residence_events_carry_their_change_and_the_commune_they_name() -> None:
    _life_of_a_family()
    temporary = to_life_event(Event.objects.get(type="residence.temporary.registered"))
    assert temporary is not None and temporary.type == "residence.temporary.changed"
    assert temporary.commune == factories.HANOI_OTHER
    assert shape(temporary, _subscription([]))["data"] == {"change": "registered"}
    removed = to_life_event(Event.objects.get(type="residence.permanent.removed"))
    assert removed is not None and removed.qualifiers == {"change": "removed"}


def test_the_initial_load_is_not_a_life_event() -> None:
    factories.person()
    assert to_life_event(Event.objects.get(type=rules.PERSON_REGISTERED)) is None
