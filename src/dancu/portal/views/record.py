"""The citizen's record, their young children's records, and adding a child's account."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dancu.accounts.models import Account
from dancu.accounts.services import registration
from dancu.cards.models import IdentityCard
from dancu.core.errors import DomainError
from dancu.portal import forms
from dancu.portal.views.common import citizen_required, context_of
from dancu.registry import presenters
from dancu.registry.models import Person

# --- my record -------------------------------------------------------------------------------------------------------


def _record_context(person: Person) -> dict[str, Any]:
    record = presenters.person_record(person.pin)
    household = []
    if person.household_id:
        household = list(
            Person.objects.filter(household_id=person.household_id)
            .order_by("birth_date")
            .values("full_name", "birth_date", "relationship_to_head", "status")
        )
    cards = list(IdentityCard.objects.filter(person=person).order_by("-issued_on"))
    return {"record": record, "household": household, "cards": cards, "residences": presenters.residences_dict(person)}


@citizen_required
def home(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    context = _record_context(account.person)
    context["account"] = account
    context["wards"] = list(account.wards.select_related("person"))
    return render(request, "portal/home.html", context)


@citizen_required
def child_record(request: HttpRequest, account_id: str) -> HttpResponse:
    """A parent sees the record of their child under 6 whose account they manage."""
    account: Account = request.account  # type: ignore[attr-defined]
    ward = account.wards.select_related("person").filter(pk=account_id).first()
    if ward is None:
        return render(request, "portal/not_found.html", status=404)
    context = _record_context(ward.person)
    context["account"] = ward
    context["is_ward"] = True
    return render(request, "portal/home.html", context)


@citizen_required
@require_POST
def add_child(request: HttpRequest) -> HttpResponse:
    """Refused, the record page is drawn again (status 400) with the error beside the child's PIN."""
    account: Account = request.account  # type: ignore[attr-defined]
    form = forms.ChildAccountForm(request.POST)
    if form.is_valid():
        try:
            registration.create_child_account(
                parent=account, child_pin=form.cleaned_data["child_pin"], context=context_of(request)
            )
        except DomainError as exc:
            form.add_domain_error(exc)
    if form.errors:
        context = {**_record_context(account.person), "account": account, "child_form": form}
        context["wards"] = list(account.wards.select_related("person"))
        return render(request, "portal/home.html", context, status=400)
    messages.success(request, _("The child's account was created."))
    return redirect("portal:home")
