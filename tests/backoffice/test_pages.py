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
    assert "không đúng" in page.content.decode()
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
    assert "12 chữ số" in official.post("/", {"pin": "12ab"}).content.decode()


def test_person_page_shows_household_residences_history_and_as_of(official: Client) -> None:
    head = factories.person(full_name="Phan Văn Khải", residence=HANOI_BA_DINH)
    services.record_death(pin=head.pin, death_date=date(2024, 5, 5), actor="t")
    page = official.get(f"/persons/{head.pk}/").content.decode()
    for text in ("Phan Văn Khải", "Hộ gia đình", head.household.number, "Lịch sử cư trú", "death.recorded", "Đã mất"):
        assert text in page
    as_of = official.get(f"/persons/{head.pk}/", {"as_of": "2020-01-01"}).content.decode()
    assert 'data-testid="as-of-record"' in as_of
    assert "Còn sống" in as_of
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
