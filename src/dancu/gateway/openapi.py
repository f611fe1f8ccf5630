"""The gateway's OpenAPI 3.1 document, generated from its msgspec schemas.

The request schemas come from the msgspec types that decode the requests (unknown fields refused:
``additionalProperties: false``), with the constraints the gateway checks in Python attached to their fields
(``schemas.Pin``, ``schemas.FullName``, ...). What depends on the deployment comes from its configuration: the
purpose codes (from the projection, so the document changes when a purpose is added) and the batch size. Every status
an endpoint can answer is listed with its error body and the stable codes it can carry;
``tests/gateway/test_schemathesis.py`` checks the document against a live gateway with all of schemathesis' checks.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from dancu.gateway import schemas
from dancu.gateway.auth import ASSERTION_TYPE

#: Stable error codes by endpoint and status (docs/integrators.md, "Errors"). Shared by the three JSON endpoints:
_AUTHENTICATED = {
    401: ["token_missing", "token_invalid", "token_expired"],
    403: ["system_not_active", "purpose_not_in_token", "purpose_not_granted"],
    413: ["payload_too_large"],
    415: ["content_type_invalid"],
    429: ["rate_limited", "daily_quota_exceeded"],
    503: ["ledger_unavailable"],
}
ERROR_CODES: dict[str, dict[int, list[str]]] = {
    "/v1/verify": {
        400: ["json_malformed", "pin_malformed", "pin_unknown_province", "full_name_invalid", "birth_date_invalid",
              "purpose_unknown"],
        422: ["request_invalid"],
        **_AUTHENTICATED,
    },
    "/v1/verify/batch": {
        400: ["json_malformed", "purpose_unknown"],
        422: ["request_invalid", "batch_size_invalid"],
        **_AUTHENTICATED,
    },
    "/v1/lookup": {
        400: ["json_malformed", "pin_malformed", "pin_unknown_province", "purpose_unknown"],
        422: ["request_invalid", "fields_invalid"],
        **_AUTHENTICATED,
    },
    "/oauth/token": {
        400: ["invalid_request", "unsupported_grant_type", "invalid_scope"],
        401: ["invalid_client"],
        503: ["ledger_unavailable"],
    },
}  # fmt: skip
#: Refusals made by the router for any path: no such endpoint, or not this method (with ``Allow``).
ROUTER_CODES = {404: ["not_found"], 405: ["method_not_allowed"]}

_DESCRIPTIONS = {
    400: "Malformed: not JSON, a field that fails its check, or an unknown purpose code",
    401: "No valid access token (checked before the body is read)",
    403: "The system is not active, or the token or grant does not cover this purpose and operation",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "The body does not match the schema",
    429: "Rate or daily quota exceeded: retry after Retry-After seconds",
    503: "The access ledger could not record the call, so it was not served: retry after Retry-After seconds",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}  # fmt: skip


@cache
def document(
    server: str, purposes: tuple[str, ...] = (), *, max_batch_items: int = 1000, max_body: int = 64 * 1024,
    max_batch_body: int = 1024 * 1024,
) -> dict[str, Any]:  # fmt: skip
    """The document for a gateway at ``server`` whose projection knows ``purposes`` (none: any string is shown)."""
    structs = [
        schemas.VerifyRequest, schemas.VerifyResponse, schemas.BatchRequest, schemas.BatchResponse,
        schemas.LookupRequest, schemas.LookupResponse, schemas.ErrorResponse, schemas.TokenResponse, schemas.TokenError,
    ]  # fmt: skip
    _, components = msgspec.json.schema_components(structs, ref_template="#/components/schemas/{name}")
    for name in ("VerifyRequest", "BatchRequest", "LookupRequest"):
        if purposes:
            components[name]["properties"]["purpose"]["enum"] = sorted(purposes)
    components["BatchRequest"]["properties"]["items"].update({"minItems": 1, "maxItems": max_batch_items})

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    def json(schema: dict[str, Any]) -> dict[str, Any]:
        return {"application/json": {"schema": schema}}

    def errors(path: str, body: str = "ErrorResponse") -> dict[str, Any]:
        responses: dict[str, Any] = {}
        for status, codes in sorted(ERROR_CODES[path].items()):
            schema = {"allOf": [ref("ErrorResponse" if status == 503 else body),
                                {"properties": {"code": {"enum": codes}}}]}  # fmt: skip
            response: dict[str, Any] = {"description": _DESCRIPTIONS[status], "content": json(schema)}
            if status in (429, 503):
                response["headers"] = _RETRY_AFTER
            if status == 401 and body == "ErrorResponse":
                response["headers"] = {
                    "WWW-Authenticate": {"description": "Bearer challenge", "required": True,
                                         "schema": {"type": "string", "pattern": "^Bearer "}},
                }  # fmt: skip
            responses[str(status)] = response
        return responses

    bearer: list[dict[str, list[str]]] = [{"bearer": []}]

    def post(path: str, summary: str, request: str, response: str, description: str, limit: int) -> dict[str, Any]:
        return {
            "post": {
                "summary": summary,
                "description": f"{description} The body is at most {limit} bytes.",
                "security": bearer,
                "requestBody": {"required": True, "content": json(ref(request))},
                "responses": {"200": {"description": "Answered", "content": json(ref(response))}, **errors(path)},
            }
        }

    token_form = {
        "type": "object",
        "required": ["grant_type", "client_assertion_type", "client_assertion"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_assertion_type": {"type": "string", "enum": [ASSERTION_TYPE]},
            "client_assertion": {
                "type": "string", "minLength": 1, "maxLength": 8192,
                "description": "A JWT signed with the system's key: iss = sub = client id, aud = this token endpoint, "
                               "exp within 300 s, a unique jti.",
            },
            "scope": {
                "type": "string", "description": "Space-separated purpose codes granted to the system (none: all).",
            },
        },
        # RFC 6749 §3.2: an authorization server ignores parameters it does not know (clients send client_id too).
        "additionalProperties": True,
        "maxProperties": 20,
    }  # fmt: skip
    health = {
        "type": "object",
        "required": ["status", "projection_offset", "projection_updated_at"],
        "properties": {
            "status": {"enum": ["ok"]},
            "projection_offset": {"type": "integer", "minimum": 0},
            "projection_updated_at": {"type": ["string", "null"]},
            "people": {"type": "integer", "minimum": 0, "description": "Only with ?deep=1"},
        },
        "additionalProperties": False,
    }
    readiness = {
        "type": "object",
        "required": ["ready", "reasons"],
        "properties": {
            "ready": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"enum": [
                "projection_unreadable", "projection_lagging", "projection_stale", "ledger_unwritable"]}},
            "projection_offset": {"type": "integer", "minimum": 0},
            "projection_lag_events": {"type": "integer", "minimum": 0},
            "projection_age_seconds": {"type": "number"},
        },
        "additionalProperties": False,
    }  # fmt: skip
    jwks = {
        "type": "object", "required": ["keys"],
        "properties": {"keys": {"type": "array", "items": {"type": "object", "required": ["kty", "kid"]}}},
    }  # fmt: skip
    router = ", ".join(f"{status} `{codes[0]}`" for status, codes in ROUTER_CODES.items())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dancu gateway",
            "version": "1",
            "description": (
                "Identity verification and purpose-bound lookup for connected systems. See docs/integrators.md. "
                "Errors are {code, message, request_id} with a stable code; any path or method not listed here is "
                f"refused with the same body ({router}, with Allow)."
            ),
        },
        "servers": [{"url": server}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "paths": {
            "/oauth/token": {
                "post": {
                    "summary": "Access token (client credentials with private_key_jwt, RFC 7523)",
                    "description": "The form is at most 16,384 bytes.",
                    "security": [],
                    "requestBody": {
                        "required": True, "content": {"application/x-www-form-urlencoded": {"schema": token_form}},
                    },
                    "responses": {
                        "200": {"description": "Token", "content": json(ref("TokenResponse"))},
                        **errors("/oauth/token", body="TokenError"),
                    },
                }
            },
            "/v1/verify": post(
                "/v1/verify", "Verify one person", "VerifyRequest", "VerifyResponse",
                "Per attribute match / no_match / not_provided; never returns data the caller did not send.", max_body,
            ),
            "/v1/verify/batch": post(
                "/v1/verify/batch", f"Verify up to {max_batch_items:,} people", "BatchRequest", "BatchResponse",
                "The same answers per item; a malformed item is answered with its error code alone.", max_batch_body,
            ),
            "/v1/lookup": post(
                "/v1/lookup", "Look up permitted fields", "LookupRequest", "LookupResponse",
                "Only the fields granted to this system for this purpose; consent-only fields need consent.", max_body,
            ),
            "/v1/health": {
                "get": {
                    "summary": "Health",
                    "security": [],
                    "parameters": [{"name": "deep", "in": "query", "required": False,
                                    "description": "Any non-empty value: also count the people in the projection.",
                                    "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "Up", "content": json(health)},
                        "503": {"description": "The projection cannot be read",
                                "content": json({"type": "object", "required": ["status"],
                                                 "properties": {"status": {"enum": ["unavailable"]}}})},
                    },
                }
            },
            "/healthz": {"get": {"summary": "Liveness (the worker answers)", "security": [], "responses": {
                "200": {"description": "Alive", "content": json({
                    "type": "object", "required": ["alive"], "properties": {"alive": {"enum": [True]}}})}}}},
            "/readyz": {"get": {
                "summary": "Readiness (for load balancers)",
                "description": "503 while the projection cannot be read, lags or is stale, or the ledger cannot be "
                               "written; see docs/operator.md.",
                "security": [], "responses": {
                    "200": {"description": "Ready", "content": json(readiness)},
                    "503": {"description": "Not ready, with the reasons", "content": json(readiness)}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "security": [], "responses": {
                "200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {
                "200": {
                    "description": "OpenAPI 3.1", "content": json({"type": "object", "required": ["openapi", "paths"]}),
                }}}},
            "/.well-known/jwks.json": {"get": {"summary": "Keys that sign access tokens", "security": [], "responses": {
                "200": {"description": "JWKS", "content": json(jwks)}}}},
        },
    }  # fmt: skip
