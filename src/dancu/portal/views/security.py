"""The Security page: password, authenticator app, e-mail, notifications, sessions, passkeys, applications."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dancu.accounts import passkeys
from dancu.accounts.models import Account, AccountSession, ClientConsent, SecurityEvent
from dancu.accounts.services import (
    client_consents,
    contact_points,
    passwords,
    second_factors,
    sessions,
    signin,
    web_sessions,
)
from dancu.accounts.services.codes import mask_phone
from dancu.accounts.services.signin import ACR_LEVEL1, ACR_LEVEL2
from dancu.core.errors import DomainError
from dancu.core.user_agents import summarise
from dancu.exchange.choices import data_names
from dancu.portal import forms
from dancu.portal.views.common import citizen_required, context_of

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


#: The Security page draws several forms with the same field names: the id of each action's inputs where it is not
#: the field's name (the error summary links there); "" for a field drawn on another page (no link).
FIELD_IDS: dict[str, dict[str, str]] = {
    "email_confirm": {"code": "email-code"},
    "totp_disable": {"current": "cur-totp"},
    "totp_confirm": {"code": ""},
}


# --- security --------------------------------------------------------------------------------------------------------


def assurance_name(acr: str) -> str:
    """An assurance level (``urn:dancu:eid:level2``) as people say it: "Level 2" ("Mức 2")."""
    level = {ACR_LEVEL1: 1, ACR_LEVEL2: 2}.get(acr)
    return _("Level %(level)s") % {"level": level} if level else acr


def device_name(user_agent: str) -> str:
    """A session's browser and system in words ("Chrome on Windows"), from its User-Agent."""
    browser, system = summarise(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")


def devices(open_sessions: list[AccountSession], current: AccountSession | None) -> list[dict[str, Any]]:
    """The open sessions grouped by device (browser and system), most recently used first: how many, when last
    used, whether this session is one of them, and the sessions themselves (each can be signed out)."""
    groups: dict[str, dict[str, Any]] = {}
    for session in open_sessions:
        name = device_name(session.user_agent)
        group = groups.setdefault(name, {"name": name, "sessions": [], "last_seen": session.last_seen_at})
        group["sessions"].append(session)
        group["last_seen"] = max(group["last_seen"], session.last_seen_at)
    for group in groups.values():
        group["current"] = current is not None and any(s.pk == current.pk for s in group["sessions"])
    return sorted(groups.values(), key=lambda g: (not g["current"], -g["last_seen"].timestamp()))


def _security_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    open_sessions = list(AccountSession.objects.filter(account=account, ended_at__isnull=True))
    consents = ClientConsent.objects.select_related("application").filter(account=account, revoked_at__isnull=True)
    return {
        "account": account,
        "has_totp": second_factors.has_totp(account),
        "sessions": open_sessions,
        "devices": devices(open_sessions, request.account_session),  # type: ignore[attr-defined]
        "current_session": request.account_session,  # type: ignore[attr-defined]
        "events": [
            (event, SECURITY_EVENT_LABELS.get(event.kind, event.kind))
            for event in SecurityEvent.objects.filter(account=account)[:50]
        ],
        "client_consents": [(c, data_names(client_consents.scope_data(c.scopes))) for c in consents],
        "passkeys": account.passkeys.all(),
        "masked_phone": mask_phone(account.phone),
        "email_pending": (request.session.get("email_pending") or {}).get("email", ""),
        "acr": signin.acr_for(account, request.session.get("amr", [])),
        "assurance": assurance_name(signin.acr_for(account, request.session.get("amr", []))),
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
    form.error_anchors = FIELD_IDS.get(action, {})
    context = {
        **_security_context(request, account),
        "failed_form": form,
        "failed_action": action,
        "forms": {action: form},
    }
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
