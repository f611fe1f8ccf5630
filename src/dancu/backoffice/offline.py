"""The offline workspace (làm việc ngoại tuyến) of commune officers: the app's shell and service worker, and the
JSON endpoints it talks to while online — enrolment, the working set's key, the working set, number blocks, sync —
and the review of records that met a conflict. The rules are ``procedures.offline``'s."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dancu.accounts.services import devices
from dancu.backoffice.dossiers import refused
from dancu.backoffice.forms import DeviceEnrolForm, OfflineResolveForm, OfflineUploadForm
from dancu.core.errors import DomainError
from dancu.procedures import offline
from dancu.procedures.models import OfflineState

STATIC = Path(__file__).parent / "static" / "backoffice" / "offline"


#: Labels of the registry's side of a review (the offline side uses the fields' own labels).
REVIEW_LABELS = {
    "pin": gettext_lazy("Personal ID number"),
    "full_name": gettext_lazy("Full name"),
    "birth_date": gettext_lazy("Date of birth"),
    "sex": gettext_lazy("Sex"),
    "status": gettext_lazy("Life status"),
    "death_date": gettext_lazy("Date of death"),
    "mother": gettext_lazy("Mother"),
    "father": gettext_lazy("Father"),
    "household": gettext_lazy("Household"),
    "members": gettext_lazy("Members"),
    "case": gettext_lazy("Case"),
    "received_at": gettext_lazy("Received"),
}


def strings() -> dict[str, str]:
    """The app's words in the active language (the shell carries them as JSON; the script holds none)."""
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "not_enrolled": _("This device is not enrolled. Enrol it while online."),
        "enrolled": _("Enrolled device %(id)s; %(count)s dossier numbers left."),
        "key_expired": _("The key of the downloaded data has expired: sign in online to renew it."),
        "key_valid": _("Downloaded data of %(commune)s, readable until %(until)s."),
        "no_working_set": _("No working set downloaded yet."),
        "sign_in": _("Sign in again to do this."),
        "need_online": _("This needs a connection."),
        "enrolled_ok": _("Device enrolled."),
        "downloaded": _("Working set downloaded: %(count)s people."),
        "saved": _("Saved and signed as %(number)s."),
        "sync_done": _("Sync finished: %(sent)s sent, %(left)s waiting."),
        "sync_cut": _("The connection was lost; the sync resumes from where it stopped."),
        "no_numbers": _("No dossier numbers left on this device: connect to get more."),
        "choose": _("Choose"),
        "male": _("Male"),
        "female": _("Female"),
        "pending": _("Waiting to be sent"),
        "applied": _("Recorded in the registry"),
        "needs_review": _("Needs review"),
        "refused": _("Refused"),
        "rejected": _("Refused at upload"),
        "closed": _("Closed after review"),
        "error_prefix": _("Error:"),
    }


def _refusal(exc: DomainError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "message": str(exc.message)}, status=exc.status)


def _json_form(request: HttpRequest, form_class: type[Any]) -> Any:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    return form_class(data if isinstance(data, dict) else {})


def _invalid(form: Any) -> JsonResponse:
    return JsonResponse({"code": "offline_request_invalid", "message": form.first_error()}, status=400)


def _device(request: HttpRequest) -> Any:
    return devices.device_of(request.user, request.headers.get("X-Dancu-Device", ""))


@login_required
@permission_required("registry.view_person", raise_exception=True)
def workspace(request: HttpRequest) -> HttpResponse:
    """The app's shell: no personal data in it (the service worker keeps it for offline use)."""
    response = render(request, "backoffice/offline.html", {"key_hours": devices.key_hours(), "strings": strings()})
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served under /offline/ (not /static/) so that its scope is the workspace; no sign-in needed to fetch it."""
    response = HttpResponse((STATIC / "sw.js").read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def session(request: HttpRequest) -> JsonResponse:
    """Whether the officer is signed in, and a fresh CSRF token for the uploads (the cached shell's may be old)."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False})
    return JsonResponse({"signed_in": True, "user": request.user.get_username(), "csrf": get_token(request)})


@require_GET
def rules(request: HttpRequest) -> JsonResponse:
    """The shared field rules (procedures.offline.rules), in the active language."""
    return JsonResponse(offline.rules())


@login_required
@permission_required("registry.view_person", raise_exception=True)
@require_POST
def enrol(request: HttpRequest) -> JsonResponse:
    form = _json_form(request, DeviceEnrolForm)
    if not form.is_valid():
        return _invalid(form)
    try:
        device, block = offline.enrol_device(
            request.user, public_key_b64=form.cleaned_data["public_key"], label=form.cleaned_data["label"]
        )
    except DomainError as exc:
        return _refusal(exc)
    return JsonResponse({"device": str(device.pk), "numbers": block.numbers()}, status=201)


@login_required
@require_POST
def key(request: HttpRequest) -> JsonResponse:
    """The working set's AES-GCM key for the signed-in owner of a device that is not revoked, with its expiry."""
    try:
        device = _device(request)
    except DomainError as exc:
        return _refusal(exc)
    raw, expires = devices.working_set_key(device)
    return JsonResponse({"key": base64.b64encode(raw).decode(), "expires_at": int(expires.timestamp() * 1000)})


@login_required
@require_POST
def working_set(request: HttpRequest) -> JsonResponse:
    try:
        return JsonResponse(offline.working_set(request.user, _device(request)))
    except DomainError as exc:
        return _refusal(exc)


@login_required
@require_POST
def numbers(request: HttpRequest) -> JsonResponse:
    """Another block of dossier numbers for the device."""
    try:
        device = _device(request)
    except DomainError as exc:
        return _refusal(exc)
    return JsonResponse({"numbers": offline.allocate_block(device).numbers()}, status=201)


@login_required
@require_POST
def sync(request: HttpRequest) -> JsonResponse:
    """One record: 200 with its outcome (applied, needs_review, refused with a code), or a refusal with a code."""
    form = _json_form(request, OfflineUploadForm)
    if not form.is_valid():
        return _invalid(form)
    data = form.cleaned_data
    try:
        outcome = offline.receive(
            request.user, device_id=data["device"], body=data["body"], signature=data["signature"]
        )
    except DomainError as exc:
        return _refusal(exc)
    if outcome.replayed:
        return JsonResponse({"code": "offline_replay", "message": _("This record was already received."),
                             "outcome": outcome.as_dict()}, status=409)  # fmt: skip
    return JsonResponse(outcome.as_dict())


@login_required
@permission_required("registry.view_person", raise_exception=True)
def review(request: HttpRequest) -> HttpResponse:
    """The officer's uploaded records; those in review with both versions side by side and the two choices."""
    if request.method == "POST":
        form = OfflineResolveForm(request.POST)
        if form.is_valid():
            try:
                offline.resolve(request.user, request.POST.get("client_id", ""), action=form.cleaned_data["action"])
            except DomainError as exc:
                return refused(request, exc)
            except ValueError:
                return refused(request, DomainError("offline_record_not_found", _("No such record."), status=404))
        return redirect("backoffice:offline_review")
    records = offline.records_of(request.user)
    schema = offline.rules()["kinds"]
    english = get_language() == "en"
    labels = {f["name"]: f["label_en" if english else "label_vi"] for k in schema.values() for f in k["fields"]}
    labels.update(REVIEW_LABELS)
    for record in records:
        spec = schema.get(record.kind, {})
        record.kind_name = spec.get("name_en" if english else "name_vi", record.kind)  # type: ignore[attr-defined]
        record.sides = [  # type: ignore[attr-defined]
            [(str(labels.get(k, k)), v) for k, v in (record.review.get(side) or {}).items()]
            for side in ("offline", "registry")
        ]
    return render(
        request,
        "backoffice/offline_review.html",
        {
            "in_review": [r for r in records if r.state == OfflineState.NEEDS_REVIEW],
            "records": records,
            "form": OfflineResolveForm(),
            "states": OfflineState,
        },
    )
