"""``POST /v1/chip/verify``: chip authentication for connected systems granted the ``chip_verify`` operation.

The caller sends what it read from the card's chip (the data groups and EF.SOD, base64) and, for active
authentication, the challenge it sent the chip and the chip's answer. The gateway runs passive (and active)
authentication with :mod:`dancu.core.chip.verify` against the country's master list and CRL (files published by
``dancu cards pki publish`` in ``DANCU_PKI_PUBLIC_DIR``, re-read when they change), checks the card named by DG13
against its projection (exists, status, expiry, DG13 fields the registry now knows otherwise), records the call in
the access ledger, and answers with a verdict and a receipt: a JWS (Ed25519, the gateway's token key of
``/.well-known/jwks.json``) over the verdict and the request id, which the bank keeps as evidence.

A chip that fails a check is answered 422 with the code and the step that failed (``sod_malformed``,
``dg_hash_mismatch``, ``ds_revoked``, ...: see docs/integrators.md), also recorded in the ledger.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import msgspec
import orjson
from starlette.requests import Request
from starlette.responses import Response

from dancu.core import base64url
from dancu.core.chip import lds
from dancu.core.chip.verify import (
    ChallengeGuard,
    ChipError,
    TrustStore,
    active_authentication,
    load_master_list,
    passive_authentication,
)
from dancu.gateway import projection
from dancu.gateway.auth import AccessClaims
from dancu.gateway.errors import RequestFailed
from dancu.gateway.requests import error_response, json_response, purpose_of, read_body
from dancu.gateway.worker import Gateway

OPERATION = "chip_verify"
#: A chip's files in base64 fit in this (DG2 with a real face image is 15-30 kB).
MAX_CHIP_BODY = 256 * 1024


class ActiveAuthentication(msgspec.Struct, forbid_unknown_fields=True):
    challenge: str  #: the 8 bytes the caller sent the chip, hex
    signature: str  #: the chip's answer, base64


class ChipVerifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The chip's files as read (base64 of each whole file, tag included)."""

    purpose: str
    sod: str
    data_groups: list[str]
    active_authentication: ActiveAuthentication | None = None


class ChipVerifyResponse(msgspec.Struct):
    request_id: str
    valid: bool
    passive_authentication: Literal["passed"]
    active_authentication: Literal["passed", "not_performed"]
    card_status: Literal["valid", "expired", "cancelled", "superseded", "not_found"]
    reasons: list[str]
    outdated_fields: list[str]
    data_groups: list[int]
    checked_at: str
    receipt: str


class ChipErrorResponse(msgspec.Struct):
    code: str
    step: str
    message: str
    request_id: str
    receipt: str


_STATUS = {"valid": "valid", "replaced": "superseded", "cancelled": "cancelled"}
_DECODER = msgspec.json.Decoder(ChipVerifyRequest)


class SharedChallengeGuard(ChallengeGuard):
    """Active-authentication challenges answered, shared by the gateway's workers (the state file that also keeps
    the client assertions' ids): a replay sent to another worker is refused too."""

    def __init__(self, gateway: Gateway, ttl: float = 24 * 3600) -> None:
        super().__init__(ttl)
        self.gateway = gateway

    def claim(self, key: bytes) -> bool:
        return self.gateway.state.use_jti("chip-aa", key.hex(), int(time.time() + self.ttl))


class ChipTrust:
    """The trust store of one worker, re-read when the published master list or CRL changes, and the guard
    against replayed challenges."""

    def __init__(self, directory: Path, guard: ChallengeGuard) -> None:
        self.directory = directory
        self.stamp: tuple[float, ...] = ()
        self.store: TrustStore | None = None
        self.guard = guard

    def current(self) -> TrustStore:
        paths = (self.directory / "masterlist.ml", self.directory / "csca.crl")
        try:
            stamp = tuple(p.stat().st_mtime_ns for p in paths)
        except OSError:
            stamp = ()
        if stamp and stamp != self.stamp:
            try:
                self.store = TrustStore.build(load_master_list(paths[0].read_bytes()), [paths[1].read_bytes()])
                self.stamp = stamp
            except (OSError, ChipError):
                pass  # a file being replaced: keep the last good store
        if self.store is None:
            raise RequestFailed(503, "chip_trust_unavailable", "The master list and CRL are not published yet.")
        return self.store


def _trust(gateway: Gateway) -> ChipTrust:
    trust: ChipTrust | None = getattr(gateway, "chip_trust", None)
    if trust is None:
        directory = Path(os.environ.get("DANCU_PKI_PUBLIC_DIR") or gateway.config.projection.parent / "pki")
        trust = ChipTrust(directory, SharedChallengeGuard(gateway))
        gateway.chip_trust = trust  # type: ignore[attr-defined]
    return trust


def _b64(text: str, code: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RequestFailed(400, code, "Not valid base64.") from None


def receipt(gateway: Gateway, claims: dict[str, object]) -> str:
    """A compact JWS (Ed25519, RFC 9864) over the claims, with the gateway's active token key."""
    kid, key = gateway.keys.token_signing_key()
    header = base64url.encode(orjson.dumps({"alg": "Ed25519", "kid": kid, "typ": "chip-receipt+jwt"}))
    payload = base64url.encode(orjson.dumps(claims))
    signing_input = f"{header}.{payload}".encode()
    return f"{header}.{payload}.{base64url.encode(key.sign(signing_input))}"


def _iso_date(text: str) -> str:
    try:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def _card_check(gateway: Gateway, dg13: dict[str, str]) -> tuple[str, list[str], list[str], bytes | None]:
    """``(card status, reasons, outdated fields, pin HMAC)`` of the card DG13 names, from the projection."""
    pin = dg13.get("pin", "")
    hasher = gateway.hasher
    row = projection.card(
        gateway.db, projection.card_key(hasher.attribute_hmac, pin, _iso_date(dg13.get("issued_on", "")))
    )
    if row is None:
        return "not_found", ["card_not_found"], [], None
    pin_h, status, expires_on, fields_h = row
    card_status = _STATUS.get(status, "cancelled")
    if card_status == "valid" and expires_on and expires_on <= datetime.now(UTC).date().isoformat():
        card_status = "expired"
    reasons = [] if card_status == "valid" else [f"card_{card_status}"]
    presented = projection.card_fields_digest(hasher.attribute_hmac, pin, [dg13.get(n, "") for n in lds.DG13_COMPARED])
    outdated = [
        name
        for index, name in enumerate(lds.DG13_COMPARED)
        if presented[16 * index : 16 * index + 16] != fields_h[16 * index : 16 * index + 16]
    ]
    return card_status, reasons, outdated, pin_h


async def chip_verify(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    request_id = os.urandom(16).hex()
    started = time.perf_counter()
    claims: AccessClaims | None = None
    body = b""
    pin_h: bytes | None = None
    purpose = ""
    try:
        body, claims = await read_body(request, gateway, MAX_CHIP_BODY)
        try:
            payload = _DECODER.decode(body)
        except msgspec.ValidationError as error:
            raise RequestFailed(422, "request_invalid", f"The request does not match the schema: {error}") from None
        except msgspec.DecodeError:
            raise RequestFailed(400, "json_malformed", "The body is not valid JSON.") from None
        purpose = payload.purpose
        gateway.authorise(claims, payload.purpose, OPERATION)
        trust = _trust(gateway)
        store = trust.current()
        sod = _b64(payload.sod, "sod_malformed")
        files = [_b64(item, "dg_malformed") for item in payload.data_groups[: len(lds.DG_TAGS) + 1]]
        aa = payload.active_authentication
        challenge = signature = b""
        if aa is not None:
            try:
                challenge = bytes.fromhex(aa.challenge)
            except ValueError:
                raise RequestFailed(400, "aa_challenge_invalid", "The challenge is hex.") from None
            signature = _b64(aa.signature, "aa_signature_invalid")
        try:
            result = passive_authentication(sod, files, store, required=(1, 13))
            by_number = {lds.dg_number(f): f for f in files}
            if aa is not None:
                if 15 not in by_number:
                    raise ChipError("dg_required", "data_groups", "DG15")
                active_authentication(by_number[15], challenge, signature, trust.guard)
            try:
                dg13 = lds.read_dg13(by_number[13])
            except lds.LDSError as error:
                raise ChipError("dg13_malformed", "data_groups") from error
        except ChipError as error:
            raise _ChipRefused(error) from None
        card_status, reasons, outdated, pin_h = _card_check(gateway, dg13)
        valid = not reasons
        checked_at = datetime.now(UTC).isoformat(timespec="seconds")
        claims_out: dict[str, object] = {
            "iss": gateway.config.issuer, "aud": claims.client_id, "jti": request_id, "iat": int(time.time()),
            "purpose": payload.purpose, "valid": valid, "card_status": card_status, "reasons": reasons,
            "outdated_fields": outdated, "active_authentication": "passed" if aa else "not_performed",
            "sod_sha256": base64url.encode(hashlib.sha256(sod).digest()),
        }  # fmt: skip
        await gateway.record(claims, payload.purpose, OPERATION, pin_h, ("chip",),
                             "found" if valid else f"card_not_valid:{card_status}", request_id)  # fmt: skip
        answer = ChipVerifyResponse(
            request_id=request_id, valid=valid, passive_authentication="passed",
            active_authentication="passed" if aa else "not_performed", card_status=card_status,  # type: ignore[arg-type]
            reasons=reasons, outdated_fields=outdated, data_groups=list(result.data_groups), checked_at=checked_at,
            receipt=receipt(gateway, claims_out),
        )  # fmt: skip
        gateway.metrics.observe(OPERATION, time.perf_counter() - started)
        return json_response(gateway, answer)
    except _ChipRefused as refused:
        failed = refused.error
        await gateway.record(claims, purpose, OPERATION, pin_h, ("chip",), f"refused:{failed.code}", request_id)
        evidence = receipt(gateway, {
            "iss": gateway.config.issuer, "aud": claims.client_id if claims else "", "jti": request_id,
            "iat": int(time.time()), "valid": False, "error": failed.code, "step": failed.step,
        })  # fmt: skip
        message = f"The chip failed the check at step '{failed.step}'."
        return json_response(gateway, ChipErrorResponse(failed.code, failed.step, message, request_id, evidence), 422)
    except RequestFailed as failure:
        await gateway.record(claims or failure.claims, purpose or purpose_of(body), OPERATION, pin_h, ("chip",),
                             f"refused:{failure.code}", request_id)  # fmt: skip
        return error_response(gateway, failure, request_id)


class _ChipRefused(Exception):
    def __init__(self, error: ChipError) -> None:
        super().__init__(error.code)
        self.error = error
