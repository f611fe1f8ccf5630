"""The form base and the fields that both doors (the citizens' portal and the officials' back office) use.

Errors are bound to their field with a stable code (``form.has_error("pin", "pin_malformed")``); a refusal from a
service (a :class:`~dancu.core.errors.DomainError`) is bound the same way by :meth:`DoorForm.add_domain_error`.
Every error is shown beside its field and in a summary at the top of the page (the GOV.UK pattern), by the
``form_errors`` template tags of this package (``{% load form_errors %}``, see templatetags/form_errors.py).
Fields accept what people type: spaces, dots or dashes inside ID numbers, spaces in codes and phone numbers (with
+84 or 0), dates as dd/mm/yyyy or as the browser's date picker sends them (yyyy-mm-dd).

This package is also a Django app (``door_forms``) for its template tags, template and script: its import must not
load any model, so the services it uses are imported inside the functions that call them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dancu.core.errors import DomainError
from dancu.core.pin import normalise_pin, parse_pin

#: yyyy-mm-dd is what a browser's date picker sends; the others are how people write dates in Vietnam.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]

#: The earliest date any date field accepts: the registry holds nobody born before 1900 (core.pin's first century).
EARLIEST_DATE = dt.date(1900, 1, 1)


def validation_error(exc: DomainError) -> ValidationError:
    """A service's refusal as a form error with the same stable code."""
    return ValidationError(exc.message, code=exc.code)


class DoorForm(forms.Form):
    """A form whose service refusals land on the field they name (``domain_fields`` renames a service's field to
    the form's; a file's ``attachments.<code>`` lands on the field of that name), or on the form as a whole, with
    the form's own words for the codes in ``domain_messages`` (what the person should do, in their language).

    The page's inputs carry the field's name as their ``id`` (``auto_id="%s"``), which the error summary links to;
    ``error_anchors`` names another element for a field drawn as a group (a fieldset of checkboxes)."""

    domain_fields: dict[str, str] = {}
    domain_messages: dict[str, Any] = {}
    error_anchors: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def add_domain_error(self, exc: DomainError) -> None:
        field = exc.field or ""
        field = self.domain_fields.get(field, field.removeprefix("attachments."))
        if field in self.fields and field in self.errors:
            # The field was already refused at the edge: that message is the one to act on first.
            return
        message = self.domain_messages.get(exc.code, exc.message)
        self.add_error(field if field in self.fields else None, ValidationError(message, code=exc.code))

    def first_error(self) -> str:
        """The first message (non-field errors first), for a notice after a redirect and for the JSON endpoints."""
        for message in self.non_field_errors():
            return str(message)
        for name in self.fields:
            for message in self.errors.get(name, []):
                return str(message)
        return ""


class PinField(forms.CharField):
    """A personal ID number as typed: the spaces, dots and dashes between the digit groups are dropped
    (:func:`dancu.core.pin.normalise_pin`); with ``check`` its structure is checked (``pin_malformed``,
    ``pin_unknown_province``) with a message that says what is wrong, not that nobody has this number."""

    default_error_messages = {
        "required": _("Enter the personal ID number."),
        "pin_malformed": _("A personal ID number has 12 digits."),
        "pin_unknown_province": _("The first 3 digits of this number are not a province code: check the number."),
    }

    def __init__(self, *, check: bool = True, **kwargs: Any) -> None:
        self.check = check
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return normalise_pin(super().to_python(value) or "")

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and self.check:
            try:
                parse_pin(value)
            except DomainError as exc:
                raise ValidationError(self.error_messages.get(exc.code, exc.message), code=exc.code) from None


class CodeField(forms.CharField):
    """A six-digit one-time code as typed ("123 456" too)."""

    default_error_messages = {
        "required": _("Enter the 6-digit code."),
        "code_malformed": _("The code has 6 digits."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return re.sub(r"[\s.\-]+", "", super().to_python(value) or "")

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not re.fullmatch(r"\d{6}", value):
            raise ValidationError(self.error_messages["code_malformed"], code="code_malformed")


class DateInputField(forms.DateField):
    """A date as the browser's date picker sends it (yyyy-mm-dd) or as people write it (dd/mm/yyyy, also with dashes
    or dots). A date that does not exist (31/02) is ``date_invalid``; one before 1900 is ``date_too_early``; with
    ``not_future`` set to a stable code, a date after today is refused with that code (and ``future_message``)."""

    default_error_messages = {
        "invalid": _("Enter a real date, as dd/mm/yyyy (for example 25/04/2024)."),
        "date_too_early": _("The date is before 1900: check the year."),
        "date_in_future": _("The date is in the future."),
    }

    def __init__(self, *, not_future: str | None = None, future_message: Any = None, **kwargs: Any) -> None:
        self.not_future = not_future
        super().__init__(input_formats=DATE_FORMATS, **kwargs)
        if future_message is not None:
            self.error_messages["date_in_future"] = future_message

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        return super().to_python(value)

    def clean(self, value: Any) -> Any:
        try:
            cleaned = super().clean(value)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invalid":
                raise ValidationError(self.error_messages["invalid"], code="date_invalid") from None
            raise
        if cleaned is not None and cleaned < EARLIEST_DATE:
            raise ValidationError(self.error_messages["date_too_early"], code="date_too_early")
        if cleaned is not None and self.not_future and cleaned > timezone.localdate():
            raise ValidationError(self.error_messages["date_in_future"], code=self.not_future)
        return cleaned


class PhoneField(forms.CharField):
    """A Vietnamese mobile number as typed ("0912 345 678", "+84 912.345.678"), cleaned to E.164 (``phone_invalid``)."""

    default_error_messages = {
        "required": _("Enter the mobile phone number."),
        "phone_invalid": _("Enter a Vietnamese mobile number, for example 0912 345 678."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        from dancu.accounts.services.codes import normalise_phone

        cleaned = super().clean(value)
        if not cleaned:
            return cleaned  # type: ignore[no-any-return]
        try:
            return normalise_phone(cleaned)
        except DomainError as exc:
            raise ValidationError(self.error_messages["phone_invalid"], code=exc.code) from None
