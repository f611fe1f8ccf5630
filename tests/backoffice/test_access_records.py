"""An official who opens a person's record, their household or a dossier about them leaves a record the person sees:
the office, the official, the page, the data; once per view, not once per reload."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from dancu.backoffice import services
from dancu.exchange.access import AccessChannel, records_of
from dancu.exchange.models import AccessRecord
from dancu.procedures import linked
from tests import factories
from tests.factories import HANOI_BA_DINH

pytestmark = pytest.mark.django_db


def _client(role: str, **names: str) -> Client:
    client = Client()
    client.force_login(factories.official(role=role, **names))
    return client


def test_opening_a_person_record_is_recorded_once_per_view() -> None:
    person = factories.person(residence=HANOI_BA_DINH)
    client = _client("civil_status_officer", first_name="Hồng", last_name="Nguyễn Thị")
    assert client.get(f"/persons/{person.pk}/").status_code == 200
    assert client.get(f"/persons/{person.pk}/?as_of=2020-01-01").status_code == 200  # the same view, reloaded
    (record,) = records_of(person.pin)
    assert record.channel == AccessChannel.BACK_OFFICE
    assert record.organisation == "UBND Phường Ba Đình"
    assert record.actor == "Nguyễn Thị Hồng"
    assert record.purpose == "person_record"
    assert {"pin", "full_name", "permanent_address", "household"} <= set(record.fields)
    # Later, or by another official: a new view.
    AccessRecord.objects.update(time=record.time - services.SAME_VIEW - dt.timedelta(seconds=1))
    client.get(f"/persons/{person.pk}/")
    _client("viewer").get(f"/persons/{person.pk}/")
    assert [r.organisation for r in records_of(person.pin)][:2] == [
        "Cục Cảnh sát quản lý hành chính về trật tự xã hội (C06)",  # the viewer works nationally
        "UBND Phường Ba Đình",
    ]
    assert len(records_of(person.pin)) == 3


def test_opening_a_household_is_recorded_for_each_member() -> None:
    head = factories.person(residence=HANOI_BA_DINH)
    child = factories.person(residence=HANOI_BA_DINH)
    child.household = head.household
    child.save(update_fields=["household"])
    stranger = factories.person(residence=HANOI_BA_DINH)
    response = _client("residence_officer").get(f"/households/{head.household.number}/")
    assert response.status_code == 200
    for member in (head, child):
        (record,) = records_of(member.pin)
        assert (record.purpose, record.reference) == ("household_record", head.household.number)
        assert record.organisation == "Công an Phường Ba Đình"
    assert records_of(stranger.pin) == []


def test_opening_a_dossier_is_recorded_for_the_applicant_and_the_people_it_reused(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    mother = factories.person(sex="F", birth_date=dt.date(1995, 4, 2), residence="00004")
    father = factories.person(sex="M", birth_date=dt.date(1993, 9, 9))
    case = factories.birth_case(factories.account(mother), father)
    birth = factories.dossiers_by_procedure(case)[linked.BIRTH]
    client = _client("civil_status_officer", first_name="Hồng")
    assert client.get(f"/ho-so/{birth.pk}/").status_code == 200
    by_purpose = {r.purpose: r for r in records_of(mother.pin)}
    assert by_purpose["dossier"].reference == birth.number
    assert "dossier" in by_purpose["dossier"].fields
    (father_view,) = records_of(father.pin)
    assert father_view.reference == birth.number
    assert {"full_name", "birth_date", "permanent_address"} <= set(father_view.fields)


def test_the_official_identity_comes_from_their_office() -> None:
    official = factories.official(role="social_insurance_officer", first_name="Thanh", last_name="Võ Thị")
    assert services.official_identity(official) == services.OfficialIdentity(
        "Bảo hiểm xã hội Thành phố Hà Nội", "Võ Thị Thanh"
    )
    nobody = factories.official("khongvaitro")
    assert services.official_identity(nobody).name == "khongvaitro"
