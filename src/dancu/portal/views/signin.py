"""Sign-in with password, authenticator code or passkey, step-up to level 2, sign-out."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dancu.accounts import oidc_csp
from dancu.accounts.models import Account
from dancu.accounts.services import second_factors, signin, web_sessions
from dancu.core.errors import DomainError
from dancu.portal import forms
from dancu.portal.views.common import _safe_next, citizen_required, context_of

PRE_AUTH_KEY = "portal_pre_auth"
PRE_AUTH_SECONDS = 300


# --- sign-in ---------------------------------------------------------------------------------------------------------


@oidc_csp.form_action_for_next
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("portal:home"))
    if request.method == "POST":
        form = forms.LoginForm(request.POST)
        if form.is_valid():
            try:
                account = signin.authenticate_password(**form.cleaned_data, context=context_of(request))
            except DomainError as exc:
                form.add_domain_error(exc)
        if not form.is_valid():
            context = {"form": form, "next": next_url, "pin": form.data.get("pin", "")}
            return render(request, "portal/login.html", context, status=400)
        if second_factors.has_totp(account):
            request.session.cycle_key()
            request.session[PRE_AUTH_KEY] = {"account": str(account.pk), "at": timezone.now().timestamp()}
            return HttpResponseRedirect(reverse("portal:login_totp") + "?" + urlencode({"next": next_url}))
        web_sessions.start_session(request, account, ["pwd"], context_of(request))
        return HttpResponseRedirect(next_url)
    return render(request, "portal/login.html", {"form": forms.LoginForm(), "next": next_url})


@oidc_csp.form_action_for_next
def login_totp(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in for accounts with an authenticator app."""
    next_url = _safe_next(request, reverse("portal:home"))
    pending = request.session.get(PRE_AUTH_KEY)
    if not pending or timezone.now().timestamp() - pending["at"] > PRE_AUTH_SECONDS:
        request.session.pop(PRE_AUTH_KEY, None)
        return HttpResponseRedirect(reverse("portal:login"))
    account = Account.objects.select_related("user", "person").get(pk=pending["account"])
    if request.method == "POST":
        form = forms.TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                second_factors.verify_totp(account, form.cleaned_data["code"], context_of(request))
            except DomainError as exc:
                form.add_domain_error(exc)
        if not form.is_valid():
            context = {"form": form, "next": next_url}
            return render(request, "portal/totp.html", context, status=400)
        request.session.pop(PRE_AUTH_KEY, None)
        web_sessions.start_session(request, account, ["pwd", "otp"], context_of(request))
        return HttpResponseRedirect(next_url)
    return render(request, "portal/totp.html", {"form": forms.TotpCodeForm(), "next": next_url})


@oidc_csp.form_action_for_next
@citizen_required
def step_up(request: HttpRequest) -> HttpResponse:
    """A service asked for level 2: prove a second factor in this session."""
    account: Account = request.account  # type: ignore[attr-defined]
    context = {
        "next": _safe_next(request, reverse("portal:home")),
        "has_totp": second_factors.has_totp(account),
        "has_passkey": account.passkeys.exists(),
        "form": forms.TotpCodeForm(),
    }
    if request.method == "POST" and context["has_totp"]:
        form = forms.TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                second_factors.verify_totp(account, form.cleaned_data["code"], context_of(request))
            except DomainError as exc:
                form.add_domain_error(exc)
        if not form.is_valid():
            return render(request, "portal/step_up.html", {**context, "form": form}, status=400)
        web_sessions.add_factor(request, account, "otp", context=context_of(request))
        return HttpResponseRedirect(str(context["next"]))
    return render(request, "portal/step_up.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    web_sessions.end_session(request, context=context_of(request))
    return redirect("portal:login")
