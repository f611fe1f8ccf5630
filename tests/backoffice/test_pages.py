"""Back-office pages: sign-in, search, person, household; permissions."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dancu.backoffice.services import ensure_demo_officials
from dancu.registry import services
from dancu.registry.models import Person
from tests import factories
from tests.factories import HANOI_BA_DINH
from tests.forms.page import form_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(client: Client) -> Client:
    user = factories.official("canbo", role="viewer", first_name="Hồng")
    client.force_login(user)
    return client


def test_sign_in_required(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_sign_in_with_password(client: Client) -> None:
    factories.official("canbo2", password="a-long-test-password")
    page = client.post("/login/", {"username": "canbo2", "password": "wrong"})
    assert form_errors(page.content.decode()).summary == [("Tên đăng nhập hoặc mật khẩu không đúng.", "")]
    page = client.post("/login/", {"username": "canbo2", "password": "a-long-test-password"})
    assert page.status_code == 302


def test_user_without_role_is_refused(client: Client) -> None:
    client.force_login(factories.official("norole"))
    assert client.get("/").status_code == 403


def test_search_by_pin_redirects_and_by_name_lists(official: Client) -> None:
    person = factories.person(full_name="Trịnh Công Sơn", birth_date=date(1989, 2, 28), residence=HANOI_BA_DINH)
    response = official.post("/", {"pin": person.pin})
    assert response.status_code == 302
    assert response["Location"] == f"/persons/{person.pk}/"  # no PIN in the URL
    page = official.post("/", {"name": "trinh cong", "birth_date": "1989-02-28", "commune": HANOI_BA_DINH})
    text = page.content.decode()
    assert person.pin in text
    assert "Trịnh Công Sơn" in text
    assert f"/persons/{person.pk}/" in text
    refused = form_errors(official.post("/", {"pin": "12ab"}).content.decode())
    assert refused.summary == [("Số định danh cá nhân gồm 12 chữ số.", "pin")]
    assert refused.invalid == {"pin": "Lỗi: Số định danh cá nhân gồm 12 chữ số."}


def test_search_by_pin_accepts_what_people_type(official: Client) -> None:
    person = factories.person()
    typed = f"{person.pin[:3]} {person.pin[3:6]}.{person.pin[6:9]}-{person.pin[9:]}"
    assert official.post("/", {"pin": typed})["Location"] == f"/persons/{person.pk}/"


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("2099-01-01", "Ngày sinh ở tương lai."),
        ("31/02/1990", "Nhập một ngày có thật, dạng ngày/tháng/năm (ví dụ 25/04/2024)."),
        ("01/01/1850", "Ngày trước năm 1900: kiểm tra lại năm."),
    ],
)
def test_a_birth_date_that_cannot_be_is_said_so_rather_than_finding_nobody(
    official: Client, birth_date: str, message: str
) -> None:
    page = official.post("/", {"name": "trinh cong", "birth_date": birth_date}).content.decode()
    found = form_errors(page)
    assert found.summary == [(message, "birth_date")]
    assert found.invalid == {"birth_date": f"Lỗi: {message}"}
    assert "Không có ai khớp" not in page


def test_an_empty_sign_in_names_each_missing_field(client: Client) -> None:
    found = form_errors(client.post("/login/", {"username": "", "password": ""}).content.decode())
    assert found.heading == "Có lỗi"
    assert found.summary == [("Nhập tên đăng nhập.", "id_username"), ("Nhập mật khẩu.", "id_password")]
    assert found.invalid == {"id_username": "Lỗi: Nhập tên đăng nhập.", "id_password": "Lỗi: Nhập mật khẩu."}


def test_level2_without_the_in_person_check_is_refused_beside_the_box(client: Client) -> None:
    citizen = factories.account(factories.person(residence=HANOI_BA_DINH))  # within the officer's commune
    client.force_login(factories.official("canbo-cutru", role="residence_officer"))
    response = client.post(f"/persons/{citizen.person_id}/eid-level2/", {})
    assert response.status_code == 400
    found = form_errors(response.content.decode())
    assert [target for _message, target in found.summary] == ["card_checked"]
    assert list(found.invalid) == ["card_checked"]
    citizen.refresh_from_db()
    assert citizen.level == 1


def test_person_page_shows_household_residences_history_and_as_of(official: Client) -> None:
    head = factories.person(full_name="Phan Văn Khải", residence=HANOI_BA_DINH)
    services.record_death(pin=head.pin, death_date=date(2024, 5, 5), actor="t")
    page = official.get(f"/persons/{head.pk}/").content.decode()
    for text in ("Phan Văn Khải", "Hộ gia đình", head.household.number, "Lịch sử cư trú", "death.recorded", "Đã mất"):
        assert text in page
    as_of = official.get(f"/persons/{head.pk}/", {"as_of": "2020-01-01"}).content.decode()
    assert 'data-testid="as-of-record"' in as_of
    assert "Còn sống" in as_of
    typed = official.get(f"/persons/{head.pk}/", {"as_of": "01/01/2020"}).content.decode()
    assert 'data-testid="as-of-record"' in typed and 'value="2020-01-01"' in typed
    impossible = form_errors(official.get(f"/persons/{head.pk}/", {"as_of": "31/02/2020"}).content.decode())
    assert [target for _message, target in impossible.summary] == ["as_of"] and list(impossible.invalid) == ["as_of"]
    assert official.get("/persons/999999999/").status_code == 404
    assert official.get(f"/households/{head.household.number}/").status_code == 200


def test_demo_officials_are_created_once(settings: object, tmp_path: object) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    first = ensure_demo_officials()
    second = ensure_demo_officials()
    assert first == second
    assert set(first) == {"hotich", "cutru", "tracuu", "vanhanh", "bhxh"}
    assert User.objects.get(username="vanhanh").has_perm("exchange.change_connectedsystem")
    assert User.objects.get(username="tracuu").has_perm("registry.view_person")
    assert not User.objects.get(username="tracuu").has_perm("registry.change_person")


def test_security_headers(official: Client) -> None:
    response = official.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_admin_lists_are_read_only(client: Client) -> None:
    person = factories.person()
    admin = User.objects.create_superuser(username="root", password="a-long-test-password")
    client.force_login(admin)
    assert client.get("/admin/registry/person/").status_code == 200
    assert person.pin in client.get(f"/admin/registry/person/{person.pk}/change/").content.decode()
    assert client.get("/admin/registry/person/add/").status_code == 403
    assert client.get("/admin/events/event/").status_code == 200
    response = client.post(f"/admin/registry/person/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()
