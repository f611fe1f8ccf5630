"""Passkeys (WebAuthn, with py_webauthn): registration by a signed-in citizen, and sign-in without a password.

User verification (a PIN or biometric on the device) is required, so a passkey sign-in is multi-factor (amr
``pop`` + ``mfa``). The relying-party id is the host the portal is served on (``DANCU_WEBAUTHN_RP_ID`` overrides);
browsers refuse IP addresses as RP ids: use a host name (``localhost`` in the demo).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from dancu.accounts.models import Account, Passkey
from dancu.accounts.services.context import RequestContext, record
from dancu.core.errors import DomainError

REGISTER_KEY = "webauthn_register_challenge"
LOGIN_KEY = "webauthn_login_challenge"
AMR = ["mfa", "pop"]
MAX_PASSKEYS = 10


def rp_id(request: HttpRequest) -> str:
    return getattr(settings, "DANCU_WEBAUTHN_RP_ID", "") or request.get_host().rsplit(":", 1)[0]


def origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def registration_options(request: HttpRequest, account: Account) -> str:
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name="dancu e-ID",
        user_name=account.person.pin,
        user_id=account.pk.bytes,
        user_display_name=account.person.full_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=bytes(p.credential_id)) for p in Passkey.objects.filter(account=account)
        ],
    )
    request.session[REGISTER_KEY] = options.challenge.hex()
    return options_to_json(options)


def register(request: HttpRequest, account: Account, credential: dict[str, Any], name: str = "") -> Passkey:
    challenge = request.session.pop(REGISTER_KEY, None)
    if not isinstance(credential, dict):
        raise DomainError("passkey_invalid", "The passkey could not be verified.")
    if not challenge:
        raise DomainError("passkey_no_challenge", "Start adding the passkey again.")
    if Passkey.objects.filter(account=account).count() >= MAX_PASSKEYS:
        raise DomainError("passkey_limit", "At most %(count)d passkeys per account.", params={"count": MAX_PASSKEYS})
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=bytes.fromhex(challenge),
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise DomainError("passkey_invalid", "The passkey could not be verified.") from exc
    passkey = Passkey.objects.create(
        account=account,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(name or "Passkey")[:60],
        transports=list(credential.get("response", {}).get("transports", []))[:5],
    )
    record(account, "passkey_added", RequestContext.from_request(request), name=passkey.name)
    return passkey


def authentication_options(request: HttpRequest) -> str:
    options = generate_authentication_options(
        rp_id=rp_id(request), user_verification=UserVerificationRequirement.REQUIRED
    )
    request.session[LOGIN_KEY] = options.challenge.hex()
    return options_to_json(options)


def authenticate(request: HttpRequest, credential: dict[str, Any]) -> Account:
    """The account whose passkey signed the challenge (with user verification)."""
    failed = DomainError("passkey_sign_in_failed", "Sign-in with the passkey failed.")
    challenge = request.session.pop(LOGIN_KEY, None)
    if not challenge or not isinstance(credential, dict):
        raise failed
    try:
        credential_id = base64url_to_bytes(str(credential["rawId"]))
    except (KeyError, ValueError, TypeError):
        raise failed from None
    with transaction.atomic():
        passkey = (
            Passkey.objects.select_for_update()
            .select_related("account__user")
            .filter(credential_id=credential_id)
            .first()
        )
        if passkey is None or not passkey.account.can_sign_in:
            raise failed
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=bytes.fromhex(challenge),
                expected_rp_id=rp_id(request),
                expected_origin=origin(request),
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError):
            raise failed from None
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey.account


def remove(request: HttpRequest, account: Account, passkey_id: int) -> None:
    deleted, _ = Passkey.objects.filter(account=account, pk=passkey_id).delete()
    if not deleted:
        raise DomainError("passkey_not_found", "No such passkey.", status=404)
    record(account, "passkey_removed", RequestContext.from_request(request))


def parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise DomainError("json_invalid", "The request is not valid JSON.") from None
    if not isinstance(data, dict):
        raise DomainError("json_invalid", "The request is not a JSON object.")
    return data
