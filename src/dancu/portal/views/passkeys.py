"""Passkeys: the JSON endpoints called by static/portal/passkeys.js, to add one and to sign in with one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dancu.accounts import passkeys, throttle
from dancu.accounts.models import Account
from dancu.accounts.services import web_sessions
from dancu.core.errors import DomainError
from dancu.portal import forms
from dancu.portal.views.common import _safe_next, citizen_required, context_of

# --- passkeys (JSON endpoints called by static/portal/passkeys.js) ---------------------------------------------------


def _json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


def _json_form_error(form: forms.PortalForm) -> JsonResponse:
    """The first refused field of a JSON body, as the API's errors are written: code, message, field."""
    for field, errors in form.errors.as_data().items():
        error = errors[0]
        return JsonResponse(
            {"code": error.code or "invalid", "message": " ".join(error.messages), "field": field}, status=400
        )
    return JsonResponse({"code": "invalid", "message": _("Invalid request.")}, status=400)


@citizen_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    return HttpResponse(passkeys.registration_options(request, request.account), content_type="application/json")  # type: ignore[attr-defined]


@citizen_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    try:
        form = forms.PasskeyRegistrationForm(passkeys.parse(request.body))
        if not form.is_valid():
            return _json_form_error(form)
        account: Account = request.account  # type: ignore[attr-defined]
        passkeys.register(request, account, form.cleaned_data["credential"], form.cleaned_data["name"])
    except DomainError as exc:
        return _json_error(exc)
    messages.success(request, _("Passkey added."))
    return JsonResponse({"ok": True, "next": reverse("portal:security")})


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    try:
        throttle.hit("passkey-ip", context_of(request).client_key, limit=60, window=300)
    except DomainError as exc:
        return _json_error(exc)
    return HttpResponse(passkeys.authentication_options(request), content_type="application/json")


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("portal:home"))
    try:
        form = forms.PasskeySignInForm(passkeys.parse(request.body))
        if not form.is_valid():
            return _json_form_error(form)
        account = passkeys.authenticate(request, form.cleaned_data["credential"])
    except DomainError as exc:
        return _json_error(exc)
    if request.user.is_authenticated and getattr(getattr(request.user, "eid_account", None), "pk", None) == account.pk:
        web_sessions.add_factor(request, account, *passkeys.AMR, context=context_of(request))  # step-up
    else:
        web_sessions.start_session(request, account, passkeys.AMR, context_of(request))
    return JsonResponse({"ok": True, "next": next_url})
