"""The officers' side of online services: a queue per agency and commune with deadline colours, the whole dossier
with the registry data it re-used, and decisions with reasons (approve, refuse, ask for a supplement)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dancu.backoffice import services
from dancu.backoffice.forms import DossierActionForm
from dancu.backoffice.services import ROLE_AGENCY, ROLES
from dancu.core.errors import DomainError
from dancu.procedures import attachments, desk, workflow
from dancu.procedures.models import Agency, Dossier, Status
from dancu.registry.models import Person

COLOURS = {"on_time": "success", "at_risk": "warning", "late": "danger"}


def agencies_of(user: Any) -> set[str]:
    names = {ROLES[role][0]: role for role in ROLE_AGENCY}
    roles = {names[g] for g in user.groups.values_list("name", flat=True) if g in names}
    if user.is_superuser:
        return {a.value for a in Agency}
    return {ROLE_AGENCY[r] for r in roles}


@login_required
@permission_required("procedures.view_dossier", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    agencies = agencies_of(request.user)
    commune = request.GET.get("commune", "").strip()
    show = request.GET.get("status", "open")
    dossiers = Dossier.objects.select_related("procedure", "assigned_to").filter(procedure__agency__in=agencies)
    if show == "open":
        dossiers = dossiers.filter(status__in=workflow.OPEN)
    elif show == "waiting":
        dossiers = dossiers.filter(status=Status.WAITING)
    else:
        dossiers = dossiers.filter(status__in=workflow.FINISHED)
    if commune:
        dossiers = dossiers.filter(commune=commune)
    rows = []
    for dossier in dossiers.order_by("due_on", "created_at")[:200]:
        state = workflow.deadline_status(dossier)
        rows.append({"dossier": dossier, "deadline": state, "colour": COLOURS.get(state or "", "secondary")})
    return render(
        request,
        "backoffice/queue.html",
        {"rows": rows, "commune": commune, "show": show, "agencies": [Agency(a).label for a in sorted(agencies)]},
    )


def _dossier_for(request: HttpRequest, dossier_id: str) -> Dossier:
    dossier = (
        Dossier.objects.select_related("procedure", "case__group", "applicant__person", "assigned_to")
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None:
        raise Http404("No such dossier")
    if dossier.procedure.agency not in agencies_of(request.user):
        raise PermissionDenied
    return dossier


@login_required
@permission_required("procedures.view_dossier", raise_exception=True)
def dossier_detail(request: HttpRequest, dossier_id: str) -> HttpResponse:
    dossier = _dossier_for(request, dossier_id)
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
    return render(
        request,
        "backoffice/dossier.html",
        {
            "dossier": dossier,
            "deadline": workflow.deadline_status(dossier),
            "colour": COLOURS.get(workflow.deadline_status(dossier) or "", "secondary"),
            "data": {k: v for k, v in dossier.data.items() if not k.startswith("_")},
            "reused": reused,
            "transitions": dossier.transitions.all(),
            "attachments": dossier.attachments.defer("content"),
            "siblings": siblings,
            "can_decide": dossier.status in (Status.RECEIVED, Status.IN_PROCESS, Status.RESUBMITTED)
            and request.user.has_perm("procedures.change_dossier"),
        },
    )


@login_required
@permission_required("procedures.change_dossier", raise_exception=True)
@require_POST
def dossier_action(request: HttpRequest, dossier_id: str) -> HttpResponse:
    dossier = _dossier_for(request, dossier_id)
    form = DossierActionForm(request.POST)
    if form.is_valid():
        try:
            desk.act(dossier, form.cleaned_data["action"], official=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
    if form.errors:
        messages.error(request, form.first_error())
    else:
        messages.success(request, "Đã ghi nhận.")
    return redirect("backoffice:dossier", dossier_id=dossier.pk)


@login_required
@permission_required("procedures.view_dossier", raise_exception=True)
def attachment(request: HttpRequest, dossier_id: str, attachment_id: int) -> HttpResponse:
    dossier = _dossier_for(request, dossier_id)
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
