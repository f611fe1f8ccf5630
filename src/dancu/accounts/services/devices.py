"""Devices enrolled for the offline workspace: enrolment, revocation, record signatures and the working set's key.

A device's key pair is made in the browser (WebCrypto, non-extractable); only its public key comes here. Every record
typed offline is signed with it (ECDSA P-256, SHA-256, the raw ``r||s`` form WebCrypto gives) over the exact bytes
of the record's JSON. The working set on the device is encrypted under an AES-GCM key the server releases to the
signed-in owner of a device that is not revoked, with an expiry (``DANCU_OFFLINE_KEY_HOURS``); the key is derived
from the server's secret and the device, so the same key is released again after expiry and nothing stored on the
device becomes unreadable for good.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dancu.accounts.models import OfficerDevice
from dancu.core.errors import DomainError


def _b64(value: str, code: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise DomainError(code, _("The value is not valid base64."), status=400) from None


def _public_key(der: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError):
        raise DomainError("device_key_invalid", _("The device key is not a P-256 public key."), status=400) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise DomainError("device_key_invalid", _("The device key is not a P-256 public key."), status=400)
    return key


def enrol(user: Any, *, public_key_b64: str, label: str = "") -> OfficerDevice:
    """Register the browser's public key to the signed-in officer (the caller checked they are a commune officer)."""
    der = _b64(public_key_b64, "device_key_invalid")
    _public_key(der)
    return OfficerDevice.objects.create(user=user, public_key=der, label=label.strip()[:60])


def device_of(user: Any, device_id: object) -> OfficerDevice:
    """The signed-in officer's own device, not revoked: ``device_unknown`` (404), ``device_not_yours`` (403),
    ``device_revoked`` (403)."""
    device = _find(device_id)
    if device is None:
        raise DomainError("device_unknown", _("This device is not enrolled."), status=404)
    if device.user_id != user.pk:
        raise DomainError("device_not_yours", _("This device is enrolled to another officer."), status=403)
    if device.revoked_at is not None:
        raise DomainError("device_revoked", _("This device was revoked: enrol it again."), status=403)
    return device


def verify(device: OfficerDevice, body: bytes, signature_b64: str) -> None:
    """Refused with ``offline_signature_invalid`` unless ``signature_b64`` is the device's signature of ``body``."""
    raw = _b64(signature_b64, "offline_signature_invalid")
    if len(raw) != 64:
        raise DomainError("offline_signature_invalid", _("The record's signature does not verify."), status=400)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        _public_key(bytes(device.public_key)).verify(der, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise DomainError(
            "offline_signature_invalid", _("The record's signature does not verify."), status=400
        ) from None


def _find(device_id: object) -> OfficerDevice | None:
    try:
        key = uuid.UUID(str(device_id))
    except ValueError:
        return None
    return OfficerDevice.objects.filter(pk=key).first()


def revoke(device_id: object, *, by: str) -> OfficerDevice:
    """Revoke a device (an operator's act): its key requests and records are refused from now on."""
    device = _find(device_id)
    if device is None:
        raise DomainError("device_unknown", _("This device is not enrolled."), status=404)
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_by = by[:150]
        device.save(update_fields=["revoked_at", "revoked_by"])
    return device


def key_hours() -> int:
    return int(getattr(settings, "OFFLINE_KEY_HOURS", 72))


def working_set_key(device: OfficerDevice) -> tuple[bytes, dt.datetime]:
    """The AES-256-GCM key of the device's stored working set and outbox, and when the device must stop using it."""
    key = hmac.new(settings.SECRET_KEY.encode(), f"dancu-offline-working-set:{device.pk}".encode(), hashlib.sha256)
    return key.digest(), timezone.now() + dt.timedelta(hours=key_hours())
