"""The officials' web API keeps each official within their area (commune, province, or the whole country), answers
a record outside it exactly as one that does not exist, and records every read for the person it shows."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest
from django.test import Client

from dancu.exchange.access import AccessChannel, records_of
from dancu.geo.models import Commune, Era
from dancu.registry.models import Person
from tests import factories
from tests.factories import HANOI_BA_DINH, HANOI_OTHER

pytestmark = pytest.mark.django_db

NOBODY = "001090999999"  # a well-formed PIN nobody has
READS = ("lookup", "residences", "history", "as-of")


def _client(username: str, role: str, area: str) -> Client:
    factories.official(username, role=role, area=area, password="a-long-test-password")
    token = base64.b64encode(f"{username}:a-long-test-password".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


def _read(client: Client, what: str, pin: str) -> Any:
    body: dict[str, str] = {"pin": pin} if what != "as-of" else {"pin": pin, "date": "2024-01-01"}
    return client.post(f"/api/v1/persons/{what}", body, content_type="application/json")


def _search(client: Client, name: str) -> set[str]:
    response = client.post("/api/v1/persons/search", {"name": name}, content_type="application/json")
    assert response.status_code == 200, response.json()
    return {p["pin"] for p in response.json()}


@pytest.fixture
def people() -> dict[str, Person]:
    """Three people named alike: in Phường Ba Đình, in another commune of Hà Nội, and in another province."""
    elsewhere = Commune.objects.filter(era=Era.CURRENT).exclude(province__code="01").order_by("code").first()
    assert elsewhere is not None
    return {
        "ba_dinh": factories.person(residence=HANOI_BA_DINH, full_name="Phùng Văn Một"),
        "ngoc_ha": factories.person(residence=HANOI_OTHER, full_name="Phùng Văn Hai"),
        "province": factories.person(residence=elsewhere.code, full_name="Phùng Văn Ba"),
    }


def test_a_commune_official_reads_only_their_commune_and_learns_nothing_of_the_rest(
    people: dict[str, Person],
) -> None:
    commune = _client("hotich-api", "civil_status_officer", HANOI_BA_DINH)
    for what in READS:
        assert _read(commune, what, people["ba_dinh"].pin).status_code == 200, what
        answers = [_read(commune, what, pin) for pin in (people["ngoc_ha"].pin, people["province"].pin, NOBODY)]
        # Elsewhere and nowhere: one answer, the same code and message, nothing about the person.
        assert {(a.status_code, a.json()["code"], a.json()["message"]) for a in answers} == {
            (403, "person_out_of_area", answers[0].json()["message"])
        }, what
        for answer, person in zip(answers, (people["ngoc_ha"], people["province"]), strict=False):
            assert person.full_name not in answer.content.decode() and person.pin not in answer.content.decode()
    assert _search(commune, "phung van") == {people["ba_dinh"].pin}
    household = people["ngoc_ha"].household
    assert household is not None
    refused = commune.get(f"/api/v1/households/{household.number}")
    missing = commune.get(f"/api/v1/households/{HANOI_BA_DINH}9999999")
    assert (refused.status_code, refused.json()) == (missing.status_code, missing.json())
    assert refused.json()["code"] == "household_out_of_area"
    assert commune.get(f"/api/v1/households/{people['ba_dinh'].household.number}").status_code == 200


def test_a_province_official_reads_the_province(people: dict[str, Person]) -> None:
    province = _client("cutru-tinh", "residence_officer", "01")
    for what in READS:
        assert _read(province, what, people["ba_dinh"].pin).status_code == 200
        assert _read(province, what, people["ngoc_ha"].pin).status_code == 200
        assert _read(province, what, people["province"].pin).json()["code"] == "person_out_of_area"
        assert _read(province, what, NOBODY).json()["code"] == "person_out_of_area"
    assert _search(province, "phung") == {people["ba_dinh"].pin, people["ngoc_ha"].pin}
    assert province.get(f"/api/v1/households/{people['ngoc_ha'].household.number}").status_code == 200
    assert province.get(f"/api/v1/households/{people['province'].household.number}").status_code == 403
    assert province.get("/api/v1/events").json()["code"] == "event_log_national_only"


def test_a_national_official_reads_everyone_and_is_told_what_does_not_exist(people: dict[str, Person]) -> None:
    national = _client("tracuu-tw", "viewer", "national")
    for what in READS:
        for person in people.values():
            assert _read(national, what, person.pin).status_code == 200
        missing = _read(national, what, NOBODY)
        assert (missing.status_code, missing.json()["code"]) == (404, "person_not_found")
    assert _search(national, "phung") == {p.pin for p in people.values()}
    assert national.get("/api/v1/households/000000000000").json()["code"] == "household_not_found"


def test_an_official_without_an_area_reads_nothing(people: dict[str, Person]) -> None:
    from dancu.backoffice.services import ensure_roles

    factories.official("no-area", password="a-long-test-password").groups.add(ensure_roles()["viewer"])
    token = base64.b64encode(b"no-area:a-long-test-password").decode()
    unbound = Client(HTTP_AUTHORIZATION=f"Basic {token}")
    answer = _read(unbound, "lookup", people["ba_dinh"].pin)
    assert (answer.status_code, answer.json()["code"]) == (403, "official_not_bound")
    assert unbound.post("/api/v1/persons/search", {"name": "phung"}, content_type="application/json").json()[
        "code"
    ] == ("official_not_bound")


def test_every_read_is_recorded_for_the_person_it_shows(people: dict[str, Person]) -> None:
    factories.official(
        "hotich-ghi", role="civil_status_officer", area=HANOI_BA_DINH, password="a-long-test-password",
        first_name="Thị Hồng", last_name="Nguyễn",
    )  # fmt: skip
    client = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hotich-ghi:a-long-test-password").decode())
    person = people["ba_dinh"]
    assert _read(client, "lookup", person.pin).status_code == 200
    (record,) = records_of(person.pin)
    assert (record.channel, record.purpose) == (AccessChannel.BACK_OFFICE, "person_record")
    assert (record.organisation, record.actor) == ("UBND Phường Ba Đình", "Nguyễn Thị Hồng")
    assert {"pin", "full_name", "permanent_address", "household"} <= set(record.fields)
    _read(client, "lookup", people["ngoc_ha"].pin)  # refused: nothing was read, nothing is recorded
    assert records_of(people["ngoc_ha"].pin) == []
    _read(client, "lookup", person.pin)  # the same official reading the same again within minutes: one view
    assert len(records_of(person.pin)) == 1
    _read(client, "history", person.pin)  # other data: recorded with what it showed
    assert set(records_of(person.pin)[0].fields) == {"record_history"}
    other = _client("tracuu-ghi", "viewer", "national")
    _search(other, "phung")
    assert [r.organisation for r in records_of(people["province"].pin)] == [
        "Cục Cảnh sát quản lý hành chính về trật tự xã hội (C06)"
    ]
    assert len(records_of(person.pin)) == 3
    household = people["ngoc_ha"].household
    _client("cutru-ghi", "residence_officer", HANOI_OTHER).get(f"/api/v1/households/{household.number}")
    seen = records_of(people["ngoc_ha"].pin)[0]  # after the national search's
    assert (seen.purpose, seen.organisation) == ("household_record", "Công an Phường Ngọc Hà")
    assert "household" in seen.fields


def _write(client: Client, what: str, body: dict[str, Any]) -> tuple[int, str]:
    """A write's status and code; a refusal writes nothing (no person, no event)."""
    from dancu.events.models import Event

    before = (Person.objects.count(), Event.objects.count())
    response = client.post(f"/api/v1/{what}", body, content_type="application/json")
    if response.status_code >= 400:
        assert (Person.objects.count(), Event.objects.count()) == before, what
    answer = response.json()
    return response.status_code, answer.get("code", "") if isinstance(answer, dict) else ""


def test_a_commune_official_registers_what_happens_in_their_commune(people: dict[str, Person]) -> None:
    """The office of the place registers: a birth, a residence where they are (a move in from another province too),
    a death, a name change, a removal of a person of the commune, a marriage where either party lives."""
    hotich = _client("hotich-w", "civil_status_officer", HANOI_BA_DINH)
    cutru = _client("cutru-w", "residence_officer", HANOI_BA_DINH)
    mother = factories.person(sex="F", birth_date=date(1994, 4, 4), residence=HANOI_BA_DINH)
    birth = {"full_name": "Phùng Bảo An", "sex": "F", "birth_date": "2025-09-01", "mother_pin": mother.pin}
    assert _write(hotich, "births", {**birth, "birth_commune": HANOI_BA_DINH})[0] == 201
    # Born elsewhere, registered here: the registration's commune is what counts.
    elsewhere = {**birth, "birth_commune": HANOI_OTHER}
    assert _write(hotich, "births", {**elsewhere, "registration_commune": HANOI_BA_DINH})[0] == 201
    assert _write(hotich, "births", elsewhere) == (403, "commune_out_of_area")
    assert _write(hotich, "births", {**elsewhere, "registration_commune": HANOI_OTHER}) == (403, "commune_out_of_area")

    mover = people["province"]  # from another province, moving into Ba Đình: the destination's office registers
    assert _write(cutru, "permanent-residences/removal", {"pin": mover.pin, "valid_to": "2025-01-01",
                  "reason": "moved"}) == (403, "person_out_of_area")  # fmt: skip
    removal = {"pin": mover.pin, "valid_to": "2025-01-01", "reason": "moved"}
    assert (
        _write(_client("cutru-tw", "residence_officer", "national"), "permanent-residences/removal", removal)[0] == 200
    )
    move_in = {"pin": mover.pin, "address_line": "Số 1 Đội Cấn", "valid_from": "2025-01-02"}
    assert _write(cutru, "permanent-residences", {**move_in, "commune": HANOI_OTHER}) == (403, "commune_out_of_area")
    assert _write(cutru, "permanent-residences", {**move_in, "commune": HANOI_BA_DINH})[0] == 201
    stay = {"pin": people["ngoc_ha"].pin, "address_line": "Số 2 Đội Cấn", "valid_from": "2025-02-01",
            "valid_until": "2025-12-31"}  # fmt: skip
    assert _write(cutru, "temporary-residences", {**stay, "commune": HANOI_BA_DINH})[0] == 201
    assert _write(cutru, "temporary-residences", {**stay, "commune": HANOI_OTHER}) == (403, "commune_out_of_area")

    rename = {"full_name": "Phùng Văn Bốn", "effective_date": "2025-03-01", "reason": "Theo quyết định"}
    assert _write(hotich, "name-changes", {**rename, "pin": people["ngoc_ha"].pin}) == (403, "person_out_of_area")
    assert _write(hotich, "name-changes", {**rename, "pin": people["ba_dinh"].pin})[0] == 200
    bride = factories.person(sex="F", birth_date=date(1992, 2, 2), residence=HANOI_OTHER)
    groom = factories.person(birth_date=date(1991, 1, 1), residence=HANOI_OTHER)
    marriage = {"pin_a": groom.pin, "pin_b": bride.pin, "marriage_date": "2025-04-01"}
    assert _write(hotich, "marriages", marriage) == (403, "person_out_of_area")  # neither lives in Ba Đình
    local_groom = factories.person(birth_date=date(1991, 1, 1), residence=HANOI_BA_DINH)
    assert _write(hotich, "marriages", {**marriage, "pin_a": local_groom.pin})[0] == 201
    death = {"death_date": "2025-05-01"}
    assert _write(hotich, "deaths", {**death, "pin": people["ngoc_ha"].pin}) == (403, "person_out_of_area")
    assert _write(hotich, "deaths", {**death, "pin": NOBODY}) == (403, "person_out_of_area")  # nothing told
    assert _write(hotich, "deaths", {**death, "pin": people["ba_dinh"].pin})[0] == 200


def test_the_initial_load_is_national() -> None:
    load = {"pin": "001090000777", "full_name": "Phùng Văn Năm", "sex": "M", "birth_date": "1990-01-01"}
    province = _client("hotich-tinh", "civil_status_officer", "01")
    assert _write(province, "persons", load) == (403, "initial_load_national_only")
    assert _write(_client("hotich-tw", "civil_status_officer", "national"), "persons", load)[0] == 201


def test_a_province_official_registers_across_its_communes(people: dict[str, Person]) -> None:
    province = _client("cutru-ha-noi", "residence_officer", "01")
    stay = {"pin": people["province"].pin, "address_line": "Số 3 Đội Cấn", "valid_from": "2025-02-01",
            "valid_until": "2025-12-31"}  # fmt: skip
    assert _write(province, "temporary-residences", {**stay, "commune": HANOI_OTHER})[0] == 201
    outside = people["province"].household
    assert outside is not None
    assert _write(province, "temporary-residences", {**stay, "commune": outside.commune.code}) == (
        403, "commune_out_of_area",
    )  # fmt: skip
