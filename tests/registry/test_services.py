"""The domain services: each valid change writes state and one event; each refusal has a code and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from dancu.core.errors import DomainError
from dancu.core.pin import parse_pin
from dancu.events.models import Event
from dancu.registry import services
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence
from tests import factories
from tests.factories import HANOI_BA_DINH, HANOI_OTHER

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Event.objects.count(),
        Household.objects.count(),
        PermanentResidence.objects.count(),
        TemporaryResidence.objects.count(),
    )


def refused(code: str, call: Callable[[], Any]) -> DomainError:
    """Assert that ``call`` is refused with ``code`` and that nothing at all was written."""
    before = _counts()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    assert _counts() == before
    return caught.value


def test_register_person_writes_state_and_event() -> None:
    person = factories.person(full_name="  nguyễn   VĂN an ", religion="Phật giáo", birth_commune=HANOI_BA_DINH)
    assert person.full_name == "nguyễn VĂN an"
    assert person.name_folded == "nguyen van an"
    assert (person.family_name, person.middle_name, person.given_name) == ("nguyễn", "VĂN", "an")
    event = Event.objects.get(pin=person.pin)
    assert event.type == "person.registered"
    assert event.effective_date == person.birth_date
    assert event.payload["birth_commune"] == HANOI_BA_DINH
    assert event.actor == "test"


def test_register_birth_issues_a_consistent_pin(today: date) -> None:
    mother = factories.person(sex="F", birth_date=date(1995, 3, 2), ethnicity=2)
    father = factories.person(sex="M", birth_date=date(1993, 1, 9))
    born = today - timedelta(days=10)
    child = services.register_birth(
        full_name="Nguyễn Minh Khang", sex="M", birth_date=born, birth_commune="25747",  # in TP Hồ Chí Minh
        mother_pin=mother.pin, father_pin=father.pin, actor="officer",
    )  # fmt: skip
    parsed = parse_pin(child.pin)
    assert parsed.province_code == "079" and parsed.sex == "M" and parsed.birth_year == born.year
    assert child.father == father and child.mother == mother
    assert child.ethnicity == father.ethnicity
    assert Event.objects.filter(pin=child.pin, type="birth.registered").count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"pin": "12345"}, "pin_malformed"),
        ({"pin": "003090000001"}, "pin_unknown_province"),
        ({"pin": "001190000001"}, "pin_sex_mismatch"),
        ({"pin": "001085000001"}, "pin_birth_year_mismatch"),
        ({"birth_commune": "99999"}, "commune_unknown"),
        ({"birth_commune": "12"}, "commune_malformed"),
        ({"ethnicity": 55}, "ethnicity_unknown"),
        ({"full_name": "X Æ A-12"}, "name_invalid"),
        ({"sex": "X"}, "sex_invalid"),
        ({"mother_pin": "001190999999"}, "mother_not_found"),
    ],
)
def test_register_person_refusals(overrides: dict[str, Any], code: str) -> None:
    data: dict[str, Any] = {
        "pin": "001090000001", "full_name": "Lê Văn Tám", "sex": "M", "birth_date": date(1990, 1, 1), "actor": "t",
    }  # fmt: skip
    data.update(overrides)
    refused(code, lambda: services.register_person(**data))


def test_birth_in_future_is_refused(today: date) -> None:
    mother = factories.person(sex="F")
    refused(
        "birth_date_in_future",
        lambda: services.register_birth(
            full_name="Lê Thị Hoa", sex="F", birth_date=today + timedelta(days=1), birth_commune=HANOI_BA_DINH,
            mother_pin=mother.pin, actor="t",
        ),
    )  # fmt: skip


def test_mother_younger_than_twelve_is_refused() -> None:
    mother = factories.person(sex="F", birth_date=date(2010, 6, 1))
    refused(
        "mother_too_young",
        lambda: services.register_birth(
            full_name="Lê Thị Hoa", sex="F", birth_date=date(2022, 5, 31), birth_commune=HANOI_BA_DINH,
            mother_pin=mother.pin, actor="t",
        ),
    )  # fmt: skip


def test_mother_with_wrong_sex_or_deceased_is_refused(today: date) -> None:
    not_a_mother = factories.person(sex="M")
    refused(
        "parent_sex_mismatch",
        lambda: services.register_birth(
            full_name="Lê Thị Hoa", sex="F", birth_date=date(2020, 1, 1), birth_commune=HANOI_BA_DINH,
            mother_pin=not_a_mother.pin, actor="t",
        ),
    )  # fmt: skip
    mother = factories.person(sex="F")
    services.record_death(pin=mother.pin, death_date=date(2019, 1, 1), actor="t")
    refused(
        "parent_deceased",
        lambda: services.register_birth(
            full_name="Lê Thị Hoa", sex="F", birth_date=date(2020, 1, 1), birth_commune=HANOI_BA_DINH,
            mother_pin=mother.pin, actor="t",
        ),
    )  # fmt: skip


def test_duplicate_pin_is_refused() -> None:
    existing = factories.person()
    error = refused(
        "pin_duplicate",
        lambda: services.register_person(
            pin=existing.pin, full_name="Phạm Văn Đồng", sex="M", birth_date=existing.birth_date, actor="t"
        ),
    )
    assert error.status == 409


def test_permanent_residence_household_and_second_residence() -> None:
    head = factories.person(residence=HANOI_BA_DINH)
    household = head.household
    assert household is not None and household.head == head
    assert household.number.startswith(HANOI_BA_DINH) and len(household.number) == 12
    wife = factories.person(sex="F", birth_date=date(1992, 2, 2))
    services.register_permanent_residence(
        pin=wife.pin, commune=HANOI_BA_DINH, address_line="ignored: the household's address is used",
        valid_from=date(2015, 1, 1), household_number=household.number, relationship="spouse", actor="t",
    )  # fmt: skip
    wife.refresh_from_db()
    assert wife.household == household and wife.relationship_to_head == "spouse"
    refused(
        "permanent_residence_exists",
        lambda: services.register_permanent_residence(
            pin=wife.pin, commune=HANOI_OTHER, address_line="Số 2", valid_from=date(2016, 1, 1), actor="t"
        ),
    )
    child = factories.person(birth_date=date(2012, 1, 1))
    refused(
        "household_commune_mismatch",
        lambda: services.register_permanent_residence(
            pin=child.pin, commune=HANOI_OTHER, address_line="Số 2", valid_from=date(2016, 1, 1),
            household_number=household.number, relationship="child", actor="t",
        ),
    )  # fmt: skip


def test_residence_for_deceased_is_refused() -> None:
    person = factories.person()
    services.record_death(pin=person.pin, death_date=date(2020, 1, 1), actor="t")
    refused(
        "person_deceased",
        lambda: services.register_permanent_residence(
            pin=person.pin, commune=HANOI_BA_DINH, address_line="Số 3", valid_from=date(2019, 1, 1), actor="t"
        ),
    )
    refused(
        "person_deceased",
        lambda: services.register_temporary_residence(
            pin=person.pin, commune=HANOI_BA_DINH, address_line="Số 3", valid_from=date(2019, 1, 1),
            valid_until=date(2020, 1, 1), actor="t",
        ),
    )  # fmt: skip


def test_death_rules(today: date) -> None:
    person = factories.person(birth_date=date(1990, 5, 17))
    refused(
        "death_before_birth", lambda: services.record_death(pin=person.pin, death_date=date(1990, 5, 16), actor="t")
    )
    refused(
        "death_date_in_future",
        lambda: services.record_death(pin=person.pin, death_date=today + timedelta(days=1), actor="t"),
    )
    services.record_death(pin=person.pin, death_date=date(2024, 2, 29), actor="t")
    refused("person_deceased", lambda: services.record_death(pin=person.pin, death_date=date(2024, 3, 1), actor="t"))


def test_legacy_commune_resolves_to_its_current_unit() -> None:
    person = factories.person()
    # Phường Phúc Xá (legacy 00001, Ba Đình district) went wholly into today's Phường Hồng Hà.
    residence = services.register_permanent_residence(
        pin=person.pin, commune="00001", era="legacy", address_line="Số 5", valid_from=date(2010, 1, 1), actor="t"
    )
    assert residence.recorded_commune is not None and residence.recorded_commune.code == "00001"
    assert residence.commune.era == "current"
    from dancu.geo.models import CommuneSuccession

    successors = list(CommuneSuccession.objects.filter(legacy__era="legacy", legacy__code="00001"))
    assert [link.current for link in successors] == [residence.commune]


def test_ambiguous_legacy_commune_is_refused() -> None:
    from dancu.geo.models import CommuneSuccession

    split = CommuneSuccession.objects.filter(partly=True).values_list("legacy__code", flat=True).first()
    assert split is not None
    person = factories.person()
    refused(
        "commune_ambiguous",
        lambda: services.register_permanent_residence(
            pin=person.pin, commune=split, era="legacy", address_line="Số 5", valid_from=date(2010, 1, 1), actor="t"
        ),
    )


def test_marriage_rules() -> None:
    groom = factories.person(sex="M", birth_date=date(2000, 1, 1))
    bride = factories.person(sex="F", birth_date=date(2002, 1, 1))
    refused(
        "marriage_under_age",
        lambda: services.register_marriage(pin_a=groom.pin, pin_b=bride.pin, marriage_date=date(2019, 6, 1), actor="t"),
    )
    services.register_marriage(pin_a=groom.pin, pin_b=bride.pin, marriage_date=date(2021, 6, 1), actor="t")
    groom.refresh_from_db()
    assert groom.spouse == bride
    other = factories.person(sex="F", birth_date=date(1999, 1, 1))
    refused(
        "person_married",
        lambda: services.register_marriage(pin_a=groom.pin, pin_b=other.pin, marriage_date=date(2022, 1, 1), actor="t"),
    )
    refused(
        "marriage_same_person",
        lambda: services.register_marriage(pin_a=other.pin, pin_b=other.pin, marriage_date=date(2022, 1, 1), actor="t"),
    )


def test_temporary_residence_term() -> None:
    person = factories.person()
    refused(
        "temporary_residence_too_long",
        lambda: services.register_temporary_residence(
            pin=person.pin, commune=HANOI_OTHER, address_line="Phòng 5", valid_from=date(2024, 1, 1),
            valid_until=date(2026, 6, 1), actor="t",
        ),
    )  # fmt: skip
    residence = services.register_temporary_residence(
        pin=person.pin, commune=HANOI_OTHER, address_line="Phòng 5", valid_from=date(2024, 1, 1),
        valid_until=date(2025, 12, 31), actor="t",
    )  # fmt: skip
    services.end_temporary_residence(pin=person.pin, residence_id=residence.pk, ended_on=date(2024, 6, 1), actor="t")
    residence.refresh_from_db()
    assert residence.ended_on == date(2024, 6, 1)


def test_change_name_and_removal_of_residence() -> None:
    person = factories.person(residence=HANOI_BA_DINH)
    services.change_name(
        pin=person.pin, full_name="Nguyễn Văn Bình", effective_date=date(2020, 1, 1), reason="nguyện vọng", actor="t"
    )
    refused(
        "name_unchanged",
        lambda: services.change_name(
            pin=person.pin, full_name="Nguyễn Văn Bình", effective_date=date(2021, 1, 1), reason="x", actor="t"
        ),
    )
    services.remove_permanent_residence(pin=person.pin, valid_to=date(2023, 1, 1), reason="moved", actor="t")
    person.refresh_from_db()
    assert person.full_name == "Nguyễn Văn Bình" and person.household is None
    refused(
        "permanent_residence_missing",
        lambda: services.remove_permanent_residence(pin=person.pin, valid_to=date(2023, 2, 1), reason="x", actor="t"),
    )
    assert [e.type for e in Event.objects.filter(pin=person.pin)] == [
        "person.registered",
        "residence.permanent.registered",
        "name.changed",
        "residence.permanent.removed",
    ]
