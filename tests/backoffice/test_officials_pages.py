"""The officials' pages keep them in their agency and area, make them take a dossier and confirm before deciding,
and show dossiers, queues and search results as people read them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from dancu.procedures import linked
from dancu.procedures.models import Dossier, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


def _dossiers_in(commune: str, child: str = "Vũ Minh An") -> dict[str, Dossier]:
    mother = factories.person(sex="F", birth_date=date(1995, 4, 2), residence=commune, full_name="Đỗ Thị Lan")
    father = factories.person(sex="M", birth_date=date(1993, 9, 9), full_name="Vũ Minh Đức")
    return factories.dossiers_by_procedure(
        factories.birth_case(factories.account(mother), father, child_full_name=child)
    )


def _client(username: str, role: str, **kwargs: Any) -> Client:
    client = Client()
    client.force_login(factories.official(username, role=role, **kwargs))
    return client


def test_an_official_of_commune_a_cannot_open_or_act_on_a_dossier_of_commune_b() -> None:
    theirs = _dossiers_in(factories.HANOI_OTHER)[linked.BIRTH]
    hotich = _client("hotich-a", "civil_status_officer")  # Phường Ba Đình
    page = hotich.get(f"/ho-so/{theirs.pk}/")
    assert page.status_code == 403
    text = page.content.decode()
    assert "ngoài địa bàn bạn phụ trách" in text
    assert theirs.number not in text and "Vũ Minh An" not in text and "Đỗ Thị Lan" not in text
    for action in ("assign", "approve"):
        response = hotich.post(f"/ho-so/{theirs.pk}/thao-tac/", {"action": action, "confirm": "on"})
        assert response.status_code == 403
    assert hotich.get(f"/ho-so/{theirs.pk}/tep/{theirs.attachments.get().pk}/").status_code == 403
    theirs.refresh_from_db()
    assert (theirs.status, theirs.assigned_to) == (Status.RECEIVED, None)
    assert theirs.number not in hotich.get("/ho-so/").content.decode()


def test_people_and_households_outside_the_area_are_refused() -> None:
    inside = factories.person(full_name="Nguyễn Thị Hồng", sex="F", residence=factories.HANOI_BA_DINH)
    outside = factories.person(full_name="Nguyễn Thị Hồng", sex="F", residence=factories.HANOI_OTHER)
    hotich = _client("hotich-p", "civil_status_officer")
    assert hotich.get(f"/persons/{inside.pk}/").status_code == 200
    refused = hotich.get(f"/persons/{outside.pk}/")
    assert refused.status_code == 403 and outside.pin not in refused.content.decode()
    assert hotich.get(f"/households/{outside.household.number}/").status_code == 403
    assert hotich.get(f"/households/{inside.household.number}/").status_code == 200
    tinh = _client("tracuu-tinh", "viewer", area="01")
    assert tinh.get(f"/persons/{outside.pk}/").status_code == 200


def _person_rows_asked(queries: list[dict[str, Any]], person: Any) -> int:
    """How many statements asked for the person row by its id (whether it exists, whether it is of the area...)."""
    by_id = re.compile(rf'"registry_person"\."id" = (%s|{person.pk})\b')
    return sum(1 for q in queries if 'FROM "registry_person"' in q["sql"] and by_id.search(q["sql"]))


@pytest.mark.parametrize("area", [factories.HANOI_BA_DINH, "01", "national"])
def test_the_person_page_asks_for_the_person_once(area: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = factories.person(residence=factories.HANOI_BA_DINH)
    viewer = _client(f"tracuu-{area}", "viewer", area=area)
    viewer.get("/")  # the session and the account's permissions, once
    with CaptureQueriesContext(connection) as queries:
        assert viewer.get(f"/persons/{person.pk}/").status_code == 200
    assert _person_rows_asked(queries.captured_queries, person) == 1


def test_the_person_page_says_missing_and_refused_apart_and_keeps_people_who_moved_away() -> None:
    from dancu.registry.services import residence

    moved = factories.person(residence=factories.HANOI_BA_DINH)
    residence.remove_permanent_residence(pin=moved.pin, valid_to=date(2024, 1, 1), reason="moved", actor="test")
    residence.register_permanent_residence(
        pin=moved.pin, commune=factories.HANOI_OTHER, address_line="Số 2", valid_from=date(2024, 1, 2), actor="test"
    )
    hotich = _client("hotich-m", "civil_status_officer")  # Phường Ba Đình
    assert hotich.get(f"/persons/{moved.pk}/").status_code == 200  # lived here: still of the area's records
    assert hotich.get("/persons/987654321/").status_code == 404
    stranger = factories.person(residence=factories.HANOI_OTHER)
    assert hotich.get(f"/persons/{stranger.pk}/").status_code == 403


def test_approve_needs_the_dossier_taken_and_a_confirmation() -> None:
    birth = _dossiers_in(factories.HANOI_BA_DINH)[linked.BIRTH]
    hotich = _client("hotich-c", "civil_status_officer")
    page = hotich.get(f"/ho-so/{birth.pk}/").content.decode()
    assert 'id="approve"' not in page and 'id="take"' in page  # no approval before the dossier is taken
    hotich.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "approve"})
    hotich.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "assign"})
    page = hotich.get(f"/ho-so/{birth.pk}/").content.decode()
    assert 'id="approve"' in page and 'id="confirm-approve"' in page
    assert "đăng ký khai sinh cho Vũ Minh An" in page  # what approving will do, for whom
    page = hotich.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "approve"}, follow=True).content.decode()
    assert "xác nhận quyết định" in page
    birth.refresh_from_db()
    assert birth.status == Status.RECEIVED
    other = _client("hotich-d", "civil_status_officer")
    other.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "approve", "confirm": "on"})
    birth.refresh_from_db()
    assert birth.status == Status.RECEIVED  # not theirs
    hotich.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "approve", "confirm": "on"})
    birth.refresh_from_db()
    assert birth.status == Status.RESULT_ISSUED


def test_the_dossier_page_shows_labels_names_and_a_readable_history() -> None:
    dossiers = _dossiers_in(factories.HANOI_BA_DINH, "Vũ Minh Khang")
    birth = dossiers[linked.BIRTH]
    hotich = _client("hotich-h", "civil_status_officer", first_name="Thị Hồng", last_name="Nguyễn")
    hotich.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "assign"})
    hotich.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "approve", "confirm": "on"})
    page = hotich.get(f"/ho-so/{birth.pk}/").content.decode()
    for shown in ("Họ, chữ đệm, tên của trẻ", "Vũ Minh Khang", "Phường Ba Đình, Thành phố Hà Nội", "Hệ thống",
                  "Người nộp", "Cán bộ Nguyễn Thị Hồng, UBND Phường Ba Đình", "/ket-qua/",
                  "Giấy chứng sinh"):  # fmt: skip
        assert shown in page, shown
    for hidden in (
        "child_full_name",
        "requester_relationship",
        "birth_certificate",
        str(birth.applicant_id),
        "{&#x27;",
    ):
        assert hidden not in page, hidden
    bhxh = _client("bhxh-h", "social_insurance_officer")
    from dancu.procedures import consumers

    consumers.follow()
    insurance = bhxh.get(f"/ho-so/{dossiers[linked.INSURANCE].pk}/").content.decode()
    assert 'id="group-declaration"' in insurance and "Vũ Minh Khang" in insurance


def test_the_queue_names_people_and_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    from dancu.procedures import desk

    monkeypatch.setattr(desk, "PAGE_SIZE", 1)
    _dossiers_in(factories.HANOI_BA_DINH, "Vũ An")
    _dossiers_in(factories.HANOI_BA_DINH, "Vũ Bình")
    hotich = _client("hotich-q", "civil_status_officer")
    page = hotich.get("/ho-so/").content.decode()
    assert "Đỗ Thị Lan" in page and "Đăng ký khai sinh" in page and "Phường Ba Đình" in page
    assert "2 hồ sơ" in page and "Trang 1/2" in page
    second = hotich.get("/ho-so/?status=open&order=due&page=2").content.decode()
    assert "Trang 2/2" in second
    assert ("Vũ An" in page) != ("Vũ An" in second)
    assert hotich.get("/ho-so/?page=x&status=nonsense&order=nonsense").status_code == 200


def test_name_search_matches_any_word_pages_and_stays_in_the_area(monkeypatch: pytest.MonkeyPatch) -> None:
    from dancu.backoffice import views

    monkeypatch.setattr(views, "SEARCH_PAGE_SIZE", 1)
    for birth_year in (1990, 1991):
        factories.person(full_name="Nguyễn Thị Hồng", sex="F", birth_date=date(birth_year, 1, 1), residence="00004")
    factories.person(full_name="Nguyễn Thị Hồng", sex="F", residence=factories.HANOI_OTHER)
    hotich = _client("hotich-s", "civil_status_officer")
    page = hotich.post("/", {"name": "hong"}).content.decode()
    assert 'id="results-count">2<' in page and "Nguyễn Thị Hồng" in page and "Trang 1/2" in page
    second = hotich.post("/", {"name": "hong", "page": "2"}).content.decode()
    assert "Trang 2/2" in second and "01/01/1991" in second
    national = _client("tracuu-tw", "viewer")
    assert 'id="results-count">3<' in national.post("/", {"name": "THI HONG"}).content.decode()
    assert 'id="results-count">0<' in national.post("/", {"name": "ong"}).content.decode()  # words, not letters


def test_the_queue_search_is_posted_and_a_name_in_the_address_is_ignored() -> None:
    wanted = _dossiers_in(factories.HANOI_BA_DINH, "Vũ Minh Khang")[linked.BIRTH]
    other = _dossiers_in(factories.HANOI_BA_DINH, "Vũ Bảo Ngọc")[linked.BIRTH]
    hotich = _client("hotich-f", "civil_status_officer")
    page = hotich.post("/ho-so/", {"search": "khang", "status": "open"}).content.decode()
    assert wanted.number in page and other.number not in page
    page = hotich.get("/ho-so/", {"search": "khang"}).content.decode()
    assert wanted.number in page and other.number in page  # names never come through the URL


def test_the_dossier_page_in_english() -> None:
    birth = _dossiers_in(factories.HANOI_BA_DINH, "Vũ Minh Khang")[linked.BIRTH]
    hotich = _client("hotich-en", "civil_status_officer")
    hotich.cookies["django_language"] = "en"
    page = hotich.get(f"/ho-so/{birth.pk}/").content.decode()
    for shown in ("Child&#x27;s full name", "The person concerned", "The applicant, ", "The system, ",
                  "Take the dossier", "Birth registration"):  # fmt: skip
        assert shown in page, shown
    for hidden in ("Nội dung kê khai", "Người nộp,", "Hệ thống,", "Đăng ký khai sinh"):
        assert hidden not in page, hidden
