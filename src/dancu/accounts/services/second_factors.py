"""The authenticator app (TOTP, RFC 6238) as a second factor: enrolment, confirmation, checks without replay,
removal. The secret is sealed at rest. Passkeys are in :mod:`dancu.accounts.passkeys`."""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import time
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dancu.accounts import throttle
from dancu.accounts.models import Account, TotpDevice
from dancu.accounts.services.context import RequestContext, record
from dancu.core.crypto import SecretBox
from dancu.core.errors import DomainError


@cache
def _secret_box() -> SecretBox:
    return SecretBox(Path(settings.DANCU_KEYS_DIR) / "account-secrets.json")


def _totp(secret: bytes) -> Any:
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    return TOTP(secret, 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303 - RFC 6238's default, what apps use


def _totp_invalid() -> DomainError:
    return DomainError("totp_invalid", "The code from the app is wrong.", field="code")


def begin_totp(account: Account) -> tuple[str, str]:
    """A new unconfirmed TOTP secret; returns (base32 secret, otpauth:// URI for the QR code)."""
    secret = secrets.token_bytes(20)
    blob = _secret_box().seal(b"totp:" + str(account.pk).encode(), secret)
    TotpDevice.objects.update_or_create(
        account=account, defaults={"secret": blob, "confirmed_at": None, "last_step": 0}
    )
    uri = _totp(secret).get_provisioning_uri(f"{account.person.pin}", "dancu e-ID")
    return base64.b32encode(secret).decode().rstrip("="), uri


def _totp_reused() -> DomainError:
    return DomainError(
        "totp_reused", "This code was already used: wait for the next code in the app and type that one.", field="code"
    )


def _check_totp(device: TotpDevice, code: str) -> str:
    """``accepted`` (and ``last_step`` moved on), ``reused`` (the code of a time step already used: a replay, or
    the citizen typing the same code twice) or ``wrong``."""
    secret = _secret_box().open(b"totp:" + str(device.account_id).encode(), bytes(device.secret))
    totp = _totp(secret)
    now = int(time.time())
    code = (code or "").strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return "wrong"
    reused = False
    for drift in (0, -30, 30):
        step = (now + drift) // 30
        if not hmac.compare_digest(totp.generate(now + drift), code.encode()):
            continue
        if step <= device.last_step:
            reused = True
            continue
        device.last_step = step
        return "accepted"
    return "reused" if reused else "wrong"


def _accept_totp(device: TotpDevice, code: str) -> bool:
    return _check_totp(device, code) == "accepted"


def confirm_totp(account: Account, code: str, context: RequestContext | None = None) -> None:
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(account=account).first()
        if device is None or not _accept_totp(device, code):
            raise _totp_invalid()
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at", "last_step"])
        record(account, "totp_enabled", context)


def verify_totp(account: Account, code: str, context: RequestContext | None = None) -> None:
    """Accept a code once (``totp_invalid``; ``totp_reused`` for a code of a time step already used)."""
    throttle.hit("totp-account", str(account.pk), limit=10, window=300)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(account=account, confirmed_at__isnull=False).first()
        outcome = _check_totp(device, code) if device is not None else "wrong"
        if outcome == "accepted":
            device.save(update_fields=["last_step"])  # type: ignore[union-attr]
        elif device is not None:
            record(account, "totp_failed", context)
    if outcome == "reused":
        raise _totp_reused()
    if outcome != "accepted":
        raise _totp_invalid()


def disable_totp(
    account: Account, context: RequestContext | None = None, *, current_password: str | None = None
) -> None:
    """Remove the app; with ``current_password`` (what the portal asks for) only if it is right."""
    if current_password is not None:
        from dancu.accounts.services.passwords import verify_current_password

        verify_current_password(account, current_password)
    if TotpDevice.objects.filter(account=account).delete()[0]:
        record(account, "totp_disabled", context)


def has_totp(account: Account) -> bool:
    return TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).exists()
