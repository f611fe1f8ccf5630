"""The form base and the fields that both doors (the citizens' portal and the officials' back office) use.

Errors are bound to their field with a stable code (``form.has_error("pin", "pin_malformed")``); a refusal from a
service (a :class:`~dancu.core.errors.DomainError`) is bound the same way by :meth:`DoorForm.add_domain_error`.
Fields accept what people type: spaces inside ID numbers, codes and phone numbers, dates as dd/mm/yyyy or ISO.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dancu.accounts.services.codes import normalise_phone
from dancu.core.errors import DomainError
from dancu.core.pin import parse_pin

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def validation_error(exc: DomainError) -> ValidationError:
    """A service's refusal as a form error with the same stable code."""
    return ValidationError(exc.message, code=exc.code)


class DoorForm(forms.Form):
    """A form whose service refusals land on the field they name (``domain_fields`` renames a service's field to
    the form's), or on the form as a whole."""

    domain_fields: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        field = self.domain_fields.get(exc.field or "", exc.field)
        self.add_error(field if field in self.fields else None, validation_error(exc))

    def first_error(self) -> str:
        """The first message, for pages that show one alert above the form (the fields' own are in ``errors``)."""
        for message in self.non_field_errors():
            return str(message)
        for name in self.fields:
            for message in self.errors.get(name, []):
                return str(message)
        return ""


class PinField(forms.CharField):
    """A personal ID number as typed: spaces between the digit groups are dropped; with ``check`` its structure is
    checked (``pin_malformed``, ``pin_unknown_province``)."""

    def __init__(self, *, check: bool = True, **kwargs: Any) -> None:
        self.check = check
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return re.sub(r"\s+", "", super().to_python(value) or "")

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and self.check:
            try:
                parse_pin(value)
            except DomainError as exc:
                raise validation_error(exc) from None


class CodeField(forms.CharField):
    """A six-digit one-time code as typed ("123 456" too)."""

    default_error_messages = {"code_malformed": _("The code has 6 digits.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return re.sub(r"\s+", "", super().to_python(value) or "")

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not re.fullmatch(r"\d{6}", value):
            raise ValidationError(self.error_messages["code_malformed"], code="code_malformed")


class DateInputField(forms.DateField):
    """A date as the browser's date picker sends it (YYYY-MM-DD) or as people write it (dd/mm/yyyy)."""

    default_error_messages = {"invalid": _("Dates are written YYYY-MM-DD.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=DATE_FORMATS, **kwargs)

    def clean(self, value: Any) -> Any:
        try:
            return super().clean(value)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invalid":
                raise ValidationError(self.error_messages["invalid"], code="date_invalid") from None
            raise


class PhoneField(forms.CharField):
    """A Vietnamese mobile number, cleaned to E.164 (``phone_invalid``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        if value:
            try:
                normalise_phone(value)
            except DomainError as exc:
                raise validation_error(exc) from None

    def clean(self, value: Any) -> str:
        cleaned = super().clean(value)
        return normalise_phone(cleaned) if cleaned else cleaned
