"""Base64url without padding (RFC 7515 §2, RFC 4648 §5): the encoding of JOSE, of JWK key material and of PKCE
challenges. The one helper for it in dancu (the JWS themselves are made and checked by joserfc)."""

from __future__ import annotations

import base64
import binascii


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(text: str | bytes) -> bytes:
    """The bytes of ``text``, with or without its padding; ``ValueError`` if it is not base64url."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    if b"+" in raw or b"/" in raw:
        raise ValueError("not base64url: '+' or '/' (base64, not base64url)")
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), altchars=b"-_", validate=True)
    except binascii.Error as error:
        raise ValueError(f"not base64url: {error}") from None
