"""Refusals: the exceptions that end a call with an error answer, and the answers to the router's own refusals and to
an unavailable ledger (the same error body as every other refusal: ``code``, ``message``, ``request_id``)."""

from __future__ import annotations

import os

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from dancu.gateway.auth import AccessClaims


class LedgerUnavailable(Exception):
    """The access ledger could not make an entry durable: the call is answered 503, and not served.

    ``args[0]`` is the call's request id."""


class RequestFailed(Exception):
    """A refused call: its status, stable code and message; ``claims`` when it was refused once authenticated but
    before the handler had them (the ledger entry then names the system)."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None,
        claims: AccessClaims | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after
        self.claims = claims


#: Codes of the refusals made by the router, before any endpoint (see docs/integrators.md, "Errors").
HTTP_ERRORS = {
    404: ("not_found", "There is no such endpoint."),
    405: ("method_not_allowed", "This endpoint does not take this method: see the Allow header."),
}


async def ledger_unavailable(request: Request, exc: Exception) -> Response:
    body = {
        "code": "ledger_unavailable", "message": "The access ledger is unavailable; try again shortly.",
        "request_id": exc.args[0] if exc.args else os.urandom(16).hex(),
    }  # fmt: skip
    return Response(orjson.dumps(body), 503, media_type="application/json", headers={"Retry-After": "1"})


async def http_error(request: Request, exc: Exception) -> Response:
    """No such path (404) or method (405, with ``Allow``): the same error body as every other refusal."""
    assert isinstance(exc, HTTPException)
    code, message = HTTP_ERRORS.get(exc.status_code, ("request_invalid", "The request was refused."))
    body = {"code": code, "message": message, "request_id": os.urandom(16).hex()}
    return Response(orjson.dumps(body), exc.status_code, media_type="application/json", headers=exc.headers)
