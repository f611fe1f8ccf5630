"""Client authentication (OAuth 2.0 client credentials with ``private_key_jwt``, RFC 7523) and access tokens.

A connected system signs a short-lived client assertion with its private key; the gateway checks it against the
system's published JWKS, refuses a reused ``jti``, and returns an access token signed with the platform's Ed25519
key (fully-specified algorithm ``Ed25519``, RFC 9864). Access tokens are verified locally on every call, with a
cache, and the system's status is checked on every call too, so a suspension takes effect within a second.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from dancu.core import base64url
from dancu.core.crypto import public_jwk

#: Algorithms a client may sign its assertion with.
CLIENT_ALGORITHMS = ("Ed25519", "EdDSA", "ES256", "ES384", "PS256", "RS256")
TOKEN_ALGORITHM = "Ed25519"
AUDIENCE = "dancu-gateway"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class AuthError(Exception):
    """Authentication refused: ``code`` is stable, ``status`` 400 or 401."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class AccessClaims:
    client_id: str
    purposes: tuple[str, ...]
    expires: int
    token_id: str


def _okp(kid: str, private: Ed25519PrivateKey) -> OKPKey:
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    d = base64url.encode(raw)
    jwk = public_jwk(kid, private.public_key())
    return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "d": d, "kid": kid})


class TokenService:
    """Issues and verifies access tokens."""

    def __init__(
        self,
        *,
        issuer: str,
        signing: tuple[str, Ed25519PrivateKey],
        public_keys: Mapping[str, Ed25519PublicKey],
        ttl: int,
        assertion_max_ttl: int,
        use_jti: Callable[[str, str, int], bool],
    ) -> None:
        self.issuer = issuer
        self.token_endpoint = f"{issuer}/oauth/token"
        self.kid, private = signing
        self.signing_key = _okp(self.kid, private)
        self.verify_keys = KeySet(
            [OKPKey.import_key(public_jwk(kid, key)) for kid, key in public_keys.items()]  # type: ignore[arg-type]
        )
        self.ttl = ttl
        self.assertion_max_ttl = assertion_max_ttl
        self.use_jti = use_jti
        self._cache: OrderedDict[str, AccessClaims] = OrderedDict()

    def rotate(self, signing: tuple[str, Ed25519PrivateKey], public_keys: Mapping[str, Ed25519PublicKey]) -> None:
        """Switch to a new active signing key; every key still listed keeps verifying."""
        self.kid, private = signing
        self.signing_key = _okp(self.kid, private)
        self.verify_keys = KeySet(
            [OKPKey.import_key(public_jwk(kid, key)) for kid, key in public_keys.items()]  # type: ignore[arg-type]
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in self.verify_keys.keys]}

    # -- the token endpoint

    def issue(
        self, form: Mapping[str, str], *, client_jwks: Callable[[str], dict[str, Any] | None]
    ) -> tuple[str, AccessClaims]:
        """Check a client-credentials request and return (client_id, claims) with a signed token in ``.token_id``.

        ``client_jwks(client_id)`` returns the JWKS of an approved system, or None.
        """
        if form.get("grant_type") != "client_credentials":
            raise AuthError("unsupported_grant_type", "Only grant_type=client_credentials is supported.", 400)
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise AuthError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}.")
        assertion = form.get("client_assertion", "")
        if not assertion or len(assertion) > 8192:
            raise AuthError("invalid_client", "A signed client_assertion is required.")
        client_id = self._unverified_issuer(assertion)  # only to find the keys; the signature is checked next
        if not client_id:
            raise AuthError("invalid_client", "The client assertion is malformed.")
        jwks = client_jwks(client_id)
        if jwks is None:
            raise AuthError("invalid_client", "Unknown, unapproved or suspended client.")
        try:
            token = jwt.decode(assertion, KeySet.import_key_set(jwks), algorithms=CLIENT_ALGORITHMS)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise AuthError("invalid_client", "The client assertion's signature does not verify.") from None
        claims = token.claims
        now = int(time.time())
        exp, iat, jti = claims.get("exp"), claims.get("iat", now), claims.get("jti")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise AuthError("invalid_client", "iss and sub must both be the client id.")
        if self.token_endpoint not in audiences and self.issuer not in audiences:
            raise AuthError("invalid_client", "aud must be the token endpoint URL.")
        if not isinstance(exp, int) or exp <= now - 5:
            raise AuthError("invalid_client", "The client assertion has expired.")
        if exp - now > self.assertion_max_ttl or not isinstance(iat, int) or iat > now + 30:
            raise AuthError("invalid_client", f"The assertion must expire within {self.assertion_max_ttl} s.")
        if not isinstance(jti, str) or not 8 <= len(jti) <= 200:
            raise AuthError("invalid_client", "The client assertion needs a unique jti.")
        if not self.use_jti(client_id, jti, exp):
            raise AuthError("invalid_client", "This client assertion was already used (replay).")
        scope = form.get("scope", "").split()
        expires = now + self.ttl
        token_id = uuid.uuid4().hex
        access = jwt.encode(
            {"alg": TOKEN_ALGORITHM, "kid": self.kid, "typ": "at+jwt"},
            {
                "iss": self.issuer, "sub": client_id, "aud": AUDIENCE, "iat": now, "exp": expires, "jti": token_id,
                "scope": " ".join(scope),
            },
            self.signing_key,
            algorithms=[TOKEN_ALGORITHM],
        )  # fmt: skip
        return access, AccessClaims(client_id, tuple(scope), expires, token_id)

    @staticmethod
    def _unverified_issuer(assertion: str) -> str:
        try:
            payload = assertion.split(".")[1]
            data = json.loads(base64url.decode(payload))
        except (IndexError, ValueError):
            return ""
        issuer = data.get("iss") if isinstance(data, dict) else None
        return issuer if isinstance(issuer, str) and len(issuer) <= 64 else ""

    # -- every call

    def verify(self, authorization: str | None) -> AccessClaims:
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("token_missing", "Send 'Authorization: Bearer <access token>'.")
        token = authorization[7:].strip()
        cached = self._cache.get(token)
        now = int(time.time())
        if cached is not None:
            if cached.expires <= now:
                raise AuthError("token_expired", "The access token has expired: get a new one.")
            return cached
        if len(token) > 4096:
            raise AuthError("token_invalid", "The access token is not valid.")
        try:
            decoded = jwt.decode(token, self.verify_keys, algorithms=[TOKEN_ALGORITHM])
        except (JoseError, ValueError, KeyError, TypeError):
            raise AuthError("token_invalid", "The access token is not valid.") from None
        claims = decoded.claims
        if claims.get("iss") != self.issuer or claims.get("aud") != AUDIENCE:
            raise AuthError("token_invalid", "The access token is not for this gateway.")
        expires = claims.get("exp")
        if not isinstance(expires, int):
            raise AuthError("token_invalid", "The access token has no expiry.")
        result = AccessClaims(str(claims["sub"]), tuple(str(claims.get("scope", "")).split()), expires, claims["jti"])
        # Cached once its signature is checked, expired or not: a client retrying with an old token costs a lookup,
        # not a signature verification.
        self._cache[token] = result
        if len(self._cache) > 20_000:
            self._cache.popitem(last=False)
        if expires <= now:
            raise AuthError("token_expired", "The access token has expired: get a new one.")
        return result
