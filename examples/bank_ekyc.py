"""A bank's eKYC step with the card's chip (Circular 17/2024/TT-NHNN art. 17): read the chip, have the police's
service authenticate it, keep the signed receipt.

    .venv/bin/dancu cards chip 001191000009 --out /tmp/chip      # the simulated chip of a demo person's card
    .venv/bin/python examples/bank_ekyc.py --chip /tmp/chip --pin 001191000009

The chip's files (EF.SOD, DG1, DG2, DG13, DG14, DG15) go to ``POST /v1/chip/verify`` with a fresh 8-byte
active-authentication challenge and the chip's answer (here the simulated chip answers through ``dancu cards chip PIN
--challenge HEX``; a real reader sends INTERNAL AUTHENTICATE). The answer is a verdict and a receipt (JWS) checked
against the gateway's published keys. Needs `joserfc`; see docs/integrators.md, "Chip authentication".
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.jwk import KeySet, OKPKey

sys.path.insert(0, str(Path(__file__).resolve().parent))
from client import get_token, post

FILES = ("DG1", "DG2", "DG13", "DG14", "DG15")


def read_chip(folder: Path) -> tuple[bytes, list[bytes]]:
    """EF.SOD and the data groups as the reader returned them (whole files, tags included)."""
    groups = [(folder / f"{name}.bin").read_bytes() for name in FILES if (folder / f"{name}.bin").exists()]
    return (folder / "EF.SOD.bin").read_bytes(), groups


def simulated_chip(pin: str, dancu: str = ".venv/bin/dancu") -> Callable[[bytes], bytes]:
    """The simulated chip's INTERNAL AUTHENTICATE: its signature over our challenge."""

    def answer(challenge: bytes) -> bytes:
        done = subprocess.run([dancu, "cards", "chip", pin, "--challenge", challenge.hex()], capture_output=True,  # noqa: S603
                              text=True, check=True, timeout=60)  # fmt: skip
        return bytes.fromhex(done.stdout.strip())

    return answer


def check_chip(
    gateway: str, token: str, sod: bytes, groups: list[bytes], chip: Callable[[bytes], bytes] | None,
    purpose: str = "kyc-banking",
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    body: dict[str, Any] = {
        "purpose": purpose,
        "sod": base64.b64encode(sod).decode(),
        "data_groups": [base64.b64encode(g).decode() for g in groups],
    }
    if chip is not None:
        challenge = os.urandom(8)  # fresh every time: a recorded answer is refused (aa_challenge_replayed)
        body["active_authentication"] = {
            "challenge": challenge.hex(), "signature": base64.b64encode(chip(challenge)).decode()
        }  # fmt: skip
    return post(f"{gateway}/v1/chip/verify", json.dumps(body).encode(), "application/json", token)


def receipt_claims(gateway: str, receipt: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The receipt's claims once its signature checks against the gateway's JWKS (kept by the bank as evidence)."""
    verified = jws.deserialize_compact(receipt, KeySet.import_key_set(jwks), algorithms=["Ed25519"])
    claims: dict[str, Any] = json.loads(verified.payload)
    if claims.get("iss") != gateway:
        raise SystemExit("receipt from another issuer")
    return claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8001")
    parser.add_argument("--client-id", default="demo-bank")
    parser.add_argument("--key", type=Path, default=Path("var/demo-client/demo-bank.private.jwk.json"))
    parser.add_argument("--purpose", default="kyc-banking")
    parser.add_argument("--chip", type=Path, required=True, help="Folder of the chip's files (dancu cards chip --out)")
    parser.add_argument("--pin", help="With it, active authentication through the simulated chip of this card")
    args = parser.parse_args()

    key = OKPKey.import_key(json.loads(args.key.read_text()))
    token = get_token(args.gateway, args.client_id, key, args.purpose)
    sod, groups = read_chip(args.chip)
    status, answer = check_chip(args.gateway, token, sod, groups, simulated_chip(args.pin) if args.pin else None,
                                args.purpose)  # fmt: skip
    print(f"chip/verify -> {status}")
    print(json.dumps({k: v for k, v in answer.items() if k != "receipt"}, ensure_ascii=False, indent=2))
    if "receipt" in answer:
        import urllib.request

        with urllib.request.urlopen(f"{args.gateway}/.well-known/jwks.json", timeout=10) as response:
            jwks = json.loads(response.read())
        claims = receipt_claims(args.gateway, answer["receipt"], jwks)
        print(f"receipt verified: request {claims['jti']}, valid={claims['valid']}")


if __name__ == "__main__":
    main()
