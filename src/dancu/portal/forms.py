"""The citizen portal's forms: every POST is parsed and checked here, at the edge, before a service is called.

Errors are bound to their field with a stable code (``form.has_error("pin", "pin_malformed")``); a refusal from a
service (a :class:`~dancu.core.errors.DomainError`) is bound the same way
by :meth:`dancu.forms.DoorForm.add_domain_error`.
Fields accept what people type: spaces inside ID numbers, codes and phone numbers, dates as dd/mm/yyyy or ISO.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dancu.accounts.services.contact_points import normalise_email
from dancu.core.errors import DomainError
from dancu.exchange.choices import CONSENT_FIELDS
from dancu.forms import CodeField, DateInputField, DoorForm, PhoneField, PinField, validation_error

#: The portal's forms share the doors' base (service refusals bound to their field).
PortalForm = DoorForm


class NewPasswordMixin:
    """A new password typed twice; the two must match (``password_mismatch``, on the second field). Its strength is
    checked by the service, which knows whose password it is."""

    first, second = "password", "password2"

    def _check_same(self, cleaned: dict[str, Any]) -> None:
        first, second = cleaned.get(self.first), cleaned.get(self.second)
        if first and second is not None and first != second:
            self.add_error(  # type: ignore[attr-defined]
                self.second, ValidationError(_("The passwords differ."), code="password_mismatch")
            )


# --- sign-in, registration, recovery ---------------------------------------------------------------------------------


class LoginForm(PortalForm):
    """The PIN is not checked for structure here: every failure must look the same (no enumeration)."""

    pin = PinField(check=False)
    password = forms.CharField(strip=False, max_length=4096)


class TotpCodeForm(PortalForm):
    code = CodeField()


class RegistrationForm(PortalForm):
    pin = PinField()
    full_name = forms.CharField(max_length=200)
    birth_date = DateInputField()
    card_issued_on = DateInputField()
    phone = PhoneField()


class CodeAndPasswordForm(NewPasswordMixin, PortalForm):
    """The second step of registration and of recovery: the SMS code and a new password typed twice."""

    code = CodeField()
    password = forms.CharField(strip=False, max_length=4096)
    password2 = forms.CharField(strip=False, max_length=4096)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_same(cleaned)
        return cleaned


class RecoveryForm(PortalForm):
    pin = PinField()
    phone = PhoneField()


class ChildAccountForm(PortalForm):
    child_pin = PinField()


# --- procedures ------------------------------------------------------------------------------------------------------

MAX_UPLOAD = 5 * 1024 * 1024


class AttachmentField(forms.FileField):
    """A declaration's file: at most 5 MB (``attachment_too_large``); its type is the attachment store's check."""

    default_error_messages = {"attachment_too_large": _("The file is larger than 5 MB.")}

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value.size and value.size > MAX_UPLOAD:
            raise ValidationError(self.error_messages["attachment_too_large"], code="attachment_too_large")


class BirthDeclarationForm(PortalForm):
    """Declaring a birth (the group of linked procedures); what the registry knows about the parents is prefilled
    and not sent."""

    child_full_name = forms.CharField(max_length=100)
    child_sex = forms.ChoiceField(choices=[("M", "M"), ("F", "F")])
    child_birth_date = DateInputField()
    child_birth_commune = forms.CharField(max_length=10)
    other_parent_pin = PinField(required=False)
    birth_certificate = AttachmentField(required=False)
    extract_copies = forms.IntegerField(required=False, min_value=0, max_value=10)

    def clean_extract_copies(self) -> int:
        return self.cleaned_data.get("extract_copies") or 0


class DeathDeclarationForm(PortalForm):
    """A relative declares a death; ``optional_procedures`` are the group's procedures the requester may add."""

    deceased_pin = PinField()
    death_date = DateInputField()
    death_place = forms.CharField(max_length=200)
    requester_relationship = forms.CharField(max_length=60)
    procedures = forms.MultipleChoiceField(required=False, choices=[])
    bank_account = forms.CharField(required=False, max_length=40)
    death_notice = AttachmentField(required=False)

    def __init__(self, *args: Any, optional_procedures: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedures"].choices = [(code, code) for code in optional_procedures]  # type: ignore[attr-defined]


class ResubmitForm(PortalForm):
    """The citizen's answer to a supplement request: a note and, if asked, a corrected file."""

    note = forms.CharField(required=False, max_length=1000)
    file = AttachmentField(required=False)


# --- consents --------------------------------------------------------------------------------------------------------


class ConsentGrantForm(PortalForm):
    """Consent-only fields for a connected system (which fields it may ask for is the service's check)."""

    system = forms.CharField(max_length=100)
    consent_fields = forms.MultipleChoiceField(
        choices=[(name, name) for name in sorted(CONSENT_FIELDS)],
        error_messages={"required": _("Tick the data you agree to share.")},
    )


class ConsentRevokeForm(PortalForm):
    consent = forms.IntegerField(min_value=1)


# --- security page ---------------------------------------------------------------------------------------------------


class PasswordChangeForm(NewPasswordMixin, PortalForm):
    first, second = "new", "new2"
    domain_fields = {"password": "new"}

    current = forms.CharField(strip=False, max_length=4096)
    new = forms.CharField(strip=False, max_length=4096)
    new2 = forms.CharField(strip=False, max_length=4096)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_same(cleaned)
        return cleaned


class TotpDisableForm(PortalForm):
    current = forms.CharField(strip=False, max_length=4096)


class EmailBeginForm(PortalForm):
    email = forms.CharField(max_length=320)

    def clean_email(self) -> str:
        try:
            return normalise_email(self.cleaned_data["email"])
        except DomainError as exc:
            raise validation_error(exc) from None


class NotificationChannelsForm(PortalForm):
    sms = forms.BooleanField(required=False)
    email = forms.BooleanField(required=False)


class SessionForm(PortalForm):
    session = forms.IntegerField(min_value=1)


class PasskeyForm(PortalForm):
    passkey = forms.IntegerField(min_value=1)


class ClientConsentForm(PortalForm):
    consent = forms.IntegerField(min_value=1)


class JsonObjectField(forms.Field):
    """A JSON object inside a JSON body (a WebAuthn credential); missing is an empty object, for the service to
    refuse with its own code."""

    default_error_messages = {"invalid": _("Invalid request.")}

    def to_python(self, value: Any) -> dict[str, Any]:
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise ValidationError(self.error_messages["invalid"], code="object_expected")
        return value


class PasskeyRegistrationForm(PortalForm):
    """The JSON body of a passkey registration (parsed by :func:`dancu.accounts.passkeys.parse`)."""

    credential = JsonObjectField(required=False)
    name = forms.CharField(required=False, max_length=60)


class PasskeySignInForm(PortalForm):
    credential = JsonObjectField(required=False)


class NoFieldsForm(PortalForm):
    """An action that carries nothing but its name (begin TOTP enrolment, cancel or remove the e-mail address)."""


#: The Security page's actions and the form each one's POST goes through.
SECURITY_ACTIONS: dict[str, type[PortalForm]] = {
    "password": PasswordChangeForm,
    "totp_begin": NoFieldsForm,
    "totp_confirm": TotpCodeForm,
    "totp_disable": TotpDisableForm,
    "email_begin": EmailBeginForm,
    "email_confirm": TotpCodeForm,
    "email_cancel": NoFieldsForm,
    "email_remove": NoFieldsForm,
    "notifications": NotificationChannelsForm,
    "revoke_session": SessionForm,
    "passkey_remove": PasskeyForm,
    "revoke_client": ClientConsentForm,
}


class SecurityActionForm(PortalForm):
    """Which of the Security page's forms was sent (``invalid_choice`` otherwise)."""

    action = forms.ChoiceField(
        choices=[(name, name) for name in SECURITY_ACTIONS],
        error_messages={"invalid_choice": _("Invalid request.")},
    )


class ConsentActionForm(PortalForm):
    action = forms.ChoiceField(
        choices=[("grant", "grant"), ("revoke", "revoke")], error_messages={"invalid_choice": _("Invalid request.")}
    )
