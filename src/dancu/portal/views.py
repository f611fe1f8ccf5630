"""The citizen portal: sign in with the e-ID, my record, my consents, who accessed my data, my account's security.

Every page shows only the signed-in citizen's own data (or their young children's, for a parent). PINs and other
personal data travel in POST bodies, never in URLs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
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

from dancu.accounts import oidc_csp, passkeys, services, throttle
from dancu.accounts.models import Account, AccountSession, ClientConsent, SecurityEvent
from dancu.cards.models import IdentityCard
from dancu.core.errors import DomainError
from dancu.exchange import services as exchange
from dancu.exchange.choices import CONSENT_FIELDS
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


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in citizen with an open (not revoked) session; sets ``request.account``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = services.signed_in(request)
        if found is None:
            if request.user.is_authenticated:
                logout(request)
            return HttpResponseRedirect(reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()}))
        account, session = found
        if (timezone.now() - session.last_seen_at).total_seconds() > 60:
            AccountSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now())
        request.account = account  # type: ignore[attr-defined]
        request.account_session = session  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- sign-in ---------------------------------------------------------------------------------------------------------


@oidc_csp.form_action_for_next
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("portal:home"))
    if request.method == "POST":
        pin = request.POST.get("pin", "").strip()
        try:
            account = services.authenticate_password(
                pin=pin, password=request.POST.get("password", ""), request=request
            )
        except DomainError as exc:
            return render(
                request, "portal/login.html", {"error": exc.message, "next": next_url, "pin": pin}, status=400
            )
        if services.has_totp(account):
            request.session.cycle_key()
            request.session[PRE_AUTH_KEY] = {"account": str(account.pk), "at": timezone.now().timestamp()}
            return HttpResponseRedirect(reverse("portal:login_totp") + "?" + urlencode({"next": next_url}))
        services.start_session(request, account, ["pwd"])
        return HttpResponseRedirect(next_url)
    return render(request, "portal/login.html", {"next": next_url})


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
        try:
            services.verify_totp(account, request.POST.get("code", ""), request)
        except DomainError as exc:
            return render(request, "portal/totp.html", {"error": exc.message, "next": next_url}, status=400)
        request.session.pop(PRE_AUTH_KEY, None)
        services.start_session(request, account, ["pwd", "otp"])
        return HttpResponseRedirect(next_url)
    return render(request, "portal/totp.html", {"next": next_url})


@oidc_csp.form_action_for_next
@citizen_required
def step_up(request: HttpRequest) -> HttpResponse:
    """A service asked for level 2: prove a second factor in this session."""
    account: Account = request.account  # type: ignore[attr-defined]
    context = {
        "next": _safe_next(request, reverse("portal:home")),
        "has_totp": services.has_totp(account),
        "has_passkey": account.passkeys.exists(),
    }
    if request.method == "POST" and context["has_totp"]:
        try:
            services.verify_totp(account, request.POST.get("code", ""), request)
        except DomainError as exc:
            return render(request, "portal/step_up.html", {**context, "error": exc.message}, status=400)
        services.add_factor(request, account, "otp")
        return HttpResponseRedirect(str(context["next"]))
    return render(request, "portal/step_up.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.end_session(request)
    return redirect("portal:login")


# --- registration and recovery ---------------------------------------------------------------------------------------


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None


def register(request: HttpRequest) -> HttpResponse:
    """Level-1 registration, step 1: ID number, name, date of birth, card issue date, phone."""
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        birth, issued = _date(data.get("birth_date", "")), _date(data.get("card_issued_on", ""))
        try:
            if birth is None or issued is None:
                raise DomainError("date_invalid", _("Dates are written YYYY-MM-DD."))
            pending = services.start_registration(
                pin=data.get("pin", "").strip(),
                full_name=data.get("full_name", ""),
                birth_date=birth,
                card_issued_on=issued,
                phone=data.get("phone", ""),
                request=request,
            )
        except DomainError as exc:
            return render(request, "portal/register.html", {"error": exc.message, "q": data}, status=400)
        request.session["portal_registration"] = pending
        return redirect("portal:register_confirm")
    return render(request, "portal/register.html", {"q": data})


def _code_and_password(request: HttpRequest, complete: Callable[..., Any]) -> Any:
    """The second step of registration and recovery: the SMS code and a new password typed twice."""
    password = request.POST.get("password", "")
    if password != request.POST.get("password2", ""):
        raise DomainError("password_mismatch", _("The passwords differ."), field="password2")
    return complete(code=request.POST.get("code", ""), password=password, request=request)


def register_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: the code sent by SMS, and a password."""
    pending = request.session.get("portal_registration")
    if not pending:
        return redirect("portal:register")
    if request.method == "POST":
        try:
            account = _code_and_password(request, functools.partial(services.confirm_registration, pending_id=pending))
        except DomainError as exc:
            return render(request, "portal/register_confirm.html", {"error": exc.message}, status=400)
        request.session.pop("portal_registration", None)
        services.start_session(request, account, ["pwd"])
        messages.success(request, _("Your level-1 e-ID account is ready."))
        return redirect("portal:home")
    return render(request, "portal/register_confirm.html", {})


def recover(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            pending = services.start_recovery(
                pin=request.POST.get("pin", "").strip(), phone=request.POST.get("phone", ""), request=request
            )
        except DomainError as exc:
            return render(request, "portal/recover.html", {"error": exc.message}, status=400)
        request.session["portal_recovery"] = pending
        messages.info(request, services.RECOVERY_SENT)
        return redirect("portal:recover_confirm")
    return render(request, "portal/recover.html", {})


def recover_confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get("portal_recovery")
    if not pending:
        return redirect("portal:recover")
    if request.method == "POST":
        try:
            _code_and_password(request, functools.partial(services.complete_recovery, pending_id=pending))
        except DomainError as exc:
            return render(request, "portal/recover_confirm.html", {"error": exc.message}, status=400)
        request.session.pop("portal_recovery", None)
        messages.success(request, _("Your password was changed. Sign in with the new one."))
        return redirect("portal:login")
    return render(request, "portal/recover_confirm.html", {})


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
    try:
        services.create_child_account(
            parent=request.account,  # type: ignore[attr-defined]
            child_pin=request.POST.get("child_pin", "").strip(),
            request=request,
        )
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The child's account was created."))
    return redirect("portal:home")


# --- consents and access history -------------------------------------------------------------------------------------


@citizen_required
def consents(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    pin = account.person.pin
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                exchange.revoke_consent(pin, int(request.POST.get("consent", "0") or 0))
                services.record(account, "consent_revoked", request)
                messages.success(request, _("Consent revoked."))
            else:
                system = request.POST.get("system", "")
                exchange.grant_consent(pin, system, request.POST.getlist("fields"))
                services.record(account, "consent_granted", request, system=system)
                messages.success(request, _("Consent granted."))
        except DomainError as exc:
            _error(request, exc)
        except ValueError:
            messages.error(request, _("Invalid request."))
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


@citizen_required
def security(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "account": account,
        "has_totp": services.has_totp(account),
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
        "masked_phone": services.mask_phone(account.phone),
        "email_pending": (request.session.get("email_pending") or {}).get("email", ""),
        "acr": services.acr_for(account, request.session.get("amr", [])),
    }
    return render(request, "portal/security.html", context)


@citizen_required
@require_POST
def security_action(request: HttpRequest) -> HttpResponse:
    account: Account = request.account  # type: ignore[attr-defined]
    action = request.POST.get("action", "")
    try:
        if action == "password":
            if request.POST.get("new", "") != request.POST.get("new2", ""):
                raise DomainError("password_mismatch", _("The passwords differ."))
            services.change_password(
                account=account,
                current=request.POST.get("current", ""),
                new=request.POST.get("new", ""),
                request=request,
            )
            request.session.cycle_key()
            AccountSession.objects.filter(pk=request.account_session.pk).update(  # type: ignore[attr-defined]
                session_key=request.session.session_key
            )
            messages.success(request, _("Password changed."))
        elif action == "totp_begin":
            secret, uri = services.begin_totp(account)
            request.session["totp_setup"] = True
            qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#0b3d5c")
            return render(request, "portal/totp_setup.html", {"secret": secret, "qr": qr})
        elif action == "totp_confirm":
            services.confirm_totp(account, request.POST.get("code", ""), request)
            messages.success(request, _("Authenticator app enabled."))
        elif action == "totp_disable":
            if not account.user.check_password(request.POST.get("current", "")):
                raise DomainError("password_wrong", _("The current password is wrong."))
            services.disable_totp(account, request)
            messages.success(request, _("Authenticator app removed."))
        elif action == "email_begin":
            email = services.normalise_email(request.POST.get("email", ""))
            pending = services.start_email_change(account=account, email=email, request=request)
            request.session["email_pending"] = {"id": pending, "email": email}
            messages.success(request, _("A code was sent to %(email)s.") % {"email": email})
        elif action == "email_confirm":
            pending = request.session.get("email_pending") or {}
            services.confirm_email(
                account=account, pending_id=str(pending.get("id", "")), email=str(pending.get("email", "")),
                code=request.POST.get("code", ""), request=request,
            )  # fmt: skip
            request.session.pop("email_pending", None)
            messages.success(request, _("E-mail address confirmed."))
        elif action == "email_cancel":
            request.session.pop("email_pending", None)
        elif action == "email_remove":
            services.remove_email(account=account, request=request)
            messages.success(request, _("E-mail address removed."))
        elif action == "notifications":
            services.set_notification_channels(
                account=account, sms=request.POST.get("sms") == "on", email=request.POST.get("email") == "on",
                request=request,
            )  # fmt: skip
            messages.success(request, _("Notification settings saved."))
        elif action == "revoke_session":
            services.revoke_session(account, int(request.POST.get("session", "0") or 0), request)
            messages.success(request, _("Session signed out."))
        elif action == "passkey_remove":
            passkeys.remove(request, account, int(request.POST.get("passkey", "0") or 0))
            messages.success(request, _("Passkey removed."))
        elif action == "revoke_client":
            services.revoke_client_consent(account, int(request.POST.get("consent", "0") or 0), request)
            messages.success(request, _("Access for the application revoked."))
        else:
            messages.error(request, _("Invalid request."))
    except DomainError as exc:
        _error(request, exc)
    except ValueError:
        messages.error(request, _("Invalid request."))
    return redirect("portal:security")


# --- passkeys (JSON endpoints called by static/portal/passkeys.js) ---------------------------------------------------


def _json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


@citizen_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    return HttpResponse(passkeys.registration_options(request, request.account), content_type="application/json")  # type: ignore[attr-defined]


@citizen_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    try:
        data = passkeys.parse(request.body)
        passkeys.register(request, request.account, data.get("credential") or {}, str(data.get("name", "")))  # type: ignore[attr-defined]
    except DomainError as exc:
        return _json_error(exc)
    messages.success(request, _("Passkey added."))
    return JsonResponse({"ok": True, "next": reverse("portal:security")})


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    try:
        throttle.hit("passkey-ip", services.client_key(request), limit=60, window=300)
    except DomainError as exc:
        return _json_error(exc)
    return HttpResponse(passkeys.authentication_options(request), content_type="application/json")


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("portal:home"))
    try:
        data = passkeys.parse(request.body)
        account = passkeys.authenticate(request, data.get("credential") or {})
    except DomainError as exc:
        return _json_error(exc)
    if request.user.is_authenticated and getattr(getattr(request.user, "eid_account", None), "pk", None) == account.pk:
        services.add_factor(request, account, *passkeys.AMR)  # step-up with a passkey in a password session
    else:
        services.start_session(request, account, passkeys.AMR)
    return JsonResponse({"ok": True, "next": next_url})
