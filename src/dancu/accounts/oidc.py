"""The OpenID Connect provider on django-oauth-toolkit: claims by scope from the registry, ``acr``/``amr`` from how
the citizen actually authenticated, remembered per-client consent, level-2 step-up."""

from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server as OpenIDServer

from dancu.accounts.models import Account, AuthContext
from dancu.accounts.services import ACR_LEVEL1, client_consents


def token_key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _address(person_id: int) -> dict[str, str] | None:
    from dancu.registry.models import PermanentResidence

    residence = (
        PermanentResidence.objects.select_related("commune__province")
        .filter(person_id=person_id, valid_to__isnull=True)
        .first()
    )
    if residence is None:
        return None
    commune = residence.commune
    street = residence.address_line
    return {
        "formatted": ", ".join(p for p in (street, commune.name, commune.province.name) if p),
        "street_address": street,
        "locality": commune.name,
        "region": commune.province.name,
        "country": "VN",
    }


#: RFC 8176 values for what the session records: a passkey sign-in is recorded as ``pop`` (proof of possession of
#: a key). Whether that key lives in hardware cannot be told without attestation, which we do not ask for, so it is
#: announced as ``swk`` (the weaker claim); ``mfa`` is added whenever two factors were used.
_RFC8176 = {"pwd": "pwd", "otp": "otp", "pop": "swk", "hwk": "hwk", "swk": "swk"}


def rfc8176_amr(recorded: list[str]) -> list[str]:
    """The ``amr`` claim for the methods a session recorded: ``pwd``, ``otp``, ``swk``, and ``mfa`` for two
    factors (password with a one-time code, or a passkey with user verification, recorded as ``mfa``)."""
    methods = {_RFC8176[m] for m in recorded if m in _RFC8176}
    if "mfa" in recorded or len(methods) >= 2:
        methods.add("mfa")
    return sorted(methods)


#: What the provider supports, and all it supports (discovery says the same: oidc_views.DiscoveryView).
RESPONSE_TYPES = ["code"]
GRANT_TYPES = ["authorization_code", "refresh_token"]


class Server(OpenIDServer):
    """oauthlib's OpenID Connect server cut down to what we support: the ``code`` response type, the authorization
    code and refresh token grants (anything else: ``unsupported_response_type`` / ``unsupported_grant_type``), and
    the ``S256`` PKCE method only: a ``plain`` challenge, or one without a method (which RFC 7636 reads as
    ``plain``), is refused with ``invalid_request`` before any consent screen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._response_types = {name: self._response_types[name] for name in RESPONSE_TYPES}
        self._grant_types = {name: self._grant_types[name] for name in GRANT_TYPES}
        only_s256 = {"S256": code_challenge_method_s256}
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = only_s256


class Validator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "acr": "openid",
        "amr": "openid",
        "pin": "pin",
        "level": "openid",
    }

    # --- authentication context per code and token

    def save_authorization_code(self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kw: Any) -> Any:
        result = super().save_authorization_code(client_id, code, request, *args, **kw)
        auth = getattr(request.user, "dancu_auth", None) or {"acr": ACR_LEVEL1, "amr": ["pwd"]}
        AuthContext.objects.create(
            key=token_key(code["code"]), account=request.user.eid_account, acr=auth["acr"], amr=auth["amr"]
        )
        return result

    def _context(self, request: Any) -> AuthContext | None:
        """Looked up once per request (the ID token and the token save both need it)."""
        if not hasattr(request, "dancu_context"):
            request.dancu_context = self._find_context(request)
        return request.dancu_context  # type: ignore[no-any-return]

    def _find_context(self, request: Any) -> AuthContext | None:
        if getattr(request, "grant_type", None) == "authorization_code" and getattr(request, "code", None):
            return AuthContext.objects.filter(key=token_key(request.code)).first()
        if getattr(request, "grant_type", None) == "refresh_token" and getattr(request, "refresh_token", None):
            return AuthContext.objects.filter(key=token_key(request.refresh_token)).first()
        access = getattr(request, "access_token", None)
        if access is not None and hasattr(access, "token"):
            return AuthContext.objects.filter(key=token_key(access.token)).first()
        return None

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> Any:
        context = self._context(request)
        result = super().save_bearer_token(token, request, *args, **kwargs)
        if context is not None:  # new random tokens: their keys cannot exist yet
            AuthContext.objects.bulk_create(
                AuthContext(key=token_key(token[name]), account_id=context.account_id, acr=context.acr, amr=context.amr)
                for name in ("access_token", "refresh_token")
                if token.get(name)
            )
        return result

    # --- claims

    def get_claim_dict(self, request: Any) -> dict[str, Any]:
        account: Account = request.user.eid_account
        claims: dict[str, Any] = {"sub": str(account.pk)}
        claims.update(self.get_additional_claims(request))
        return claims

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        account: Account = request.user.eid_account
        person = account.person
        context = self._context(request)
        claims: dict[str, Any] = {
            "name": person.full_name,
            "family_name": person.family_name,
            "middle_name": person.middle_name,
            "given_name": person.given_name,
            "birthdate": person.birth_date.isoformat(),
            "gender": {"M": "male", "F": "female"}.get(person.sex, ""),
            "locale": "vi-VN",
            "pin": person.pin,
            "level": account.level,
            "acr": context.acr if context else ACR_LEVEL1,
            "amr": rfc8176_amr(context.amr if context else ["pwd"]),
        }
        if "address" in (getattr(request, "scopes", None) or ()):
            address = _address(person.pk)
            if address:
                claims["address"] = address
        if account.phone:
            claims["phone_number"] = account.phone
            claims["phone_number_verified"] = True
        return claims

    # --- releases: every set of claims that leaves, recorded for the holder (here, and nowhere else)

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> Any:
        """The ID token's claims (at the token endpoint, for a code or a refresh token): a release to the client."""
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        client_consents.record_claims_release(request.user.eid_account, request.client, claims, release="sign_in")
        return claims, expiration

    def get_userinfo_claims(self, request: Any) -> dict[str, Any]:
        """The userinfo endpoint's answer: each call is a release to the client."""
        claims: dict[str, Any] = super().get_userinfo_claims(request)
        client_consents.record_claims_release(request.user.eid_account, request.client, claims, release="userinfo")
        return claims

    #: Every claim get_claim_dict can send, and no other (``address`` and ``phone_*`` when the registry has them).
    DISCOVERY_CLAIMS = (
        "sub", "acr", "amr", "level", "pin", "name", "family_name", "middle_name", "given_name", "birthdate",
        "gender", "locale", "address", "phone_number", "phone_number_verified",
    )  # fmt: skip

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(self.DISCOVERY_CLAIMS)
