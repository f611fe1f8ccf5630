"""A small client of the dancu gateway: get an access token with private_key_jwt, then verify a person.

    .venv/bin/python examples/client.py --pin 001076108037 --full-name "Nguyễn Thanh Thái" --birth-date 1976-01-02

Needs `joserfc` (pip install joserfc); everything else is the standard library. See docs/integrators.md.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import OKPKey


def post(url: str, body: bytes, content_type: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get_token(gateway: str, client_id: str, key: OKPKey, scope: str) -> str:
    """RFC 7523 client assertion: signed by our private key, used once (fresh jti), valid one minute."""
    now = int(time.time())
    claims = {
        "iss": client_id, "sub": client_id, "aud": f"{gateway}/oauth/token",
        "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": scope,
        }
    ).encode()
    status, body = post(f"{gateway}/oauth/token", form, "application/x-www-form-urlencoded")
    if status != 200:
        raise SystemExit(f"token refused ({status}): {body}")
    return str(body["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8001")
    parser.add_argument("--client-id", default="demo-bank")
    parser.add_argument("--key", type=Path, default=Path("var/demo-client/demo-bank.private.jwk.json"))
    parser.add_argument("--purpose", default="kyc-banking")
    parser.add_argument("--pin", required=True)
    parser.add_argument("--full-name")
    parser.add_argument("--birth-date", help="YYYY-MM-DD")
    parser.add_argument("--sex", choices=["M", "F"])
    parser.add_argument("--lookup", nargs="*", help="Also look up these fields, e.g. permanent_address status")
    args = parser.parse_args()

    key = OKPKey.import_key(json.loads(args.key.read_text()))
    token = get_token(args.gateway, args.client_id, key, args.purpose)
    question = {"pin": args.pin, "purpose": args.purpose}
    for name in ("full_name", "birth_date", "sex"):
        if getattr(args, name) is not None:
            question[name] = getattr(args, name)
    status, answer = post(f"{args.gateway}/v1/verify", json.dumps(question).encode(), "application/json", token)
    print(f"verify -> {status}")
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    if args.lookup:
        body = {"pin": args.pin, "purpose": args.purpose, "fields": args.lookup}
        status, answer = post(f"{args.gateway}/v1/lookup", json.dumps(body).encode(), "application/json", token)
        print(f"lookup -> {status}")
        print(json.dumps(answer, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
