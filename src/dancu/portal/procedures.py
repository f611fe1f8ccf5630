"""Online procedures in the citizen portal: declare once (what the registry knows is prefilled and locked), follow
the case and each agency's dossier, read the notifications."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dancu.accounts.models import Account
from dancu.core.collation import vietnamese_sort_key
from dancu.core.errors import DomainError
from dancu.geo.models import Commune, Era
from dancu.portal import forms
from dancu.portal.uploads import REMOVE_FIELD, HeldUploads
from dancu.portal.views import citizen_required
from dancu.procedures import linked, payments, results
from dancu.procedures.attachments import Upload
from dancu.procedures.models import Case, Document, Dossier, Notification, Payment, PaymentStatus, ProcedureGroup
from dancu.procedures.workflow import deadline_status
from dancu.registry.models import Person

MAX_UPLOAD = 5 * 1024 * 1024


def _upload(form: forms.PortalForm, name: str) -> Upload | None:
    """The form's checked file as the attachment store takes it."""
    file = form.cleaned_data.get(name)
    if file is None:
        return None
    return Upload(name, file.content_type or "", file.read(MAX_UPLOAD + 1))


@citizen_required
def index(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    cases = Case.objects.filter(applicant=account).select_related("group").order_by("-created_at")[:50]
    return render(
        request,
        "portal/procedures.html",
        {
            "groups": ProcedureGroup.objects.order_by("code"),
            "cases": cases,
            "notifications": Notification.objects.filter(account=account)[:20],
        },
    )


def _birth_context(account: Account) -> dict[str, Any]:
    """The form's prefilled data; the province's communes (for the place of birth) are read only when the form is
    drawn, not for a submission that succeeds."""
    me = Person.objects.select_related("household__commune__province", "spouse").get(pk=account.person_id)
    # Sorted in Vietnamese alphabetical order ("Đ" after "D", tones last), which the database's collation is not.
    communes = (
        sorted(
            Commune.objects.filter(era=Era.CURRENT, province=me.household.commune.province),
            key=lambda commune: vietnamese_sort_key(commune.name),
        )
        if me.household is not None
        else []
    )
    return {"me": me, "spouse": me.spouse, "household": me.household, "communes": communes,
            "relationship": "mother" if me.sex == "F" else "father",
            "copy_fee": linked.EXTRACT_COPY_FEE_VND}  # fmt: skip


def _redisplay(request: HttpRequest, form: forms.PortalForm) -> dict[str, Any]:
    """What was typed, to draw the form again; a date accepted as dd/mm/yyyy is given back as yyyy-mm-dd, the only
    value a date input shows."""
    typed: dict[str, Any] = request.POST.dict()
    for name, value in (getattr(form, "cleaned_data", None) or {}).items():
        if isinstance(value, date):
            typed[name] = value.isoformat()
    typed["procedures"] = request.POST.getlist("procedures")
    return typed


@citizen_required
def declare_birth(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    held = HeldUploads(request, "declare_birth")
    if request.method == "POST":
        held.drop(*request.POST.getlist(REMOVE_FIELD))
        form = forms.BirthDeclarationForm(request.POST, request.FILES, held=held.files())
        case = None
        if form.is_valid():
            certificate = _upload(form, "birth_certificate") or held.upload(
                form, "birth_certificate", "birth_certificate"
            )
        if form.is_valid():
            # The two facts a submission needs; the whole prefilled form is read only to draw it after a refusal.
            sex, spouse_pin = Person.objects.filter(pk=account.person_id).values_list("sex", "spouse__pin").get()
            data = form.cleaned_data
            try:
                case = linked.declare_birth(
                    account,
                    child_full_name=data["child_full_name"],
                    child_sex=data["child_sex"],
                    child_birth_date=data["child_birth_date"],
                    child_birth_commune=data["child_birth_commune"].strip(),
                    requester_relationship="mother" if sex == "F" else "father",
                    other_parent_pin=data["other_parent_pin"] or spouse_pin,
                    birth_certificate=certificate,
                    extract_copies=data["extract_copies"],
                )
            except DomainError as exc:
                form.add_domain_error(exc)
        if case is None:
            held.keep(form, ("birth_certificate",))
            context = {**_birth_context(account), "form": form, "q": _redisplay(request, form), "held": held.files()}
            return render(request, "portal/declare_birth.html", context, status=400)
        held.clear()
        if data["extract_copies"] and case.payments.filter(status=PaymentStatus.PENDING).exists():
            return redirect("portal:pay", case_id=case.pk)
        return redirect("portal:case", case_id=case.pk)
    held.clear()  # a new declaration starts without the files of an abandoned one
    context = {**_birth_context(account), "form": forms.BirthDeclarationForm(), "q": {}, "held": {}}
    return render(request, "portal/declare_birth.html", context)


@citizen_required
def pay(request: HttpRequest, case_id: str) -> HttpResponse:
    """Off to the payment provider for the case's pending fee."""
    account: Account = request.account  # type: ignore[attr-defined]
    payment = Payment.objects.filter(case_id=case_id, case__applicant=account, status=PaymentStatus.PENDING).first()
    if payment is None:
        return redirect("portal:case", case_id=case_id)
    back = reverse("portal:case", kwargs={"case_id": case_id})
    return HttpResponseRedirect(payments.provider().checkout_url(payment, back))


@citizen_required
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    return _case_page(request, case_id)


def _case_page(
    request: HttpRequest, case_id: str, refused: forms.ResubmitForm | None = None, dossier_id: Any = None
) -> HttpResponse:
    """The case and each agency's dossier; with ``refused``, the supplement form of ``dossier_id`` drawn again with
    its errors (status 400)."""
    account: Account = request.account  # type: ignore[attr-defined]
    case = Case.objects.select_related("group").filter(pk=case_id, applicant=account).first()
    if case is None:
        raise Http404("No such case")
    dossiers = [
        {"dossier": dossier, "deadline": deadline_status(dossier), "transitions": list(dossier.transitions.all())}
        for dossier in Dossier.objects.select_related("procedure")
        .prefetch_related("transitions")  # one query for every dossier's transitions, not one each
        .filter(case=case)
        .order_by("created_at")
    ]
    return render(
        request,
        "portal/case.html",
        {
            "case": case,
            "dossiers": dossiers,
            "payments": case.payments.order_by("created_at"),
            "resubmit_form": refused,
            "resubmit_forms": {dossier_id: refused} if refused is not None else {},
        },
        status=400 if refused is not None else 200,
    )


@citizen_required
def documents(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    return render(
        request,
        "portal/documents.html",
        {"documents": Document.objects.filter(owner=account).select_related("dossier")[:100]},
    )


@citizen_required
def document_pdf(request: HttpRequest, document_id: str) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    document = Document.objects.select_related("dossier").filter(pk=document_id, owner=account).first()
    if document is None:
        raise Http404("No such document")
    pdf = results.render_pdf(document, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.kind}-{document.dossier.number}.pdf"'
    return response


@citizen_required
def declare_death(request: HttpRequest) -> HttpResponse:
    """A relative declares a death: the deceased's data comes from the registry by their ID number; the requester
    chooses the optional procedures."""
    account: Account = request.account  # type: ignore[attr-defined]
    optional = (linked.FUNERAL, linked.SURVIVOR)
    held = HeldUploads(request, "declare_death")
    if request.method == "POST":
        held.drop(*request.POST.getlist(REMOVE_FIELD))
        form = forms.DeathDeclarationForm(request.POST, request.FILES, optional_procedures=optional, held=held.files())
        case = None
        if form.is_valid():
            notice = _upload(form, "death_notice") or held.upload(form, "death_notice", "death_notice")
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = linked.declare_death(
                    account,
                    deceased_pin=data["deceased_pin"],
                    death_date=data["death_date"],
                    death_place=data["death_place"],
                    requester_relationship=data["requester_relationship"],
                    procedures=data["procedures"],
                    death_notice=notice,
                    bank_account=data["bank_account"],
                )
            except DomainError as exc:
                form.add_domain_error(exc)
        if case is None:
            held.keep(form, ("death_notice",))
            context = {"form": form, "q": _redisplay(request, form), "held": held.files()}
            return render(request, "portal/declare_death.html", context, status=400)
        held.clear()
        return redirect("portal:case", case_id=case.pk)
    held.clear()
    form = forms.DeathDeclarationForm(optional_procedures=optional)
    return render(request, "portal/declare_death.html", {"form": form, "q": {"procedures": []}, "held": {}})


@citizen_required
@require_POST
def resubmit(request: HttpRequest, case_id: str, dossier_id: str) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    from dancu.procedures import workflow

    dossier = (
        Dossier.objects.select_related("procedure")
        .filter(pk=dossier_id, case_id=case_id, case__applicant=account)
        .first()
    )
    if dossier is None:
        raise Http404("No such dossier")
    form = forms.ResubmitForm(request.POST, request.FILES)
    form.error_anchors = {"note": f"note-{dossier.pk}", "file": f"file-{dossier.pk}"}
    if form.is_valid():
        codes = [a["code"] for a in dossier.procedure.attachments]
        upload = _upload(form, "file")
        if upload is not None and codes:
            upload = Upload(codes[0], upload.content_type, upload.content)
        try:
            workflow.resubmit(dossier.pk, account_id=account.pk, note=form.cleaned_data["note"], upload=upload)
        except DomainError as exc:
            form.add_domain_error(exc)
    if form.errors:
        return _case_page(request, case_id, form, dossier.pk)
    messages.success(request, _("Sent. The office continues with your dossier."))
    return redirect("portal:case", case_id=case_id)
