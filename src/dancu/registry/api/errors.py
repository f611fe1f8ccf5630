"""What a refusal looks like, and which refusals each kind of operation can answer (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema


class ErrorOut(Schema):
    """Every refusal: a stable ``code`` for programs, a ``message`` for people, the input at fault if there is one."""

    code: str = Field(examples=["pin_malformed"], pattern="^[a-z][a-z0-9_]*$")
    message: str
    field: str | None = None


class ValidationDetail(Schema):
    loc: list[str] = Field(description="Where: body/query/path and the field's name.")
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """422: the request does not match the schema (``code`` is ``request_invalid``); values are never echoed."""

    code: Literal["request_invalid"]
    message: str
    detail: list[ValidationDetail]


# What each operation can answer besides its success (docs/api.md lists the codes). 400 on a POST is at least
# ``json_malformed``; 401 always carries ``WWW-Authenticate: Basic realm="dancu"`` (added in dancu.api).
UNAUTHORISED: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut}
SEARCH_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, **UNAUTHORISED, 422: ValidationErrorOut}
READ_ERRORS: dict[int, type[Schema]] = {**SEARCH_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {**READ_ERRORS, 409: ErrorOut}
HOUSEHOLD_ERRORS: dict[int, type[Schema]] = {**UNAUTHORISED, 404: ErrorOut}
EVENTS_ERRORS: dict[int, type[Schema]] = {**UNAUTHORISED, 422: ValidationErrorOut}
