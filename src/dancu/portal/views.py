"""The citizen portal: sign in with the e-ID, my record, my consents, who accessed my data, my account's security.

Every page shows only the signed-in citizen's own data (or their young children's, for a parent). PINs and other
personal data travel in POST bodies, never in URLs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dancu.accounts import oidc_csp, passkeys, throttle
from dancu.accounts.models import Account, AccountSession, ClientConsent, SecurityEvent
from dancu.accounts.services import (
    client_consents,
    contact_points,
    passwords,
    recovery,
    registration,
    second_factors,
    sessions,
    signin,
    web_sessions,
)
from dancu.accounts.services.codes import mask_phone
from dancu.accounts.services.context import RequestContext, record
from dancu.cards.models import IdentityCard
from dancu.core.errors import DomainError
from dancu.exchange import services as exchange
from dancu.exchange.choices import CONSENT_FIELDS
from dancu.portal import forms
from dancu.registry import presenters
from dancu.registry.models import Person

#: What each security event is called on the Security page.
SECURITY_EVENT_LABELS = {
    "registered": gettext_lazy("Account created"),
    "signed_in": gettext_lazy("Signed in"),
    "signed_out": gettext_lazy("Signed out"),
    "sign_in_failed": gettext_lazy("Failed sign-in"),
    "sign_in_refused_locked": gettext_lazy("Sign-in refused while paused"),
    "locked": gettext_lazy("Sign-in paused after failed attempts"),
    "step_up": gettext_lazy("Second factor confirmed"),
    "session_revoked": gettext_lazy("Session signed out remotely"),
    "password_changed": gettext_lazy("Password changed"),
    "recovery_requested": gettext_lazy("Recovery code requested"),
    "recovery_completed": gettext_lazy("Password reset by recovery"),
    "totp_enabled": gettext_lazy("Authenticator app added"),
    "totp_disabled": gettext_lazy("Authenticator app removed"),
    "totp_failed": gettext_lazy("Wrong authenticator code"),
    "passkey_added": gettext_lazy("Passkey added"),
    "passkey_removed": gettext_lazy("Passkey removed"),
    "level2_activated": gettext_lazy("Level 2 activated in person"),
    "child_account_created": gettext_lazy("Child's account created"),
    "client_consent_granted": gettext_lazy("Application allowed"),
    "client_consent_revoked": gettext_lazy("Application's access revoked"),
    "consent_granted": gettext_lazy("Consent given to an organisation"),
    "consent_revoked": gettext_lazy("Consent revoked"),
    "email_code_sent": gettext_lazy("E-mail confirmation code sent"),
    "email_changed": gettext_lazy("E-mail address confirmed"),
    "email_removed": gettext_lazy("E-mail address removed"),
    "notifications_changed": gettext_lazy("Notification settings changed"),
}

PRE_AUTH_KEY = "portal_pre_auth"
PRE_AUTH_SECONDS = 300
FIELD_NAMES = {"ethnicity": "Dân tộc / Ethnicity", "religion": "Tôn giáo / Religion"}


def _safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address if it stays on this site (Django's own check), else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None, require_https=request.is_secure()):
        return target
    return default


def context_of(request: HttpRequest) -> RequestContext:
    """The request context the account services take, built once per request."""
    if not hasattr(request, "dancu_request_context"):
        request.dancu_request_context = RequestContext.from_request(request)  # type: ignore[attr-defined]
    return request.dancu_request_context  # type: ignore[attr-defined,no-any-return]


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in citizen with an open (not revoked) session; sets ``request.account``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = web_sessions.signed_in(request)
        if found is None:
            if request.user.is_authenticated:
                logout(request)
            return HttpResponseRedirect(reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()}))
        account, session = found
        sessions.seen(session)
        request.account = account  # type: ignore[attr-defined]
        request.account_session = session  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _form_errors(request: HttpRequest, form: forms.PortalForm) -> None:
    """A redirected page shows the form's errors as notices, each once."""
    for message in dict.fromkeys(str(m) for errors in form.errors.values() for m in errors):
        messages.error(request, message)


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
            context = {"form": form, "error": form.first_error(), "next": next_url, "pin": form.data.get("pin", "")}
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
            context = {"form": form, "error": form.first_error(), "next": next_url}
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
            return render(
                request, "portal/step_up.html", {**context, "form": form, "error": form.first_error()}, status=400
            )
        web_sessions.add_factor(request, account, "otp", context=context_of(request))
        return HttpResponseRedirect(str(context["next"]))
    return render(request, "portal/step_up.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    web_sessions.end_session(request, context=context_of(request))
    return redirect("portal:login")


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
            context = {"form": form, "error": form.first_error(), "q": form.data}
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
            context = {"form": form, "error": form.first_error()}
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
            return render(request, "portal/recover.html", {"form": form, "error": form.first_error()}, status=400)
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
            context = {"form": form, "error": form.first_error()}
            return render(request, "portal/recover_confirm.html", context, status=400)
        request.session.pop("portal_recovery", None)
        messages.success(request, _("Your password was changed. Sign in with the new one."))
        return redirect("portal:login")
    return render(request, "portal/recover_confirm.html", {"form": forms.CodeAndPasswordForm()})


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
    form = forms.ChildAccountForm(request.POST)
    if form.is_valid():
        try:
            registration.create_child_account(
                parent=request.account,  # type: ignore[attr-defined]
                child_pin=form.cleaned_data["child_pin"],
                context=context_of(request),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        messages.success(request, _("The child's account was created."))
    return redirect("portal:home")


# --- consents and access history -------------------------------------------------------------------------------------


@citizen_required
def consents(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    pin = account.person.pin
    if request.method == "POST":
        _consent_action(request, account)
        return redirect("portal:consents")
    mine = exchange.consents_of(pin)
    return render(
        request,
        "portal/consents.html",
        {
            "offers": exchange.consentable_systems(),
            "open": [c for c in mine if c.revoked_at is None],
            "past": [c for c in mine if c.revoked_at is not None][:20],
            "field_names": FIELD_NAMES,
            "consent_fields": sorted(CONSENT_FIELDS),
        },
    )


def _consent_action(request: HttpRequest, account: Account) -> None:
    """Grant or revoke a consent to a connected system (the exchange's service), noted in the security history."""
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
    if form.errors:
        _form_errors(request, form)


@citizen_required
def access_history(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    try:
        after = max(int(request.GET.get("after", "0") or 0), 0)
    except ValueError:
        after = 0
    entries = exchange.access_history(account.person.pin, after=after, limit=100)
    return render(
        request,
        "portal/access.html",
        {"entries": entries, "next_after": entries[-1]["sequence"] if len(entries) == 100 else None},
    )


# --- security --------------------------------------------------------------------------------------------------------


def _security_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {
        "account": account,
        "has_totp": second_factors.has_totp(account),
        "sessions": AccountSession.objects.filter(account=account, ended_at__isnull=True),
        "current_session": request.account_session,  # type: ignore[attr-defined]
        "events": [
            (event, SECURITY_EVENT_LABELS.get(event.kind, event.kind))
            for event in SecurityEvent.objects.filter(account=account)[:50]
        ],
        "client_consents": ClientConsent.objects.select_related("application").filter(
            account=account, revoked_at__isnull=True
        ),
        "passkeys": account.passkeys.all(),
        "masked_phone": mask_phone(account.phone),
        "email_pending": (request.session.get("email_pending") or {}).get("email", ""),
        "acr": signin.acr_for(account, request.session.get("amr", [])),
    }


@citizen_required
def security(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    return render(request, "portal/security.html", _security_context(request, account))


@citizen_required
@require_POST
def security_action(request: HttpRequest) -> HttpResponse:
    """One of the Security page's forms. Refused input draws the page again (status 400) with the notices and the
    bound form as ``failed_form``, its errors per field."""
    account: Account = request.account  # type: ignore[attr-defined]
    chosen = forms.SecurityActionForm(request.POST)
    if not chosen.is_valid():
        messages.error(request, _("Invalid request."))
        return redirect("portal:security")
    action = chosen.cleaned_data["action"]
    form = forms.SECURITY_ACTIONS[action](request.POST)
    if form.is_valid():
        try:
            response = _do_security_action(request, account, action, form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return response or redirect("portal:security")
    _form_errors(request, form)
    context = {**_security_context(request, account), "failed_form": form, "failed_action": action}
    return render(request, "portal/security.html", context, status=400)


def _do_security_action(
    request: HttpRequest, account: Account, action: str, data: dict[str, Any]
) -> HttpResponse | None:
    """Call the one service behind ``action``; a page to draw, or ``None`` to go back to the Security page."""
    context = context_of(request)
    if action == "password":
        passwords.change_password(account=account, current=data["current"], new=data["new"], context=context)
        web_sessions.password_changed(request, account, request.account_session)  # type: ignore[attr-defined]
        messages.success(request, _("Password changed."))
    elif action == "totp_begin":
        secret, uri = second_factors.begin_totp(account)
        request.session["totp_setup"] = True
        qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#0b3d5c")
        return render(request, "portal/totp_setup.html", {"secret": secret, "qr": qr})
    elif action == "totp_confirm":
        second_factors.confirm_totp(account, data["code"], context)
        messages.success(request, _("Authenticator app enabled."))
    elif action == "totp_disable":
        second_factors.disable_totp(account, context, current_password=data["current"])
        messages.success(request, _("Authenticator app removed."))
    elif action == "email_begin":
        pending = contact_points.start_email_change(account=account, email=data["email"], context=context)
        request.session["email_pending"] = {"id": pending, "email": data["email"]}
        messages.success(request, _("A code was sent to %(email)s.") % {"email": data["email"]})
    elif action == "email_confirm":
        pending = request.session.get("email_pending") or {}
        contact_points.confirm_email(
            account=account, pending_id=str(pending.get("id", "")), email=str(pending.get("email", "")),
            code=data["code"], context=context,
        )  # fmt: skip
        request.session.pop("email_pending", None)
        messages.success(request, _("E-mail address confirmed."))
    elif action == "email_cancel":
        request.session.pop("email_pending", None)
    elif action == "email_remove":
        contact_points.remove_email(account=account, context=context)
        messages.success(request, _("E-mail address removed."))
    elif action == "notifications":
        contact_points.set_notification_channels(account=account, sms=data["sms"], email=data["email"], context=context)
        messages.success(request, _("Notification settings saved."))
    elif action == "revoke_session":
        sessions.revoke_session(account, data["session"], context)
        messages.success(request, _("Session signed out."))
    elif action == "passkey_remove":
        passkeys.remove(request, account, data["passkey"])
        messages.success(request, _("Passkey removed."))
    elif action == "revoke_client":
        client_consents.revoke_client_consent(account, data["consent"], context)
        messages.success(request, _("Access for the application revoked."))
    return None


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
