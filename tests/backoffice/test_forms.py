"""The back office's forms check every POST at the edge and bind each refusal to its field with a stable code."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import RequestFactory

from dancu.backoffice.forms import AsOfForm, Level2ActivationForm, OfficialLoginForm, PersonSearchForm
from tests import factories

PIN = factories.new_pin()


def test_search_by_pin_accepts_spaces() -> None:
    form = PersonSearchForm({"pin": f" {PIN[:6]} {PIN[6:]} "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["pin"] == PIN


@pytest.mark.django_db
def test_search_by_name_with_date_and_commune() -> None:
    form = PersonSearchForm({"name": " trinh cong ", "birth_date": "28/02/1989", "commune": "00004"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "pin": "", "name": "trinh cong", "birth_date": date(1989, 2, 28), "commune": "00004", "page": None
    }  # fmt: skip


def test_an_empty_search_is_valid_and_searches_nothing() -> None:
    form = PersonSearchForm({})
    assert form.is_valid() and not form.cleaned_data["pin"] and not form.cleaned_data["name"]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"pin": "12ab"}, "pin", "pin_malformed"),
        ({"pin": "999090012345"}, "pin", "pin_unknown_province"),
        ({"name": "t"}, "name", "name_too_short"),
        ({"commune": "00004"}, "name", "name_too_short"),
        ({"name": "trinh", "birth_date": "1989-02-30"}, "birth_date", "date_invalid"),
        ({"name": "trinh", "birth_date": "2099-01-01"}, "birth_date", "birth_date_in_future"),
        ({"name": "trinh", "birth_date": "01/01/1800"}, "birth_date", "date_too_early"),
        ({"name": "trinh", "commune": "99999"}, "commune", "commune_unknown"),
        ({"name": "x" * 101}, "name", "max_length"),
    ],
)
@pytest.mark.django_db
def test_search_binds_each_error_to_its_field(data: dict[str, str], field: str, code: str) -> None:
    form = PersonSearchForm(data)
    assert not form.is_valid()
    assert list(form.errors) == [field], form.errors.as_json()
    assert form.has_error(field, code)
    assert form.first_error() == form.errors[field][0]


@pytest.mark.django_db
def test_a_commune_code_as_typed() -> None:
    form = PersonSearchForm({"name": "trinh", "commune": " 4 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["commune"] == "00004"


def test_the_record_at_a_date_takes_dates_as_typed() -> None:
    form = AsOfForm({"as_of": "01/01/2020"})
    assert form.is_valid() and form.cleaned_data["as_of"] == date(2020, 1, 1)
    refused = AsOfForm({"as_of": "31/02/2020"})
    assert not refused.is_valid() and refused.has_error("as_of", "date_invalid")


def test_level2_needs_the_in_person_check() -> None:
    assert Level2ActivationForm({"card_checked": "1"}).is_valid()
    for data in ({}, {"card_checked": ""}):
        form = Level2ActivationForm(data)
        assert not form.is_valid()
        assert list(form.errors) == ["card_checked"] and form.has_error("card_checked", "in_person_check_required")


@pytest.mark.django_db
def test_official_login_form_refuses_citizens_users() -> None:
    official = factories.official("canbo-form", password="a-long-test-password")
    citizen = factories.account(password="a-long-test-password").user
    request = RequestFactory().post("/login/")
    accepted = OfficialLoginForm(request, {"username": official.username, "password": "a-long-test-password"})
    assert accepted.is_valid() and accepted.get_user() == official
    refused = OfficialLoginForm(request, {"username": citizen.username, "password": "a-long-test-password"})
    assert not refused.is_valid() and refused.has_error("__all__", "invalid_login")
