"""The gateway's OpenAPI 3.1 document, generated from its msgspec schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec


@cache
def document(server: str) -> dict[str, Any]:
    from dancu.gateway import app as gw

    structs = [
        gw.VerifyRequest, gw.VerifyResponse, gw.BatchRequest, gw.BatchResponse, gw.LookupRequest, gw.LookupResponse,
        gw.ErrorResponse, gw.TokenResponse,
    ]  # fmt: skip
    _, components = msgspec.json.schema_components(structs, ref_template="#/components/schemas/{name}")
    # Document what a PIN looks like: 12 digits starting with an assigned province code (DOMAIN.md §2).
    from dancu.core.pin import PROVINCE_CODES

    pin_pattern = f"^({'|'.join(sorted(PROVINCE_CODES))})[0-9]{{9}}$"
    for name in ("VerifyRequest", "VerifyRequestItem", "LookupRequest"):
        pin = components[name]["properties"]["pin"]
        pin.update({"pattern": pin_pattern, "description": "Personal ID number: 12 digits.", "example": "001090012345"})
    for name in ("VerifyRequest", "BatchRequest", "LookupRequest"):
        components[name]["properties"]["purpose"].update(
            {"description": "Purpose code granted to the calling system.", "example": "kyc-banking"}
        )
    for name in ("VerifyRequest", "VerifyRequestItem"):
        props = components[name]["properties"]
        props["birth_date"] = {
            "anyOf": [{"type": "string", "format": "date", "example": "1990-05-17"}, {"type": "null"}],
            "default": None,
        }

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    def errors(*codes: int) -> dict[str, Any]:
        return {
            str(code): {"description": "Refused", "content": {"application/json": {"schema": ref("ErrorResponse")}}}
            for code in codes
        }

    bearer: list[dict[str, list[str]]] = [{"bearer": []}]

    def post(summary: str, request: str, response: str, description: str) -> dict[str, Any]:
        return {
            "post": {
                "summary": summary,
                "description": description,
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref(request)}}},
                "responses": {
                    "200": {"description": "Answered", "content": {"application/json": {"schema": ref(response)}}},
                    **errors(400, 401, 403, 413, 415, 422, 429, 503),
                },
            }
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dancu gateway",
            "version": "1",
            "description": (
                "Identity verification and purpose-bound lookup for connected systems. See docs/integrators.md."
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
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["grant_type", "client_assertion_type", "client_assertion"],
                                    "properties": {
                                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                                        "client_assertion_type": {
                                            "type": "string",
                                            "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
                                        },
                                        "client_assertion": {"type": "string"},
                                        "scope": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Token",
                            "content": {"application/json": {"schema": ref("TokenResponse")}},
                        },
                        "400": {"description": "Bad request"},
                        "401": {"description": "Client not authenticated"},
                    },
                }
            },
            "/v1/verify": post(
                "Verify one person", "VerifyRequest", "VerifyResponse",
                "Per attribute match / no_match / not_provided; never returns data the caller did not send.",
            ),
            "/v1/verify/batch": post(
                "Verify up to 1,000 people", "BatchRequest", "BatchResponse", "The same answers per item."
            ),
            "/v1/lookup": post(
                "Look up permitted fields", "LookupRequest", "LookupResponse",
                "Only the fields granted to this system for this purpose; consent-only fields need consent.",
            ),
            "/v1/health": {"get": {"summary": "Health", "responses": {"200": {"description": "Up"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Metrics"}}}},
        },
    }  # fmt: skip
