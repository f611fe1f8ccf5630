"""Checks on a connected system's public keys (JWKS), shared by the services and the admin's form."""

from __future__ import annotations

from typing import Any

from dancu.core.errors import DomainError


def check_jwks(jwks: dict[str, Any]) -> None:
    """Public keys only, at least one, each with ``kid`` and ``kty``."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not keys or not all(isinstance(k, dict) and k.get("kid") and k.get("kty") for k in keys):
        raise DomainError("jwks_invalid", "A JWKS with at least one key, each with 'kid' and 'kty'.", field="jwks")
    if any("d" in k for k in keys):
        raise DomainError("jwks_private", "Send public keys only: a JWK with 'd' is a private key.", field="jwks")
