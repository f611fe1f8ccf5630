"""Phone numbers and one-time codes (sent by SMS or e-mail): issued with a five-minute life, checked in constant
time, dead after five wrong tries."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from dancu.accounts.models import OneTimeCode
from dancu.core.errors import DomainError, gettext_noop

CODE_TTL = timedelta(minutes=5)
CODE_ATTEMPTS = 5
CODE_INVALID_MESSAGE = gettext_noop("The code is wrong or has expired.")

_PHONE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")


def normalise_phone(raw: str) -> str:
    """A Vietnamese mobile number in E.164 (+84...), from 0xxxxxxxxx, 84xxxxxxxxx or +84xxxxxxxxx."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    match = _PHONE.match(digits)
    if not match:
        raise DomainError("phone_invalid", "Enter a Vietnamese mobile number, e.g. 0912345678.", field="phone")
    return "+84" + match.group(1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "•" * max(len(phone) - 6, 0) + phone[-3:] if phone else ""


def code_invalid(field: str | None = "code") -> DomainError:
    return DomainError("code_invalid", CODE_INVALID_MESSAGE, field=field)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _code_hash(code_id: str, code: str) -> str:
    return hashlib.sha256(f"{code_id}:{code}".encode()).hexdigest()


def issue_code(purpose: str, payload: dict[str, Any]) -> tuple[OneTimeCode, str]:
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OneTimeCode(purpose=purpose, payload=payload, expires_at=timezone.now() + CODE_TTL)
    row.code_hash = _code_hash(str(row.id), code)
    row.save()
    return row, code


def check_code(code_id: str, purpose: str, code: str) -> OneTimeCode:
    """The pending code if ``code`` is right; each wrong try counts (committed even though the call fails), and
    after 5 the code is dead."""
    invalid = code_invalid()
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(pk=code_id, purpose=purpose).first()
        if row is None or row.used_at or row.expires_at < timezone.now() or row.attempts >= CODE_ATTEMPTS:
            raise invalid
        right = hmac.compare_digest(row.code_hash, _code_hash(str(row.id), (code or "").strip()))
        if right:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
    if not right:
        raise invalid
    return row
