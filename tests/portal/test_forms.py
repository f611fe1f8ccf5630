"""The portal's forms check every POST at the edge: each accepts what people type (spaces in ID numbers, codes and
phone numbers; dates as dd/mm/yyyy or ISO) and binds each refusal to its field with a stable code."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from dancu.core.errors import DomainError
from dancu.portal import forms
from tests import factories

PIN = factories.new_pin()
SPACED_PIN = f"{PIN[:3]} {PIN[3:6]} {PIN[6:]}"


def _only_error(form: forms.PortalForm, field: str, code: str) -> None:
    """The form is refused with exactly one error, on ``field``, with ``code``."""
    assert not form.is_valid()
    assert list(form.errors) == [field], form.errors.as_json()
    assert form.has_error(field, code), form.errors.as_json()
    assert form.first_error() == form.errors[field][0]


def _data(valid: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {**valid, **changes}
    return {k: v for k, v in data.items() if v is not None}


# --- sign-in ---------------------------------------------------------------------------------------------------------

LOGIN = {"pin": SPACED_PIN, "password": " pass word "}


def test_login_form_keeps_the_password_as_typed_and_drops_spaces_in_the_pin() -> None:
    form = forms.LoginForm(LOGIN)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"pin": PIN, "password": " pass word "}


@pytest.mark.parametrize("field", ["pin", "password"])
def test_login_form_needs_each_field(field: str) -> None:
    _only_error(forms.LoginForm(_data(LOGIN, **{field: ""})), field, "required")


def test_an_empty_sign_in_names_each_missing_field() -> None:
    with translation.override("en"):
        form = forms.LoginForm({"pin": "", "password": ""})
        assert form.errors == {"pin": ["Enter your personal ID number."], "password": ["Enter your password."]}
    with translation.override("vi"):
        form = forms.LoginForm({"pin": "", "password": ""})
        assert form.errors == {"pin": ["Nhập số định danh cá nhân."], "password": ["Nhập mật khẩu."]}


@pytest.mark.parametrize(("pin", "code"), [("00107", "pin_malformed"), ("999090012345", "pin_unknown_province")])
def test_a_pin_that_cannot_be_one_is_said_so_at_sign_in(pin: str, code: str) -> None:
    """The structure of PINs is public: saying a 5-digit number is not one tells nothing about who has an account
    (every other failure is the service's one message)."""
    _only_error(forms.LoginForm(_data(LOGIN, pin=pin)), "pin", code)
    if code == "pin_malformed":
        with translation.override("en"):
            assert forms.LoginForm(_data(LOGIN, pin=pin)).errors["pin"] == ["A personal ID number has 12 digits."]
        with translation.override("vi"):
            assert forms.LoginForm(_data(LOGIN, pin=pin)).errors["pin"] == ["Số định danh cá nhân gồm 12 chữ số."]


@pytest.mark.parametrize("typed", ["001.090.000001", "001-090-000-001", "001\u00a0090 000 001", " 001090000001 "])
def test_a_pin_is_accepted_with_the_separators_people_type(typed: str) -> None:
    form = forms.LoginForm(_data(LOGIN, pin=typed))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["pin"] == "001090000001"


@pytest.mark.parametrize(("code", "cleaned"), [("123456", "123456"), (" 123 456 ", "123456")])
def test_code_form_accepts_six_digits_with_spaces(code: str, cleaned: str) -> None:
    form = forms.TotpCodeForm({"code": code})
    assert form.is_valid() and form.cleaned_data["code"] == cleaned


@pytest.mark.parametrize(
    ("code", "error"), [("", "required"), ("12345", "code_malformed"), ("12a456", "code_malformed")]
)
def test_code_form_refuses_what_is_not_six_digits(code: str, error: str) -> None:
    _only_error(forms.TotpCodeForm({"code": code}), "code", error)


# --- registration and recovery ---------------------------------------------------------------------------------------

REGISTRATION = {
    "pin": SPACED_PIN,
    "full_name": "Phạm Thị Hoa",
    "birth_date": "08/03/1992",
    "card_issued_on": "2021-06-01",
    "phone": "0912 345 678",
}


def test_registration_form_cleans_what_people_type() -> None:
    form = forms.RegistrationForm(REGISTRATION)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "pin": PIN,
        "full_name": "Phạm Thị Hoa",
        "birth_date": date(1992, 3, 8),
        "card_issued_on": date(2021, 6, 1),
        "phone": "+84912345678",
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("pin", "", "required"),
        ("pin", "12345", "pin_malformed"),
        ("pin", "99909001234X", "pin_malformed"),
        ("pin", "999090012345", "pin_unknown_province"),
        ("full_name", "", "required"),
        ("full_name", "x" * 201, "max_length"),
        ("birth_date", "", "required"),
        ("birth_date", "31/02/1992", "date_invalid"),
        ("card_issued_on", "yesterday", "date_invalid"),
        ("phone", "", "required"),
        ("phone", "12345", "phone_invalid"),
    ],
)
def test_registration_form_binds_each_error_to_its_field(field: str, value: str, code: str) -> None:
    _only_error(forms.RegistrationForm(_data(REGISTRATION, **{field: value})), field, code)


CODE_AND_PASSWORD = {"code": "123 456", "password": "Sen-no-ro-2024!x", "password2": "Sen-no-ro-2024!x"}


def test_code_and_password_form() -> None:
    form = forms.CodeAndPasswordForm(CODE_AND_PASSWORD)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == "123456"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("code", "", "required"),
        ("code", "1234567", "code_malformed"),
        ("password", "", "required"),
        ("password2", "", "required"),
        ("password2", "Sen-no-ro-2024!y", "password_mismatch"),
    ],
)
def test_code_and_password_form_binds_each_error_to_its_field(field: str, value: str, code: str) -> None:
    _only_error(forms.CodeAndPasswordForm(_data(CODE_AND_PASSWORD, **{field: value})), field, code)


def test_a_weak_password_refused_by_the_service_lands_on_the_password_field() -> None:
    form = forms.CodeAndPasswordForm(CODE_AND_PASSWORD)
    assert form.is_valid()
    form.add_domain_error(DomainError("password_weak", "Too short.", field="password"))
    _only_error(form, "password", "password_weak")


def test_a_refusal_that_names_no_field_is_the_whole_form_s() -> None:
    form = forms.CodeAndPasswordForm(CODE_AND_PASSWORD)
    assert form.is_valid()
    form.add_domain_error(DomainError("rate_limited", "Too many attempts."))
    assert not form.is_valid() and form.has_error("__all__", "rate_limited")
    assert form.first_error() == "Too many attempts."


RECOVERY = {"pin": SPACED_PIN, "phone": "+84 912 345 678"}


def test_recovery_form() -> None:
    form = forms.RecoveryForm(RECOVERY)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"pin": PIN, "phone": "+84912345678"}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("pin", "", "required"),
        ("pin", "0010", "pin_malformed"),
        ("phone", "", "required"),
        ("phone", "0212345678", "phone_invalid"),
    ],
)
def test_recovery_form_binds_each_error_to_its_field(field: str, value: str, code: str) -> None:
    _only_error(forms.RecoveryForm(_data(RECOVERY, **{field: value})), field, code)


def test_child_account_form() -> None:
    form = forms.ChildAccountForm({"child_pin": SPACED_PIN})
    assert form.is_valid() and form.cleaned_data == {"child_pin": PIN}
    _only_error(forms.ChildAccountForm({"child_pin": "abc"}), "child_pin", "pin_malformed")
    _only_error(forms.ChildAccountForm({}), "child_pin", "required")


# --- consents --------------------------------------------------------------------------------------------------------


def test_consent_forms() -> None:
    grant = forms.ConsentGrantForm({"system": "bank-1", "consent_fields": ["religion", "ethnicity"]})
    assert grant.is_valid(), grant.errors
    assert sorted(grant.cleaned_data["consent_fields"]) == ["ethnicity", "religion"]
    _only_error(forms.ConsentGrantForm({"consent_fields": ["religion"]}), "system", "required")
    _only_error(forms.ConsentGrantForm({"system": "bank-1"}), "consent_fields", "required")
    _only_error(
        forms.ConsentGrantForm({"system": "bank-1", "consent_fields": ["salary"]}), "consent_fields", "invalid_choice"
    )
    revoke = forms.ConsentRevokeForm({"consent": "7"})
    assert revoke.is_valid() and revoke.cleaned_data == {"consent": 7}
    _only_error(forms.ConsentRevokeForm({"consent": "x"}), "consent", "invalid")
    _only_error(forms.ConsentRevokeForm({"consent": "0"}), "consent", "min_value")
    assert forms.ConsentActionForm({"action": "grant"}).is_valid()
    _only_error(forms.ConsentActionForm({"action": "steal"}), "action", "invalid_choice")


# --- security page ---------------------------------------------------------------------------------------------------

PASSWORD_CHANGE = {"current": "old-Password-1", "new": "Cay-tre-xanh-2025", "new2": "Cay-tre-xanh-2025"}


def test_password_change_form() -> None:
    assert forms.PasswordChangeForm(PASSWORD_CHANGE).is_valid()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("current", "", "required"),
        ("new", "", "required"),
        ("new2", "", "required"),
        ("new2", "other", "password_mismatch"),
    ],
)
def test_password_change_form_binds_each_error_to_its_field(field: str, value: str, code: str) -> None:
    _only_error(forms.PasswordChangeForm(_data(PASSWORD_CHANGE, **{field: value})), field, code)


def test_password_change_form_puts_the_service_s_password_errors_on_the_new_password() -> None:
    form = forms.PasswordChangeForm(PASSWORD_CHANGE)
    assert form.is_valid()
    form.add_domain_error(DomainError("password_weak", "Too common.", field="password"))
    _only_error(form, "new", "password_weak")
    form = forms.PasswordChangeForm(PASSWORD_CHANGE)
    assert form.is_valid()
    form.add_domain_error(DomainError("password_wrong", "The current password is wrong.", field="current"))
    _only_error(form, "current", "password_wrong")


def test_email_form_normalises_the_address() -> None:
    form = forms.EmailBeginForm({"email": " Lan.Do@Example.VN "})
    assert form.is_valid() and form.cleaned_data["email"] == "Lan.Do@example.vn"
    _only_error(forms.EmailBeginForm({"email": "lan@"}), "email", "email_invalid")
    _only_error(forms.EmailBeginForm({"email": ""}), "email", "required")


def test_the_smaller_security_forms() -> None:
    channels = forms.NotificationChannelsForm({"sms": "on"})
    assert channels.is_valid() and channels.cleaned_data == {"sms": True, "email": False}
    assert forms.TotpDisableForm({"current": "x"}).is_valid()
    _only_error(forms.TotpDisableForm({}), "current", "required")
    for form_class, field in (
        (forms.SessionForm, "session"),
        (forms.PasskeyForm, "passkey"),
        (forms.ClientConsentForm, "consent"),
    ):
        assert form_class({field: "3"}).is_valid()
        _only_error(form_class({field: ""}), field, "required")
        _only_error(form_class({field: "three"}), field, "invalid")
    assert forms.NoFieldsForm({}).is_valid()


def test_every_security_action_has_a_form() -> None:
    for action, form_class in forms.SECURITY_ACTIONS.items():
        assert forms.SecurityActionForm({"action": action}).is_valid()
        assert issubclass(form_class, forms.PortalForm)
    _only_error(forms.SecurityActionForm({"action": "drop_tables"}), "action", "invalid_choice")
    _only_error(forms.SecurityActionForm({}), "action", "required")


def test_a_domain_error_becomes_a_validation_error_with_its_code() -> None:
    field = forms.PinField()
    with pytest.raises(ValidationError) as refused:
        field.clean("12")
    assert refused.value.code == "pin_malformed"
    assert field.clean(" 0 0 1 " + PIN[3:]) == "001" + PIN[3:]


def test_passkey_forms_take_the_parsed_json_body() -> None:
    registration = forms.PasskeyRegistrationForm({"credential": {"id": "x"}, "name": "my phone"})
    assert registration.is_valid() and registration.cleaned_data == {"credential": {"id": "x"}, "name": "my phone"}
    empty = forms.PasskeySignInForm({})
    assert empty.is_valid() and empty.cleaned_data == {"credential": {}}, "the service refuses it with its own code"
    _only_error(forms.PasskeySignInForm({"credential": ["x"]}), "credential", "object_expected")
    _only_error(forms.PasskeyRegistrationForm({"credential": "x"}), "credential", "object_expected")
    _only_error(forms.PasskeyRegistrationForm({"name": "n" * 61}), "name", "max_length")


# --- procedures ------------------------------------------------------------------------------------------------------

BIRTH = {
    "child_full_name": "Trần Bảo Ngọc",
    "child_sex": "F",
    "child_birth_date": "02/12/2026",
    "child_birth_commune": "00004",
    "other_parent_pin": "",
    "extract_copies": "",
}


def _pdf(size: int = 10) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cs.pdf", b"%PDF-" + b"%" * size, content_type="application/pdf")


def test_birth_declaration_form() -> None:
    form = forms.BirthDeclarationForm(_data(BIRTH, other_parent_pin=SPACED_PIN), {"birth_certificate": _pdf()})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["child_birth_date"] == date(2026, 12, 2)
    assert form.cleaned_data["other_parent_pin"] == PIN and form.cleaned_data["extract_copies"] == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("child_full_name", "", "required"),
        ("child_sex", "X", "invalid_choice"),
        ("child_birth_date", "2026-13-01", "date_invalid"),
        ("child_birth_commune", "", "required"),
        ("other_parent_pin", "0011", "pin_malformed"),
        ("extract_copies", "-1", "min_value"),
        ("extract_copies", "many", "invalid"),
    ],
)
def test_birth_declaration_form_binds_each_error_to_its_field(field: str, value: str, code: str) -> None:
    _only_error(forms.BirthDeclarationForm(_data(BIRTH, **{field: value}), {"birth_certificate": _pdf()}), field, code)


def test_a_file_over_5_mb_is_refused_on_its_field() -> None:
    big = _pdf(forms.MAX_UPLOAD + 1)
    _only_error(
        forms.BirthDeclarationForm(BIRTH, {"birth_certificate": big}), "birth_certificate", "attachment_too_large"
    )
    with translation.override("en"):
        refused = forms.BirthDeclarationForm(BIRTH, {"birth_certificate": big})
        assert refused.errors["birth_certificate"] == ["The file is larger than 5 MB."]
    _only_error(forms.ResubmitForm({}, {"file": _pdf(forms.MAX_UPLOAD + 1)}), "file", "attachment_too_large")
    assert forms.ResubmitForm({"note": "Đã chụp lại"}, {"file": _pdf()}).is_valid()


DEATH = {
    "deceased_pin": SPACED_PIN,
    "death_date": "2026-12-01",
    "death_place": "Tại nhà",
    "requester_relationship": "cháu",
    "procedures": ["funeral-allowance"],
    "bank_account": "0011001234567",
}
OPTIONAL = ("funeral-allowance", "survivor-benefit")


def test_death_declaration_form() -> None:
    from django.utils.datastructures import MultiValueDict

    form = forms.DeathDeclarationForm(
        MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in DEATH.items()}),
        {"death_notice": _pdf()},
        optional_procedures=OPTIONAL,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["deceased_pin"] == PIN and form.cleaned_data["procedures"] == ["funeral-allowance"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("deceased_pin", "", "required"),
        ("deceased_pin", "1234", "pin_malformed"),
        ("death_date", "hôm qua", "date_invalid"),
        ("death_place", "", "required"),
        ("requester_relationship", "", "required"),
        ("procedures", ["death-registration"], "invalid_choice"),
        ("bank_account", "1" * 41, "max_length"),
    ],
)
def test_death_declaration_form_binds_each_error_to_its_field(field: str, value: Any, code: str) -> None:
    form = forms.DeathDeclarationForm(
        _data(DEATH, **{field: value}), {"death_notice": _pdf()}, optional_procedures=OPTIONAL
    )
    _only_error(form, field, code)


def test_the_funeral_allowance_needs_a_bank_account() -> None:
    from django.utils.datastructures import MultiValueDict

    data = MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in _data(DEATH, bank_account="").items()})
    form = forms.DeathDeclarationForm(data, {"death_notice": _pdf()}, optional_procedures=OPTIONAL)
    _only_error(form, "bank_account", "field_required")
    data.setlist("procedures", ["survivor-benefit"])
    assert forms.DeathDeclarationForm(data, {"death_notice": _pdf()}, optional_procedures=OPTIONAL).is_valid()


def test_a_required_file_is_missing_only_if_neither_sent_nor_held() -> None:
    held = {"birth_certificate": {"name": "cs.pdf", "size": 10, "content_type": "application/pdf", "sha256": "0" * 64}}
    assert forms.BirthDeclarationForm(BIRTH, held=held).is_valid()
    _only_error(forms.BirthDeclarationForm(BIRTH), "birth_certificate", "attachment_required")
    _only_error(
        forms.BirthDeclarationForm(BIRTH, {"birth_certificate": _bad()}, held=held),
        "birth_certificate",
        "attachment_type_invalid",
    )


def _bad() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cs.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")


def test_several_errors_at_once() -> None:
    future = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    form = forms.BirthDeclarationForm(_data(BIRTH, child_full_name="", child_birth_date=future, other_parent_pin="12"))
    assert not form.is_valid()
    assert {field: [e.code for e in errors] for field, errors in form.errors.as_data().items()} == {
        "child_full_name": ["required"],
        "child_birth_date": ["birth_date_in_future"],
        "other_parent_pin": ["pin_malformed"],
        "birth_certificate": ["attachment_required"],
    }
