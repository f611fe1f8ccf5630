"""The shared fields take what people type and say what is wrong in words they can act on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from dancu.core.errors import DomainError
from dancu.forms import DateInputField, DoorForm, PhoneField, PinField


@pytest.mark.parametrize(
    "typed", ["001090000001", "001 090 000 001", "001.090.000.001", "001-090-000-001", " 001\u00a0090\u2013000001 "]
)
def test_a_pin_with_the_separators_people_type(typed: str) -> None:
    assert PinField().clean(typed) == "001090000001"


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("00107", "pin_malformed", "A personal ID number has 12 digits."),
        ("00109000000a", "pin_malformed", "A personal ID number has 12 digits."),
        (
            "999090000001",
            "pin_unknown_province",
            "The first 3 digits of this number are not a province code: check the number.",
        ),
        ("", "required", "Enter the personal ID number."),
    ],
)
def test_a_pin_that_cannot_be_one_is_said_so(typed: str, code: str, message: str) -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            PinField().clean(typed)
        assert (refused.value.code, refused.value.messages) == (code, [message])


@pytest.mark.parametrize("typed", ["2024-04-25", "25/04/2024", "25-04-2024", "25.04.2024", "5/4/2024 ", " 2024-4-25"])
def test_dates_as_people_write_them(typed: str) -> None:
    expected = date(2024, 4, 5) if typed.strip() == "5/4/2024" else date(2024, 4, 25)
    assert DateInputField().clean(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("31/02/2024", "date_invalid"),
        ("hôm qua", "date_invalid"),
        ("04/25/2024", "date_invalid"),
        ("01/01/1899", "date_too_early"),
    ],
)
def test_a_date_that_cannot_be_is_said_so(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        DateInputField().clean(typed)
    assert refused.value.code == code


def test_a_future_date_is_refused_with_the_field_s_code_only_where_it_cannot_be() -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    assert DateInputField().clean(tomorrow) == timezone.localdate() + timedelta(days=1)
    field = DateInputField(not_future="birth_date_in_future", future_message="The date of birth is in the future.")
    with pytest.raises(ValidationError) as refused:
        field.clean(tomorrow)
    assert (refused.value.code, refused.value.messages) == (
        "birth_date_in_future",
        ["The date of birth is in the future."],
    )
    assert field.clean(timezone.localdate().isoformat()) == timezone.localdate()


@pytest.mark.parametrize(
    "typed", ["0912345678", "0912 345 678", "+84 912 345 678", "+84912345678", "84-912-345-678", "(091) 234.5678"]
)
def test_a_phone_number_with_spaces_or_84(typed: str) -> None:
    assert PhoneField().clean(typed) == "+84912345678"


def test_a_phone_number_that_is_not_a_mobile_is_said_so() -> None:
    with translation.override("vi"):
        with pytest.raises(ValidationError) as refused:
            PhoneField().clean("0212345678")
        assert refused.value.code == "phone_invalid"
        assert refused.value.messages == ["Nhập số điện thoại di động Việt Nam, ví dụ 0912 345 678."]


class _Form(DoorForm):
    domain_messages = {"parent_not_in_registry": "Nobody has this number."}

    other_parent_pin = PinField(required=False)
    birth_certificate = PinField(required=False)


def test_a_service_refusal_lands_on_its_field_with_the_form_s_words() -> None:
    form = _Form({})
    assert form.is_valid()
    form.add_domain_error(DomainError("parent_not_in_registry", "English.", field="other_parent_pin"))
    form.add_domain_error(
        DomainError("attachment_type_invalid", "Accepted: PDF.", field="attachments.birth_certificate")
    )
    form.add_domain_error(DomainError("birth_already_registered", "Already registered."))
    assert form.errors == {
        "other_parent_pin": ["Nobody has this number."],
        "birth_certificate": ["Accepted: PDF."],
        "__all__": ["Already registered."],
    }
    assert form.has_error("other_parent_pin", "parent_not_in_registry")
