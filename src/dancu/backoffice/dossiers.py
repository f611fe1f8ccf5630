"""The officers' side of online services: a queue per agency and area with names, totals, filters, sorting and
pages; the whole dossier as people read it (labels, names, the person it is about, the result's documents, the
history); decisions with reasons, by the officer who took the dossier, after confirmation.

Every page goes through ``procedures.desk``, which keeps each official within their agency and area."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dancu.accounts.services.officials import area_label, describe, official_of
from dancu.backoffice import services
from dancu.backoffice.forms import DossierActionForm, QueueForm
from dancu.core.errors import DomainError
from dancu.procedures import attachments, desk, presenters, workflow
from dancu.procedures.models import Dossier, Status
from dancu.registry.models import Person

COLOURS = {"on_time": "success", "at_risk": "warning", "late": "danger"}


def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A refusal of the scope rules as a page: the reason, nothing about the dossier or person asked for."""
    if exc.status == 404:
        raise Http404(exc.message)
    return render(request, "backoffice/refused.html", {"message": exc.message, "code": exc.code}, status=exc.status)


@login_required
@permission_required("procedures.view_dossier", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    """The filters come by POST (a name searched for must not end up in a URL) or, without a name, by GET."""
    data = request.POST if request.method == "POST" else request.GET.copy()
    if request.method != "POST":
        data.pop("search", None)
    filters = QueueForm(data).filters()
    try:
        official = official_of(request.user)
        found = desk.queue(request.user, **filters)
    except DomainError as exc:
        return refused(request, exc)
    dossiers = list(found.page.object_list)
    subjects = presenters.subjects(dossiers)
    communes = presenters.commune_names({d.commune for d in dossiers})
    rows = []
    for dossier in dossiers:
        state = workflow.deadline_status(dossier)
        rows.append(
            {
                "dossier": dossier,
                "procedure": presenters.procedure_name(dossier.procedure),
                "commune": communes.get(dossier.commune, dossier.commune),
                "subject": subjects.get(dossier.pk),
                "deadline": state,
                "colour": COLOURS.get(state or "", "secondary"),
            }
        )
    # A province's communes to choose from; the whole country filters by code, not a list of 3,321 communes.
    area_communes = (
        []
        if found.communes is None or len(found.communes) <= 1
        else sorted(presenters.commune_names(set(found.communes)).items(), key=lambda item: item[1])
    )
    return render(
        request,
        "backoffice/queue.html",
        {
            "rows": rows,
            "queue": found,
            "filters": filters,
            "procedures": [(p.code, presenters.procedure_name(p)) for p in found.procedures],
            "area_communes": area_communes,
            "national": found.communes is None,
            "office": official.office_name if official.pk else _("All agencies"),
            "area": area_label(official),
        },
    )


@login_required
@permission_required("procedures.view_dossier", raise_exception=True)
def dossier_detail(request: HttpRequest, dossier_id: str) -> HttpResponse:
    try:
        dossier = desk.dossier_for(request.user, dossier_id)
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "backoffice/dossier.html", _dossier_context(request, dossier, DossierActionForm()))


def _dossier_context(request: HttpRequest, dossier: Dossier, form: DossierActionForm) -> dict[str, Any]:
    """What the dossier page shows; ``form`` is the officer's action, refused and drawn again with its errors."""
    reused = []
    for reuse in dossier.reuses.all():
        person = Person.objects.filter(pk=reuse.reference).first() if reuse.source == "registry.person" else None
        reused.append({"reuse": reuse, "person": person})
    services.record_dossier_view(request.user, dossier)
    siblings = (
        Dossier.objects.select_related("procedure").filter(case=dossier.case).exclude(pk=dossier.pk)
        if dossier.case
        else []
    )
    subject = presenters.subjects([dossier]).get(dossier.pk)
    first, group_rows = presenters.group_declaration(dossier)
    state = workflow.deadline_status(dossier)
    labels = presenters.attachment_labels(dossier.procedure)
    open_ = dossier.status in (Status.RECEIVED, Status.IN_PROCESS, Status.RESUBMITTED)
    can_act = open_ and request.user.has_perm("procedures.change_dossier")
    mine = dossier.assigned_to_id == request.user.pk
    return {
        "dossier": dossier,
        "procedure": presenters.procedure_name(dossier.procedure),
        "group": presenters.procedure_name(dossier.case.group) if dossier.case else "",
        "commune": presenters.commune_names({dossier.commune})[dossier.commune],
        "deadline": state,
        "colour": COLOURS.get(state or "", "secondary"),
        "subject": subject,
        "declaration": presenters.declaration(dossier),
        "group_first": first,
        "group_procedure": presenters.procedure_name(first.procedure) if first else "",
        "group_declaration": group_rows,
        "result": presenters.result_rows(dossier),
        "reused": reused,
        "history": presenters.history(dossier),
        "attachments": [(a, labels.get(a.code, a.code)) for a in dossier.attachments.defer("content").order_by("pk")],
        "siblings": [(s, presenters.procedure_name(s.procedure)) for s in siblings],
        "can_act": can_act,
        "mine": mine,
        "taken_by": describe(dossier.assigned_to) if dossier.assigned_to else "",
        "effect": presenters.approval_effect(dossier, subject),
        "form": form,
        "reason": form.data.get("reason", "") if form.is_bound else "",
    }


@login_required
@permission_required("procedures.change_dossier", raise_exception=True)
@require_POST
def dossier_action(request: HttpRequest, dossier_id: str) -> HttpResponse:
    try:
        dossier = desk.dossier_for(request.user, dossier_id)
    except DomainError as exc:
        return refused(request, exc)
    form = DossierActionForm(request.POST)
    if form.is_valid():
        try:
            desk.act(
                dossier, form.cleaned_data["action"], official=request.user, reason=form.cleaned_data["reason"],
                confirmed=form.cleaned_data["confirm"],
            )  # fmt: skip
        except DomainError as exc:
            if exc.code in ("dossier_out_of_area", "dossier_other_agency", "official_not_bound"):
                return refused(request, exc)
            form.add_domain_error(exc)
    if form.errors:
        dossier = desk.dossier_for(request.user, dossier_id)  # drawn again as it is now
        return render(request, "backoffice/dossier.html", _dossier_context(request, dossier, form), status=400)
    messages.success(request, _("Recorded."))
    return redirect("backoffice:dossier", dossier_id=dossier.pk)


@login_required
@permission_required("procedures.view_dossier", raise_exception=True)
def attachment(request: HttpRequest, dossier_id: str, attachment_id: int) -> HttpResponse:
    try:
        dossier = desk.dossier_for(request.user, dossier_id)
    except DomainError as exc:
        return refused(request, exc)
    item = dossier.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404("No such attachment")
    try:
        content = attachments.read(item)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.code}-{dossier.number}"'
    return response
