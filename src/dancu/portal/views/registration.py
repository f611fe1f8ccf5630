"""Level-1 registration and password recovery, each in two steps (the SMS code, then a password)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dancu.accounts.services import recovery, registration, web_sessions
from dancu.core.errors import DomainError
from dancu.portal import forms
from dancu.portal.views.common import context_of

# --- registration and recovery ---------------------------------------------------------------------------------------


def register(request: HttpRequest) -> HttpResponse:
    """Level-1 registration, step 1: ID number, name, date of birth, card issue date, phone."""
    if request.method == "POST":
        form = forms.RegistrationForm(request.POST)
        if form.is_valid():
            try:
                pending = registration.start_registration(**form.cleaned_data, context=context_of(request))
            except DomainError as exc:
                form.add_domain_error(exc)
        if not form.is_valid():
            context = {"form": form, "q": form.data}
            return render(request, "portal/register.html", context, status=400)
        request.session["portal_registration"] = pending
        return redirect("portal:register_confirm")
    return render(request, "portal/register.html", {"form": forms.RegistrationForm(), "q": {}})


def _code_and_password(request: HttpRequest, complete: Callable[..., Any]) -> tuple[forms.CodeAndPasswordForm, Any]:
    """The second step of registration and recovery: the SMS code and a new password typed twice, then
    ``complete`` (the service); returns the form and the service's answer (``None`` if refused)."""
    form = forms.CodeAndPasswordForm(request.POST)
    result = None
    if form.is_valid():
        try:
            result = complete(
                code=form.cleaned_data["code"], password=form.cleaned_data["password"], context=context_of(request)
            )
        except DomainError as exc:
            form.add_domain_error(exc)
    return form, result


def register_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: the code sent by SMS, and a password."""
    pending = request.session.get("portal_registration")
    if not pending:
        return redirect("portal:register")
    if request.method == "POST":
        form, account = _code_and_password(
            request, functools.partial(registration.confirm_registration, pending_id=pending)
        )
        if account is None:
            context = {"form": form}
            return render(request, "portal/register_confirm.html", context, status=400)
        request.session.pop("portal_registration", None)
        web_sessions.start_session(request, account, ["pwd"], context_of(request))
        messages.success(request, _("Your level-1 e-ID account is ready."))
        return redirect("portal:home")
    return render(request, "portal/register_confirm.html", {"form": forms.CodeAndPasswordForm()})


def recover(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = forms.RecoveryForm(request.POST)
        if form.is_valid():
            try:
                pending = recovery.start_recovery(**form.cleaned_data, context=context_of(request))
            except DomainError as exc:
                form.add_domain_error(exc)
        if not form.is_valid():
            return render(request, "portal/recover.html", {"form": form}, status=400)
        request.session["portal_recovery"] = pending
        messages.info(request, recovery.RECOVERY_SENT)
        return redirect("portal:recover_confirm")
    return render(request, "portal/recover.html", {"form": forms.RecoveryForm()})


def recover_confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get("portal_recovery")
    if not pending:
        return redirect("portal:recover")
    if request.method == "POST":
        form, account = _code_and_password(request, functools.partial(recovery.complete_recovery, pending_id=pending))
        if account is None:
            context = {"form": form}
            return render(request, "portal/recover_confirm.html", context, status=400)
        request.session.pop("portal_recovery", None)
        messages.success(request, _("Your password was changed. Sign in with the new one."))
        return redirect("portal:login")
    return render(request, "portal/recover_confirm.html", {"form": forms.CodeAndPasswordForm()})
