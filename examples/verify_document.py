"""Check a dancu electronic document offline: the text of its QR code against the agencies' published keys.

    python examples/verify_document.py --keys khoa.json "https://host/ket-qua/ID/#eyJ..."
    python examples/verify_document.py --keys https://host/ket-qua/khoa.json "eyJ..."

Needs only the Python standard library and `cryptography` on purpose (dancu itself signs with joserfc; any JOSE
library that knows EdDSA/Ed25519 would do): a document is a compact JWS (RFC 7515), header
{"alg": "EdDSA", "kid": ..., "typ": "dancu-document"} ("Ed25519", RFC 9864, is accepted too), payload the claims as
JSON. Exit status 0 and the document's data when the signature verifies under a key of the issuing agency, 1
otherwise.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", required=True, help="the published keys: a file or the /ket-qua/khoa.json URL")
    parser.add_argument("qr_text", help="the QR code's text (URL#document) or the document alone")
    args = parser.parse_args()
    source = args.keys
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:
            jwks = json.loads(response.read())
    else:
        jwks = json.loads(Path(source).read_text())
    token = args.qr_text.strip().rsplit("#", 1)[-1]
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header, claims = json.loads(unb64(header_b64)), json.loads(unb64(payload_b64))
        issuer, kid = claims["issuer"], header["kid"]
    except (ValueError, TypeError, KeyError):
        print("INVALID: not a dancu document")
        return 1
    if header.get("alg") not in ("EdDSA", "Ed25519") or header.get("typ") != "dancu-document":
        print("INVALID: not a dancu document (alg or typ)")
        return 1
    key = next((k for k in jwks["keys"] if k["kid"] == kid and k.get("agency") == issuer), None)
    if key is None:
        print("INVALID: no published key of the issuing agency has this id")
        return 1
    try:
        Ed25519PublicKey.from_public_bytes(unb64(key["x"])).verify(
            unb64(signature_b64), f"{header_b64}.{payload_b64}".encode()
        )
    except (InvalidSignature, ValueError):
        print("INVALID: the signature does not match the document")
        return 1
    print(json.dumps(claims, ensure_ascii=False, indent=2))
    print("VALID: signed by", claims["issuer"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
