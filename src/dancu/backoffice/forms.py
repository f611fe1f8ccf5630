"""The back office's forms: every POST of the officials' pages is parsed and checked here, at the edge.

Errors are bound to their field with a stable code (``form.has_error("pin", "pin_malformed")``)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dancu.accounts.models import Account
from dancu.forms import DateInputField, DoorForm, PinField
from dancu.procedures.desk import ACTIONS, ORDERS, SHOWS

__all__ = [
    "AsOfForm",
    "BackOfficeForm",
    "DossierActionForm",
    "Level2ActivationForm",
    "OfficialLoginForm",
    "PersonSearchForm",
    "QueueForm",
]


class BackOfficeForm(DoorForm):
    """The same conventions as the portal's forms: service refusals bound to their field, one summary message."""


class OfficialLoginForm(AuthenticationForm):
    """The back office is for officials: a citizen's e-ID user cannot sign in here even with the right password.
    Each missing field is named; every other failure gets one message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = _("Enter your username.")
        self.fields["password"].error_messages["required"] = _("Enter your password.")

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if Account.objects.filter(user=user).exists():
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login", params={"username": ""})


class PersonSearchForm(BackOfficeForm):
    """Find a person by PIN, or by name with an optional date of birth and commune. POSTed: a PIN or a name must not
    end up in a URL (access logs, proxies, browser history). A date of birth that cannot be one (31/02, in the
    future, before 1900) is said so, rather than finding nobody."""

    pin = PinField(required=False)
    name = forms.CharField(required=False, max_length=100)
    birth_date = DateInputField(
        required=False, not_future="birth_date_in_future", future_message=_("The date of birth is in the future.")
    )
    commune = forms.CharField(required=False, max_length=10)
    page = forms.IntegerField(required=False, min_value=1)

    def clean_commune(self) -> str:
        """A commune code as typed ("4" is "00004"); one no current commune has is said so, rather than finding
        nobody."""
        from dancu.geo.models import Commune, Era

        code: str = re.sub(r"\s+", "", self.cleaned_data.get("commune") or "")
        if not code:
            return ""
        if code.isdigit() and len(code) < 5:
            code = code.zfill(5)
        if not Commune.objects.filter(era=Era.CURRENT, code=code).exists():
            raise ValidationError(_("No current commune has this code."), code="commune_unknown")
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("pin") or self.has_error("pin"):
            return cleaned
        asked = any(self.data.get(name, "").strip() for name in ("name", "birth_date", "commune"))
        if asked and len(cleaned.get("name") or "") < 2:
            self.add_error(
                "name", ValidationError(_("Enter at least 2 characters of the name."), code="name_too_short")
            )
        return cleaned


class AsOfForm(BackOfficeForm):
    """The day a person's record is rebuilt for (the person page's "record at a date", a GET form)."""

    as_of = DateInputField(required=False)


class Level2ActivationForm(BackOfficeForm):
    """Level 2 only after the holder and the card were checked in person (Decree 69/2024 art. 14)."""

    card_checked = forms.BooleanField(required=False)

    def clean_card_checked(self) -> bool:
        if not self.cleaned_data.get("card_checked"):
            raise ValidationError(
                _("Confirm that the card and the holder were checked in person."), code="in_person_check_required"
            )
        return True


class DossierActionForm(BackOfficeForm):
    """An officer's action on a dossier (``procedures.desk.ACTIONS``) with the reason the citizen will read."""

    error_anchors = {"action": "approve"}

    action = forms.CharField(max_length=20)
    reason = forms.CharField(required=False, max_length=1000, strip=True)
    confirm = forms.BooleanField(required=False)

    def clean_action(self) -> str:
        action: str = self.cleaned_data["action"]
        if action not in dict(ACTIONS):
            raise ValidationError(_("Unknown action."), code="action_unknown")
        return action


class QueueForm(BackOfficeForm):
    """The queue's filters, sort order, page and search (POSTed: a name must not end up in a URL). Values it does
    not know fall back to the defaults rather than to an error page."""

    status = forms.ChoiceField(required=False, choices=[(k, k) for k in SHOWS])
    procedure = forms.CharField(required=False, max_length=60)
    commune = forms.CharField(required=False, max_length=5)
    overdue = forms.BooleanField(required=False)
    mine = forms.BooleanField(required=False)
    order = forms.ChoiceField(required=False, choices=[(k, k) for k in ORDERS])
    page = forms.IntegerField(required=False, min_value=1)
    search = forms.CharField(required=False, max_length=100)

    def filters(self) -> dict[str, Any]:
        """The arguments of ``procedures.desk.queue``: the valid values, the defaults for the rest."""
        self.is_valid()  # cleaned_data keeps the fields that are valid
        data = self.cleaned_data
        return {
            "show": data.get("status") or "open",
            "procedure": data.get("procedure") or "",
            "commune": data.get("commune") or "",
            "overdue": bool(data.get("overdue")),
            "mine": bool(data.get("mine")),
            "order": data.get("order") or "due",
            "page": data.get("page") or 1,
            "search": data.get("search") or "",
        }


class DeviceEnrolForm(BackOfficeForm):
    """The offline workspace's enrolment: the browser's public key (SPKI, base64) and a name for the device."""

    public_key = forms.CharField(max_length=400)
    label = forms.CharField(max_length=60, required=False)


class OfflineUploadForm(BackOfficeForm):
    """One signed record of the offline workspace: the device, the record's JSON as signed, and its signature."""

    device = forms.UUIDField()
    body = forms.CharField(max_length=20000, strip=False)
    signature = forms.CharField(max_length=200)


class OfflineResolveForm(BackOfficeForm):
    """The officer's decision on a record in review."""

    action = forms.ChoiceField(
        choices=(("apply", _("Record it anyway")), ("close", _("Close it: the registry is right")))
    )


class ScoreboardForm(BackOfficeForm):
    """The scoreboard's area, period and agency (GET: nothing personal). Left empty: the official's own area and
    the last twelve months."""

    province = forms.RegexField(required=False, regex=r"^\d{2}$", label=_("Province code"))
    commune = forms.RegexField(required=False, regex=r"^\d{5}$", label=_("Commune code"))
    start = DateInputField(required=False, label=_("From"))
    end = DateInputField(required=False, label=_("To"))
    agency = forms.ChoiceField(required=False, label=_("Agency"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from dancu.procedures.models import Agency

        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("All agencies")), *Agency.choices]


class FrontDeskForm(BackOfficeForm):
    """The front desk's one field: what the scanner typed from the card's QR code, or a PIN typed by hand."""

    card = forms.CharField(
        max_length=1000, error_messages={"required": _("Scan the ID card's QR code or type the ID number.")}
    )
    domain_fields = {"qr": "card", "pin": "card"}
