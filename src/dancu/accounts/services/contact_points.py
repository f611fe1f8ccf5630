"""How the holder is reached: an optional e-mail address (kept only once a code sent to it is confirmed) and the
channels that carry procedure notices. Security messages always go to the phone that proved possession."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dancu.accounts import messaging, throttle
from dancu.accounts.models import Account
from dancu.accounts.services.codes import check_code, code_invalid, is_uuid, issue_code
from dancu.accounts.services.context import NO_CONTEXT, RequestContext, record
from dancu.core.errors import DomainError


def normalise_email(raw: str) -> str:
    """The address as typed, trimmed, its domain lower-cased (the local part is the mail server's business)."""
    email = (raw or "").strip()
    local, at, domain = email.rpartition("@")
    email = f"{local}{at}{domain.lower()}" if at else email
    try:
        if len(email) > 254 or len(local) > 64:  # RFC 5321's limits, which Django's validator does not apply
            raise ValidationError("too long")
        EmailValidator()(email)
    except ValidationError:
        raise DomainError("email_invalid", "Enter a valid e-mail address.", field="email") from None
    return email


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


def start_email_change(*, account: Account, email: str, context: RequestContext | None = None) -> str:
    """Send a code to the new address; returns the pending code's id. The code is bound to this account and this
    address (by its digest: the address itself is not stored until confirmed)."""
    email = normalise_email(email)
    throttle.hit("email-code", str(account.pk), limit=5, window=3600)
    with transaction.atomic():
        row, code = issue_code("email", {"account": str(account.pk), "email": _email_digest(email)})
        messaging.send_email(
            email,
            messaging.in_recipient_language(gettext_noop("dancu: e-mail confirmation code")),
            messaging.in_recipient_language(
                gettext_noop(
                    "Your e-ID account's e-mail confirmation code: %(code)s (valid for 5 minutes).\n\n"
                    "If you did not ask for it, ignore this message."
                ),
                code=code,
            ),
        )
        record(account, "email_code_sent", context)
    return str(row.pk)


def confirm_email(
    *, account: Account, pending_id: str, email: str, code: str, context: RequestContext | None = None
) -> None:
    throttle.hit("code-ip", (context or NO_CONTEXT).client_key, limit=30, window=900)
    if not is_uuid(pending_id):  # nothing pending (or a forged id)
        raise code_invalid(field=None)
    email = normalise_email(email)
    row = check_code(pending_id, "email", code)
    if row.payload.get("account") != str(account.pk) or row.payload.get("email") != _email_digest(email):
        raise code_invalid(field=None)
    with transaction.atomic():
        had = account.email
        account.email, account.email_confirmed_at = email, timezone.now()
        account.save(update_fields=["email", "email_confirmed_at"])
        record(account, "email_changed", context)
        notice = messaging.in_recipient_language(gettext_noop("dancu: your account's e-mail address was changed."))
        if had and had != email:
            subject = messaging.in_recipient_language(gettext_noop("dancu: e-mail address changed"))
            messaging.send_email(had, subject, notice)
        if account.phone:
            messaging.send_sms(account.phone, notice)


def remove_email(*, account: Account, context: RequestContext | None = None) -> None:
    if not account.email:
        return
    with transaction.atomic():
        account.email, account.email_confirmed_at = "", None
        account.save(update_fields=["email", "email_confirmed_at"])
        record(account, "email_removed", context)


def set_notification_channels(
    *, account: Account, sms: bool, email: bool, context: RequestContext | None = None
) -> None:
    """Which channels carry procedure notices besides the portal (security codes and warnings always go by SMS)."""
    account.notify_by_sms, account.notify_by_email = sms, email
    account.save(update_fields=["notify_by_sms", "notify_by_email"])
    record(account, "notifications_changed", context, sms=sms, email=email)


def send_notice(account: Account, text: str, subject: str = "") -> None:
    """A procedure notice on the holder's chosen channels (the portal's own list is the caller's)."""
    if account.phone and account.notify_by_sms:
        messaging.send_sms(account.phone, f"dancu: {text}")
    if account.email and account.notify_by_email:
        messaging.send_email(account.email, subject or f"dancu: {text[:80]}", text)
