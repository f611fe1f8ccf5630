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
from dancu.procedures import attachments

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
    """Each missing field is named, and a PIN that cannot be one (not 12 digits, no such province) is said so: the
    structure of PINs is public, so this tells nothing about who has an account. Every other failure (no account,
    wrong password, paused) gets the service's one message (no enumeration)."""

    domain_messages = {
        "sign_in_failed": _(
            "The personal ID number or the password is wrong. After several failures, sign-in pauses for a while."
        )
    }

    pin = PinField(error_messages={"required": _("Enter your personal ID number.")})
    password = forms.CharField(strip=False, max_length=4096, error_messages={"required": _("Enter your password.")})


class TotpCodeForm(PortalForm):
    domain_messages = {
        "totp_invalid": _("The code is wrong: type the code your authenticator app shows now."),
        "totp_reused": _(
            "This code was already used. Wait for the next code in your app (a new one every 30 seconds)."
        ),
    }

    code = CodeField(error_messages={"required": _("Enter the 6-digit code from your authenticator app.")})


class RegistrationForm(PortalForm):
    pin = PinField(error_messages={"required": _("Enter your personal ID number.")})
    full_name = forms.CharField(max_length=200, error_messages={"required": _("Enter your full name.")})
    birth_date = DateInputField(
        not_future="birth_date_in_future",
        future_message=_("The date of birth is in the future."),
        error_messages={"required": _("Enter your date of birth.")},
    )
    card_issued_on = DateInputField(
        not_future="date_in_future",
        future_message=_("The card's issue date is in the future."),
        error_messages={"required": _("Enter the date your card was issued.")},
    )
    phone = PhoneField()


class CodeAndPasswordForm(NewPasswordMixin, PortalForm):
    """The second step of registration and of recovery: the SMS code and a new password typed twice."""

    code = CodeField(error_messages={"required": _("Enter the code from the SMS.")})
    password = forms.CharField(strip=False, max_length=4096, error_messages={"required": _("Choose a password.")})
    password2 = forms.CharField(
        strip=False, max_length=4096, error_messages={"required": _("Type the password again.")}
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_same(cleaned)
        return cleaned


class RecoveryForm(PortalForm):
    pin = PinField(error_messages={"required": _("Enter your personal ID number.")})
    phone = PhoneField(error_messages={"required": _("Enter the account's phone number.")})


class ChildAccountForm(PortalForm):
    domain_fields = {"": "child_pin"}  # "the child already has an account" is about the number typed
    domain_messages = {
        "not_your_child": _("The population database does not list you as this child's parent: check the number."),
        "child_not_under_6": _("From 6 years old a child creates their own account."),
        "account_exists": _("This child already has an account."),
    }

    child_pin = PinField(error_messages={"required": _("Enter your child's personal ID number.")})


# --- procedures ------------------------------------------------------------------------------------------------------

MAX_UPLOAD = 5 * 1024 * 1024


class AttachmentField(forms.FileField):
    """A declaration's file: at most 5 MB (``attachment_too_large``), a PDF, JPEG or PNG by its first bytes
    (``attachment_type_invalid``, the attachment store's own check, made here too so that it is reported with the
    form's other errors)."""

    default_error_messages = {
        "attachment_too_large": _("The file is larger than 5 MB."),
        "attachment_type_invalid": _("The file must be a PDF, JPEG or PNG."),
        "empty": _("The file is empty."),
    }

    def validate(self, value: Any) -> None:
        super().validate(value)
        if not value:
            return
        if value.size and value.size > MAX_UPLOAD:
            raise ValidationError(self.error_messages["attachment_too_large"], code="attachment_too_large")
        head = value.read(16)
        value.seek(0)
        if attachments.sniff(head) is None:
            raise ValidationError(self.error_messages["attachment_type_invalid"], code="attachment_type_invalid")


class HeldAttachmentsMixin:
    """A form whose files may already be held from an earlier submission that came back with errors (see
    :mod:`dancu.portal.uploads`): ``held`` names them; a required file is missing only if neither sent nor held."""

    required_files: dict[str, Any] = {}

    def _init_held(self, held: dict[str, Any] | None) -> None:
        self.held = dict(held or {})

    def _check_required_files(self, cleaned: dict[str, Any]) -> None:
        for name, message in self.required_files.items():
            if not cleaned.get(name) and name not in self.held and name not in self.errors:  # type: ignore[attr-defined]
                self.add_error(name, ValidationError(message, code="attachment_required"))  # type: ignore[attr-defined]


class BirthDeclarationForm(HeldAttachmentsMixin, PortalForm):
    """Declaring a birth (the group of linked procedures); what the registry knows about the parents is prefilled
    and not sent. What needs no registry row is checked here, so that every such error is shown at once; the
    service checks it again and decides the rest (the other parent in the registry, a duplicate declaration)."""

    required_files = {"birth_certificate": _("Attach the hospital's birth certificate.")}
    domain_messages = {
        "parent_not_in_registry": _("Nobody with this personal ID number is in the population database: check it."),
        "other_parent_invalid": _("This person cannot be the child's other parent: check the number."),
        "birth_date_in_future": _("The date of birth is in the future."),
        "birth_registration_late": _("More than 60 days after the birth: ask your commune for a late registration."),
        "commune_unknown": _("Choose the commune where the child was born."),
        "attachment_type_invalid": _("The file must be a PDF, JPEG or PNG."),
        "attachment_required": _("Attach the hospital's birth certificate."),
        "birth_already_registered": _("This child's birth is already registered."),
        "birth_already_declared": _("This birth has already been declared and is being processed."),
    }

    child_full_name = forms.CharField(max_length=100, error_messages={"required": _("Enter the child's full name.")})
    child_sex = forms.ChoiceField(
        choices=[("M", _("Male")), ("F", _("Female"))], error_messages={"required": _("Choose the child's sex.")}
    )
    child_birth_date = DateInputField(
        not_future="birth_date_in_future",
        future_message=_("The date of birth is in the future."),
        error_messages={"required": _("Enter the child's date of birth.")},
    )
    child_birth_commune = forms.CharField(
        max_length=10, error_messages={"required": _("Choose the commune where the child was born.")}
    )
    other_parent_pin = PinField(required=False)
    birth_certificate = AttachmentField(required=False)
    extract_copies = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=10,
        error_messages={
            "invalid": _("Enter a number of copies from 0 to 10."),
            "min_value": _("Enter a number of copies from 0 to 10."),
            "max_value": _("Enter a number of copies from 0 to 10."),
        },
    )

    def __init__(self, *args: Any, held: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_held(held)

    def clean_extract_copies(self) -> int:
        return self.cleaned_data.get("extract_copies") or 0

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_required_files(cleaned)
        return cleaned


class DeathDeclarationForm(HeldAttachmentsMixin, PortalForm):
    """A relative declares a death; ``optional_procedures`` are the group's procedures the requester may add."""

    required_files = {"death_notice": _("Attach the death notice.")}
    domain_messages = {
        "person_not_found": _("Nobody with this personal ID number is in the population database: check it."),
        "person_deceased": _("This person's death is already registered."),
        "requester_is_deceased": _("A death is declared by someone else: check the number."),
        "death_date_invalid": _("The date of death must be between the person's birth and today."),
        "attachment_type_invalid": _("The file must be a PDF, JPEG or PNG."),
        "attachment_required": _("Attach the death notice."),
    }
    error_anchors = {"procedures": "p3"}

    deceased_pin = PinField(error_messages={"required": _("Enter the personal ID number of the deceased.")})
    death_date = DateInputField(
        not_future="death_date_invalid",
        future_message=_("The date of death is in the future."),
        error_messages={"required": _("Enter the date of death.")},
    )
    death_place = forms.CharField(max_length=200, error_messages={"required": _("Enter the place of death.")})
    requester_relationship = forms.CharField(
        max_length=60, error_messages={"required": _("Enter your relationship to the deceased.")}
    )
    procedures = forms.MultipleChoiceField(required=False, choices=[])
    bank_account = forms.CharField(required=False, max_length=40)
    death_notice = AttachmentField(required=False)

    def __init__(
        self,
        *args: Any,
        optional_procedures: tuple[str, ...] = (),
        held: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._init_held(held)
        self.fields["procedures"].choices = [(code, code) for code in optional_procedures]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_required_files(cleaned)
        if "funeral-allowance" in (cleaned.get("procedures") or []) and not cleaned.get("bank_account", "x"):
            message = _("Give the bank account for the allowance.")
            self.add_error("bank_account", ValidationError(message, code="field_required"))
        return cleaned


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
