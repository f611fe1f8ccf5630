"""The gateway's endpoints: ``POST /oauth/token``, ``POST /v1/verify``, ``POST /v1/verify/batch``,
``POST /v1/lookup``, ``GET /v1/health``, ``GET /metrics``, ``GET /.well-known/jwks.json``, ``GET /openapi.json``."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from dancu.core.errors import DomainError
from dancu.core.pin import parse_pin
from dancu.gateway import projection
from dancu.gateway.auth import AccessClaims, AuthError
from dancu.gateway.errors import LedgerUnavailable, RequestFailed
from dancu.gateway.fields import CONSENT_FIELDS, LOOKUP_FIELDS
from dancu.gateway.health import projection_state, readiness
from dancu.gateway.ledger import LedgerEntry, now_iso
from dancu.gateway.openapi import document
from dancu.gateway.requests import decode, error_response, json_response, purpose_of, read_body
from dancu.gateway.schemas import (
    BatchItemResult,
    BatchRequest,
    BatchResponse,
    LookupRequest,
    LookupResponse,
    Refusal,
    TokenError,
    VerifyRequest,
    VerifyRequestItem,
    VerifyResponse,
    check_item,
    provided,
)
from dancu.gateway.worker import Gateway, clean


async def verify(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    request_id = os.urandom(16).hex()
    started = time.perf_counter()
    claims: AccessClaims | None = None
    body = b""
    pin_h: bytes | None = None
    fields: tuple[str, ...] = ()
    try:
        body, claims = await read_body(request, gateway, gateway.config.max_body)
        payload = decode(gateway, VerifyRequest, body)
        fields = provided(payload)
        try:
            check_item(payload)
        except DomainError as error:
            raise RequestFailed(400, error.code, error.english) from None
        pin_h = gateway.hasher.pin_hmac(payload.pin)
        rule = gateway.authorise(claims, payload.purpose, "verify")
        found, attributes, reasons, status = gateway.answers(payload.pin, gateway.person(pin_h), payload, rule)
        await gateway.record(claims, payload.purpose, "verify", pin_h, fields, "found" if found else "not_found",
                             request_id)  # fmt: skip
        response = VerifyResponse(found=found, attributes=attributes, reasons=reasons, status=status,
                                  request_id=request_id)  # fmt: skip
        gateway.metrics.observe("verify", time.perf_counter() - started)
        return json_response(gateway, response)
    except RequestFailed as failure:
        await gateway.record(claims or failure.claims, purpose_of(body), "verify", pin_h, fields,
                             f"refused:{failure.code}", request_id)  # fmt: skip
        return error_response(gateway, failure, request_id)


async def verify_batch(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    request_id = os.urandom(16).hex()
    claims: AccessClaims | None = None
    body = b""
    try:
        body, claims = await read_body(request, gateway, gateway.config.max_batch_body)
        payload = decode(gateway, BatchRequest, body)
        if not 1 <= len(payload.items) <= gateway.config.max_batch_items:
            raise RequestFailed(422, "batch_size_invalid", f"A batch has 1 to {gateway.config.max_batch_items} items.")
        rule = gateway.authorise(claims, payload.purpose, "verify", weight=len(payload.items))
        results: list[BatchItemResult] = []
        items: list[tuple[str, tuple[str, ...], str]] = []
        checked: list[tuple[int, VerifyRequestItem, bytes | None, tuple[str, ...], str]] = []
        pin_hmac = gateway.hasher.pin_hmac
        for index, item in enumerate(payload.items):
            fields = provided(item)
            try:
                check_item(item)
            except DomainError as error:
                checked.append((index, item, None, fields, error.code))
                continue
            checked.append((index, item, pin_hmac(item.pin), fields, ""))
        rows = gateway.persons([pin_h for _i, _item, pin_h, _f, _e in checked if pin_h is not None])
        answers, row_of = gateway.answers, rows.get
        for index, item, pin_h, fields, error_code in checked:
            if pin_h is None:
                results.append(BatchItemResult(index=index, found=False, error=error_code))
                items.append(("", fields, f"refused:{error_code}"))
                continue
            found, attributes, reasons, status = answers(item.pin, row_of(pin_h), item, rule)
            results.append(BatchItemResult(index, found, attributes, reasons, status))
            items.append((pin_h.hex(), fields, "found" if found else "not_found"))
        gateway.metrics.count("verify_batch", "ok")
        # One hashed entry for the call, listing each person concerned (indexed by HMAC(PIN) for the citizen).
        entry = LedgerEntry(
            time=now_iso(), system=claims.client_id, purpose=clean(payload.purpose), operation="verify_batch",
            pin_hmac="", fields=(), outcome=f"items={len(items)}", request_id=request_id, items=tuple(items),
        )  # fmt: skip
        try:
            await gateway.ledger.append(entry)
        except Exception as error:
            raise LedgerUnavailable(request_id) from error
        return json_response(gateway, BatchResponse(request_id, results))
    except RequestFailed as failure:
        await gateway.record(claims or failure.claims, purpose_of(body), "verify_batch", None, (),
                             f"refused:{failure.code}", request_id)  # fmt: skip
        return error_response(gateway, failure, request_id)


async def lookup(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    request_id = os.urandom(16).hex()
    claims: AccessClaims | None = None
    body = b""
    pin_h: bytes | None = None
    fields: tuple[str, ...] = ()
    try:
        body, claims = await read_body(request, gateway, gateway.config.max_body)
        payload = decode(gateway, LookupRequest, body)
        fields = tuple(payload.fields[:20])
        unknown = [f for f in payload.fields if f not in LOOKUP_FIELDS]
        if unknown or not payload.fields or len(payload.fields) > len(LOOKUP_FIELDS):
            raise RequestFailed(422, "fields_invalid", f"Ask for 1 or more of: {', '.join(LOOKUP_FIELDS)}.")
        try:
            parse_pin(payload.pin)
        except DomainError as error:
            raise RequestFailed(400, error.code, error.english) from None
        pin_h = gateway.hasher.pin_hmac(payload.pin)
        rule = gateway.authorise(claims, payload.purpose, "lookup")
        refused: dict[str, Refusal] = {}
        wanted = []
        for name in payload.fields:
            if name not in rule.fields:
                refused[name] = "field_not_permitted"
            else:
                wanted.append(name)
        consented: set[str] = set()
        if any(name in CONSENT_FIELDS for name in wanted):
            row = gateway.db.execute(
                "SELECT fields FROM consents WHERE pin_h = ? AND client_id = ?", (pin_h, claims.client_id)
            ).fetchone()
            consented = set(orjson.loads(row[0])) if row else set()
        for name in list(wanted):
            if name in CONSENT_FIELDS and name not in consented:
                refused[name] = "consent_required"
                wanted.remove(name)
        found_row = None
        values: dict[str, Any] = {}
        if wanted:
            classes = sorted({LOOKUP_FIELDS[name] for name in wanted})
            found_row = gateway.db.execute(
                f"SELECT {', '.join(classes)} FROM persons WHERE pin_h = ?",
                (pin_h,),
            ).fetchone()
            if found_row is not None:
                decrypted: dict[str, Any] = {}
                for field_class, blob in zip(classes, found_row, strict=True):
                    decrypted.update(orjson.loads(gateway.keys.decrypt(field_class, pin_h, blob)))
                values = {name: decrypted.get(name) for name in wanted}
        else:
            found_row = gateway.person(pin_h)
        found = found_row is not None
        returned = tuple(values)
        outcome = ("found" if found else "not_found") + (f":refused={','.join(sorted(refused))}" if refused else "")
        await gateway.record(claims, payload.purpose, "lookup", pin_h, returned or fields, outcome, request_id)
        return json_response(gateway, LookupResponse(request_id, found, values, refused))
    except RequestFailed as failure:
        await gateway.record(claims or failure.claims, purpose_of(body), "lookup", pin_h, fields,
                             f"refused:{failure.code}", request_id)  # fmt: skip
        return error_response(gateway, failure, request_id)


async def token(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    request_id = os.urandom(16).hex()
    client_id = ""
    try:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > 16_384):
            raise AuthError("invalid_request", "The request is too large.", 400)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise AuthError("invalid_request", "Send the form as application/x-www-form-urlencoded.", 400)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > 16_384:
                raise AuthError("invalid_request", "The request is too large.", 400)
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=False, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise AuthError(
                "invalid_request", "The form is not valid application/x-www-form-urlencoded.", 400
            ) from None
        data = dict(pairs)
        scope = data.get("scope", "").split()

        def client_jwks(cid: str) -> dict[str, Any] | None:
            system = gateway.exchange.systems.get(cid)
            return system[1] if system and system[0] == "approved" else None

        access, claims = gateway.tokens.issue(data, client_jwks=client_jwks)
        client_id = claims.client_id
        granted = {p for (cid, p) in gateway.exchange.grants if cid == client_id}
        not_granted = [p for p in scope if p not in granted]
        if not_granted:
            raise AuthError("invalid_scope", "The scope names purposes not granted to this system.", 400)
        await gateway.record(claims, " ".join(scope), "token", None, (), "issued", request_id)
        return Response(
            orjson.dumps({"access_token": access, "token_type": "Bearer", "expires_in": gateway.config.token_ttl,
                          "scope": " ".join(scope or sorted(granted))}),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )  # fmt: skip
    except AuthError as error:
        entry_claims = AccessClaims(client_id, (), 0, "") if client_id else None
        await gateway.record(entry_claims, "", "token", None, (), f"refused:{error.code}", request_id)
        refusal = TokenError(error.code, error.message, error.code, request_id)
        return json_response(gateway, refusal, error.status, {"Cache-Control": "no-store"})


async def health(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    try:
        people = gateway.db.execute("SELECT COUNT(*) FROM persons").fetchone()[0] if request.query_params.get(
            "deep") else None  # fmt: skip
        offset = int(projection.meta(gateway.db, "offset", "0"))
        updated = projection.meta(gateway.db, "updated_at")
    except sqlite3.Error:
        return Response(orjson.dumps({"status": "unavailable"}), 503, media_type="application/json")
    body: dict[str, Any] = {"status": "ok", "projection_offset": offset, "projection_updated_at": updated}
    if people is not None:
        body["people"] = people
    return Response(orjson.dumps(body), media_type="application/json")


async def healthz(request: Request) -> Response:
    """Liveness: the worker's event loop answers (:mod:`dancu.gateway.health`)."""
    return Response(b'{"alive":true}', media_type="application/json")


async def readyz(request: Request) -> Response:
    """Readiness: 200 or 503 with stable reasons (:mod:`dancu.gateway.health`)."""
    result = await readiness(request.app.state.gateway)
    return Response(orjson.dumps(result.body()), 200 if result.ready else 503, media_type="application/json")


async def metrics(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    m = gateway.metrics
    with contextlib.suppress(sqlite3.Error, ValueError):
        offset, lag, age = projection_state(gateway.db)
        m.projection_offset.set(offset)
        m.projection_lag.set(lag)
        if age is not None:
            m.projection_age.set(age)
    return Response(m.exposition(), media_type=CONTENT_TYPE_LATEST)


async def jwks(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    return Response(orjson.dumps(gateway.tokens.jwks()), media_type="application/json")


async def openapi(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    config = gateway.config
    schema = document(config.issuer, tuple(sorted(gateway.exchange.purposes)), max_batch_items=config.max_batch_items,
                      max_body=config.max_body, max_batch_body=config.max_batch_body)  # fmt: skip
    return Response(orjson.dumps(schema), media_type="application/json")
