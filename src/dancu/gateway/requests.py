"""What the JSON endpoints share on the way in and out: the caller's claims and the body (read and checked before
anything is decoded), the strict decoding, and the encoded answers and error answers."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from dancu.gateway.auth import AccessClaims
from dancu.gateway.errors import RequestFailed
from dancu.gateway.schemas import ErrorResponse
from dancu.gateway.worker import Gateway


class JSONResponse(Response):
    """A body already encoded as JSON, its headers built directly (Starlette's ``init_headers`` costs a few µs on
    every call); the same headers, in the same order."""

    media_type = "application/json"

    def __init__(self, content: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = content
        self.background = None
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()] if headers else []
        raw += ((b"content-length", str(len(content)).encode("latin-1")), (b"content-type", b"application/json"))
        self.raw_headers = raw


def json_response(gateway: Gateway, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(gateway._encoder.encode(body), status, headers)


def error_response(gateway: Gateway, failure: RequestFailed, request_id: str) -> Response:
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
    if failure.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="dancu-gateway"'}
    return json_response(gateway, ErrorResponse(failure.code, failure.message, request_id), failure.status, headers)


async def read_body(request: Request, gateway: Gateway, limit: int) -> tuple[bytes, AccessClaims]:
    """The caller's claims (:meth:`.Gateway.authenticate`: 401/403), then the request's body, checked against
    ``limit`` (413) and for a JSON content type (415).

    Authentication comes first: a caller without a valid token learns nothing of the body's rules. The three headers
    are found in one pass over the raw ASGI list (first occurrence, as Starlette's ``Headers`` gives), and the body
    read straight from ``receive``: on every call, this is cheaper than Starlette's helpers.
    """
    declared = content_type = authorization = None
    for name, value in request.scope["headers"]:
        if name == b"content-length":
            if declared is None:
                declared = value
        elif name == b"content-type":
            if content_type is None:
                content_type = value
        elif name == b"authorization" and authorization is None:
            authorization = value
    claims = gateway.authenticate(authorization.decode("latin-1") if authorization is not None else None)
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise RequestFailed(413, "payload_too_large", f"The body is larger than {limit} bytes.", claims=claims)
    if content_type is None or content_type.split(b";")[0].strip() != b"application/json":
        raise RequestFailed(415, "content_type_invalid", "Send Content-Type: application/json.", claims=claims)
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestFailed(413, "payload_too_large", f"The body is larger than {limit} bytes.", claims=claims)
        if not message.get("more_body", False):
            if not chunks:
                return chunk, claims
            chunks.append(chunk)
            return b"".join(chunks), claims
        chunks.append(chunk)


def decode[T](gateway: Gateway, kind: type[T], body: bytes) -> T:
    try:
        decoder: msgspec.json.Decoder[T] = gateway._decoders[kind]  # type: ignore[index,assignment]
        return decoder.decode(body)
    except msgspec.ValidationError as error:
        raise RequestFailed(422, "request_invalid", f"The request does not match the schema: {error}") from None
    except msgspec.DecodeError:
        raise RequestFailed(400, "json_malformed", "The body is not valid JSON.") from None


def purpose_of(body: bytes) -> str:
    """Best-effort purpose of a refused request, for the ledger."""
    try:
        value = orjson.loads(body).get("purpose", "")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""
