"""One language per page: every main page of the portal and the back office, in Vietnamese and in English, shows no
text of the other language except the people's data (tests/language.py says how pages are read).

The citizen has a birth case with all three results issued, so the case, documents and notices are full; the forms
are also checked as they come back with errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import cache
from html import escape
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from dancu.accounts.models import Official
from dancu.exchange.models import AccessRecord
from dancu.geo.models import Commune
from dancu.procedures import consumers, linked
from dancu.procedures.models import Case, Document, Transition
from dancu.registry.choices import ETHNIC_GROUPS, RELIGIONS
from dancu.registry.models import Household, Person
from tests import factories
from tests.language import assert_english, assert_vietnamese

pytestmark = pytest.mark.django_db
LANGUAGES = {"vi": assert_vietnamese, "en": assert_english}


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


def _in(language: str, client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _officer(username: str, role: str) -> Client:
    client = Client()
    client.force_login(factories.official(username, role=role, first_name="Hồng", last_name="Nguyễn Thị"))
    return client


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    """A mother signed in with a finished birth case; the officers who decided it; the data shown as recorded."""
    mother = factories.person(full_name="Đỗ Thị Lan", sex="F", birth_date=date(1995, 4, 2), residence="00004")
    father = factories.person(full_name="Vũ Minh Đức", sex="M", birth_date=date(1993, 9, 9))
    account = factories.account(mother)
    case = factories.birth_case(account, father)
    dossiers = factories.dossiers_by_procedure(case)
    officers = {
        "civil_status_officer": _officer("hotich-lang", "civil_status_officer"),
        "residence_officer": _officer("cutru-lang", "residence_officer"),
        "social_insurance_officer": _officer("bhxh-lang", "social_insurance_officer"),
        "viewer": _officer("tracuu-lang", "viewer"),
    }
    for code, role in ((linked.BIRTH, "civil_status_officer"), (linked.RESIDENCE, "residence_officer")):
        _take_and_approve(officers[role], dossiers[code])
        consumers.follow()
    _take_and_approve(officers["social_insurance_officer"], dossiers[linked.INSURANCE])
    for officer in officers.values():
        officer.get("/ho-so/")  # the confirmations, shown once in the language they were made in
    citizen = Client()
    assert citizen.post("/portal/dang-nhap/", {"pin": mother.pin, "password": factories.PASSWORD}).status_code == 302
    yield {"citizen": citizen, "case": Case.objects.get(pk=case.pk), "dossiers": dossiers, "officers": officers}


def _take_and_approve(officer: Client, dossier: Any) -> None:
    """Only the officer who took a dossier decides it, and confirms the decision."""
    assert officer.post(f"/ho-so/{dossier.pk}/thao-tac/", {"action": "assign"}).status_code == 302
    response = officer.post(f"/ho-so/{dossier.pk}/thao-tac/", {"action": "approve", "confirm": "on"})
    assert response.status_code == 302


@cache
def _places() -> tuple[str, ...]:
    """Every current commune's and province's name (the birth form lists them)."""
    communes = Commune.objects.filter(era="current").select_related("province")
    names = {c.name for c in communes} | {c.province.name for c in communes} | {c.full_name for c in communes}
    return tuple(names | {c.division_type for c in communes})


def _data() -> list[str]:
    """The values shown as they are recorded: names, addresses, places, ethnic groups, religions, the reasons written
    on a dossier's history (in the language they were written in)."""
    values: list[str] = list(_places())
    values += Transition.objects.exclude(reason="").values_list("reason", flat=True)
    for names in Person.objects.values_list("full_name", "family_name", "middle_name", "given_name"):
        values += names
    values += Household.objects.values_list("address_line", flat=True)
    values += ETHNIC_GROUPS.values()
    values += RELIGIONS
    values += ["Nguyễn Thị", "Hồng"]  # the officers' names in the header
    # Offices and officials as recorded in the access history (proper names: "Bảo hiểm xã hội Thành phố Hà Nội").
    values += [office.office_name for office in Official.objects.all()]
    for organisation, actor in AccessRecord.objects.values_list("organisation", "actor"):
        values += [organisation, actor]
    values += Document.objects.values_list("title", flat=True)  # signed, as issued: both languages by design
    return values


def _check(language: str, page: str) -> None:
    LANGUAGES[language](page, data=_data())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_portal_pages_speak_one_language(language: str, world: dict[str, Any]) -> None:
    citizen = _in(language, world["citizen"])
    case = world["case"]
    pages = [
        "/portal/",
        "/portal/thu-tuc/",
        "/portal/thu-tuc/khai-sinh/",
        "/portal/thu-tuc/khai-tu/",
        f"/portal/thu-tuc/ho-so/{case.pk}/",
        "/portal/giay-to/",
        "/portal/lich-su-truy-cap/",
        "/portal/dong-y/",
        "/portal/bao-mat/",
    ]
    for url in pages:
        response = citizen.get(url)
        assert response.status_code == 200, url
        _check(language, response.content.decode())
    for url in ("/portal/dang-nhap/", "/portal/dang-ky/", "/portal/khoi-phuc/"):
        _check(language, _in(language, Client()).get(url).content.decode())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_forms_with_errors_speak_one_language(language: str, world: dict[str, Any]) -> None:
    citizen = _in(language, world["citizen"])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    birth = citizen.post(
        "/portal/thu-tuc/khai-sinh/",
        {"child_full_name": "Lý Minh Khang", "child_sex": "M", "child_birth_date": tomorrow,
         "child_birth_commune": "00004", "other_parent_pin": "12345"},
    )  # fmt: skip
    assert birth.status_code == 400
    _check(language, birth.content.decode())
    death = citizen.post("/portal/thu-tuc/khai-tu/", {"deceased_pin": "001", "death_date": tomorrow})
    assert death.status_code == 400
    _check(language, death.content.decode())
    sign_in = _in(language, Client()).post("/portal/dang-nhap/", {"pin": "001090000001", "password": "wrong"})
    _check(language, sign_in.content.decode())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_back_office_pages_speak_one_language(language: str, world: dict[str, Any]) -> None:
    officer = _in(language, world["officers"]["civil_status_officer"])
    viewer = _in(language, world["officers"]["viewer"])
    dossier = world["dossiers"][linked.BIRTH]
    mother = world["case"].applicant.person
    pages = [
        (officer, "/ho-so/"),
        (officer, "/ho-so/?status=done"),
        (officer, f"/ho-so/{dossier.pk}/"),
        (viewer, "/"),
        (viewer, f"/persons/{mother.pk}/"),
        (viewer, f"/persons/{mother.pk}/?as_of={date(2020, 1, 1).isoformat()}"),
        (viewer, f"/households/{mother.household.number}/"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _check(language, response.content.decode())
    found = viewer.post("/", {"name": "do thi lan"})
    _check(language, found.content.decode())
    refused = viewer.post("/", {"pin": "12ab"})
    _check(language, refused.content.decode())
    _check(language, _in(language, Client()).get("/login/").content.decode())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_error_pages_speak_one_language(language: str, world: dict[str, Any]) -> None:
    missing = _in(language, Client()).get("/portal/khong-co-trang-nay/")
    assert missing.status_code == 404
    _check(language, missing.content.decode())
    forbidden = _in(language, world["officers"]["viewer"]).get(f"/ho-so/{world['dossiers'][linked.BIRTH].pk}/")
    assert forbidden.status_code == 403
    _check(language, forbidden.content.decode())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_notices_follow_the_page_and_go_out_in_vietnamese(language: str, world: dict[str, Any]) -> None:
    from dancu.procedures.models import Notification

    notices = list(Notification.objects.filter(account=world["case"].applicant))
    assert len(notices) >= 4  # received, three results
    page = world["citizen"]
    _in(language, page)
    shown = page.get("/portal/thu-tuc/").content.decode()
    for notice in notices:
        assert escape(notice.display) in shown
        assert_vietnamese(notice.text, data=_data())  # as sent by SMS and e-mail
    _check(language, shown)


def test_the_api_answers_in_the_language_asked(world: dict[str, Any]) -> None:
    api: Callable[..., Any] = world["officers"]["viewer"].post
    body = {"pin": "12ab"}
    english = api("/api/v1/persons/lookup", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    vietnamese = api("/api/v1/persons/lookup", body, content_type="application/json")
    assert english.json()["code"] == vietnamese.json()["code"] == "pin_malformed"
    assert english.json()["message"] == "A personal ID number has exactly 12 digits (0-9) and nothing else."
    assert vietnamese.json()["message"] == "Số định danh cá nhân gồm đúng 12 chữ số (0-9), không có ký tự nào khác."
