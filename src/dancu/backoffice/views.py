"""Back-office pages for officials: find a person, see their household, residences, history and past records."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dancu.accounts.models import Account
from dancu.accounts.services import officials
from dancu.accounts.services.context import RequestContext
from dancu.accounts.services.status import activate_level2
from dancu.backoffice import services
from dancu.backoffice.dossiers import refused
from dancu.backoffice.forms import AsOfForm, Level2ActivationForm, PersonSearchForm
from dancu.cards.services import current_card
from dancu.core.errors import DomainError
from dancu.geo.models import Commune, Era
from dancu.registry import history, presenters
from dancu.registry.choices import ETHNIC_GROUPS
from dancu.registry.models import Household, Person

#: People a page of name-search results.
SEARCH_PAGE_SIZE = 25


def _counts() -> dict[str, int]:
    """Registry totals for the home page: COUNT(*) scans the table on PostgreSQL, so it runs once a minute, not on
    every page view."""
    return cache.get_or_set(  # type: ignore[no-any-return]
        "dancu:backoffice:counts",
        lambda: {"people": Person.objects.count(), "households": Household.objects.count()},
        60,
    )


@login_required
@permission_required("registry.view_person", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    """Search: by PIN (goes straight to the record) or by name with date of birth and commune.

    The forms are POSTed: a PIN or a name must not end up in a URL (access logs, proxies, browser history).
    """
    form = PersonSearchForm(request.POST if request.method == "POST" else None)
    results: Page[Person] | None = None
    try:
        official = officials.official_of(request.user)
    except DomainError as exc:
        return refused(request, exc)
    if form.is_valid() and form.cleaned_data["pin"]:
        found = Person.objects.filter(pin=form.cleaned_data["pin"]).values_list("pk", flat=True).first()
        if found is not None:
            return redirect("backoffice:person", person_id=found)
        form.add_error("pin", _("No person with this ID number."))
    elif form.is_valid() and form.cleaned_data["name"]:
        data = form.cleaned_data
        found = officials.search_people(
            official, name=data["name"], birth_date=data["birth_date"], commune=data["commune"]
        )
        results = Paginator(found, SEARCH_PAGE_SIZE).get_page(data["page"] or 1)
    q = {name: form.data.get(name, "").strip() for name in ("pin", "name", "birth_date", "commune")}
    commune = (form.cleaned_data.get("commune") if form.is_valid() else "") or q["commune"]
    commune_obj = Commune.objects.select_related("province").filter(era=Era.CURRENT, code=commune).first()
    return render(
        request,
        "backoffice/home.html",
        {
            "q": q,
            "form": form,
            "commune_obj": commune_obj,
            "results": results,
            "counts": _counts(),
            "area": officials.area_label(official),
        },
    )


@login_required
@permission_required("registry.view_person", raise_exception=True)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        person = officials.person_for(officials.official_of(request.user), person_id)  # 404, 403 or the person
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "backoffice/person.html", _person_context(request, person))


def _person_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    """What the person page shows (also drawn again, with the refused form, when an action on it is refused) of a
    person :func:`officials.person_for` gave (in the official's area, loaded with their record's links)."""
    pin = person.pin
    record = presenters.person_dict(person)
    services.record_official_view(request.user, [pin], purpose="person_record", fields=services.PERSON_PAGE_DATA)
    events = history.person_events(pin)
    as_of_form = AsOfForm(request.GET if "as_of" in request.GET else None)
    as_of = as_of_form.cleaned_data["as_of"] if as_of_form.is_valid() else None
    as_of_record = history.fold(events, as_of=as_of) if as_of else None
    household = (
        presenters.household_dict(
            Household.objects.select_related("commune__province", "head").get(pk=person.household_id)
        )
        if person.household_id
        else None
    )
    communes = {
        c.code: c
        for c in Commune.objects.select_related("province").filter(
            era=Era.CURRENT,
            code__in=[
                v
                for e in events
                for k, v in e.payload.items()
                if k in ("commune", "birth_commune", "origin_commune") and isinstance(v, str)
            ],
        )
    }
    return {
        "person": person,
        "record": record,
        "household": household,
        "residences": presenters.residences_dict(person),
        "events": events,
        "as_of": as_of.isoformat() if as_of else as_of_form.data.get("as_of", ""),
        "as_of_form": as_of_form,
        "as_of_record": as_of_record,
        "eid": Account.objects.filter(person=person).first(),
        "card": current_card(person),
        "as_of_ethnicity": ETHNIC_GROUPS.get(as_of_record.get("ethnicity", 0), "") if as_of_record else "",
        "communes": communes,
        "level2_form": Level2ActivationForm(),
    }


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_detail(request: HttpRequest, number: str) -> HttpResponse:
    household = Household.objects.select_related("commune__province", "head").filter(number=number).first()
    if household is None:
        raise Http404("No such household")
    try:
        officials.check_household(officials.official_of(request.user), household)
    except DomainError as exc:
        return refused(request, exc)
    shown = presenters.household_dict(household)
    services.record_official_view(
        request.user,
        [m["pin"] for m in shown["members"] if m.get("pin")],
        purpose="household_record",
        fields=services.HOUSEHOLD_PAGE_DATA,
        reference=household.number,
    )
    return render(request, "backoffice/household.html", {"household": shown})


@login_required
@permission_required("accounts.change_account", raise_exception=True)
@require_POST
def activate_level2_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Level 2 after an in-person check of the holder and the card (Decree 69/2024 art. 14)."""
    account = Account.objects.filter(person_id=person_id).first()
    if account is None:
        raise Http404("No account")
    try:
        person = officials.person_for(officials.official_of(request.user), person_id)
    except DomainError as exc:
        return refused(request, exc)
    form = Level2ActivationForm(request.POST)
    if form.is_valid():
        try:
            activate_level2(
                account=account, official=request.user.get_username(), card_checked=form.cleaned_data["card_checked"],
                context=RequestContext.from_request(request),
            )  # fmt: skip
        except DomainError as exc:
            form.add_domain_error(exc)
    if form.errors:
        context = {**_person_context(request, person), "level2_form": form}
        return render(request, "backoffice/person.html", context, status=400)
    messages.success(request, _("Level 2 of the e-ID account activated."))
    return redirect("backoffice:person", person_id=person_id)
