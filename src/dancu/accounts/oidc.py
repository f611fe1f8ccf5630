"""The OpenID Connect provider on django-oauth-toolkit: claims by scope from the registry, ``acr``/``amr`` from how
the citizen actually authenticated, remembered per-client consent, level-2 step-up."""

from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from dancu.accounts.models import Account, AuthContext
from dancu.accounts.services import ACR_LEVEL1


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
            "amr": context.amr if context else ["pwd"],
        }
        if "address" in (getattr(request, "scopes", None) or ()):
            address = _address(person.pk)
            if address:
                claims["address"] = address
        if account.phone:
            claims["phone_number"] = account.phone
            claims["phone_number_verified"] = True
        return claims

    def get_discovery_claims(self, request: Any) -> list[str]:
        return ["sub", *sorted(k for k in self.oidc_claim_scope if k != "sub")]
