"""Consents to connected systems, and who accessed my data."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dancu.accounts.models import Account
from dancu.accounts.services.context import record
from dancu.core.errors import DomainError
from dancu.exchange import services as exchange
from dancu.exchange import timeline
from dancu.exchange.choices import CONSENT_FIELDS, DATA_NAMES
from dancu.portal import forms
from dancu.portal.views.common import citizen_required, context_of

FIELD_NAMES = DATA_NAMES
#: Lines of "who accessed my data" a page.
PAGE_SIZE = 50


# --- consents and access history -------------------------------------------------------------------------------------


@citizen_required
def consents(request: HttpRequest) -> HttpResponse:
    """The consents in force and the organisations that may ask. A refused grant or revocation draws the page again
    (status 400) with the error beside the organisation's boxes and in the summary."""
    account: Account = request.account  # type: ignore[attr-defined]
    pin = account.person.pin
    failed: forms.PortalForm | None = None
    if request.method == "POST":
        failed = _consent_action(request, account)
        if failed is None:
            return redirect("portal:consents")
    mine = exchange.consents_of(pin)
    offers = exchange.consentable_systems()
    failed_system = failed.data.get("system", "") if failed is not None else ""
    for offer in offers:
        if failed is not None and offer["system"].client_id == failed_system and offer["fields"]:
            failed.error_anchors = {"consent_fields": f"f-{failed_system}-{offer['fields'][0]}"}
    return render(
        request,
        "portal/consents.html",
        {
            "offers": offers,
            "open": [c for c in mine if c.revoked_at is None],
            "past": [c for c in mine if c.revoked_at is not None][:20],
            "field_names": FIELD_NAMES,
            "consent_fields": sorted(CONSENT_FIELDS),
            "failed_form": failed,
            "failed_system": failed_system,
        },
        status=400 if failed is not None else 200,
    )


def _consent_action(request: HttpRequest, account: Account) -> forms.PortalForm | None:
    """Grant or revoke a consent to a connected system (the exchange's service), noted in the security history;
    the refused form, or ``None``."""
    pin = account.person.pin
    chosen = forms.ConsentActionForm(request.POST)
    form: forms.PortalForm = chosen
    if chosen.is_valid():
        revoking = chosen.cleaned_data["action"] == "revoke"
        form = forms.ConsentRevokeForm(request.POST) if revoking else forms.ConsentGrantForm(request.POST)
    if form is not chosen and form.is_valid():
        data = form.cleaned_data
        try:
            if revoking:
                exchange.revoke_consent(pin, data["consent"])
                record(account, "consent_revoked", context_of(request))
                messages.success(request, _("Consent revoked."))
            else:
                exchange.grant_consent(pin, data["system"], data["consent_fields"])
                record(account, "consent_granted", context_of(request), system=data["system"])
                messages.success(request, _("Consent granted."))
        except DomainError as exc:
            form.add_domain_error(exc)
    return form if form.errors else None


@citizen_required
def access_history(request: HttpRequest) -> HttpResponse:
    """Who accessed my data: the gateway's reads and those recorded outside it, one timeline, newest first."""
    account: Account = request.account  # type: ignore[attr-defined]
    cursor = timeline.Cursor.parse(request.GET.get("before", ""))
    page = timeline.access_timeline(account.person.pin, cursor=cursor, limit=PAGE_SIZE)
    return render(
        request,
        "portal/access.html",
        {
            "accesses": page.accesses,
            "next_page": str(page.next) if page.next else "",
            "later_pages": bool(request.GET.get("before")),
        },
    )
