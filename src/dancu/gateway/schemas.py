"""The gateway's request and answer types (msgspec, strict: unknown fields are refused), the constraints on their
fields that are checked in Python, and those checks.

The handlers decode and encode with these types, and ``openapi.py`` generates the document from them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from dancu.core.errors import DomainError
from dancu.core.pin import PROVINCE_CODES, parse_pin
from dancu.gateway.fields import LOOKUP_FIELDS, VERIFY_ATTRIBUTES

assert VERIFY_ATTRIBUTES == ("full_name", "birth_date", "sex"), "provided reads them in this order"

#: What a personal ID number looks like (DOMAIN.md §2): 12 ASCII digits, the first three an assigned province code.
#: The gateway checks it in :func:`check_item` (cheaper than a regular expression on every call, and with the
#: precise codes ``pin_malformed`` / ``pin_unknown_province``); the pattern documents exactly that check.
PIN_PATTERN = f"^(?:{'|'.join(sorted(PROVINCE_CODES))})[0-9]{{9}}$"
#: A name is 1 to this many characters (code points), checked in :func:`check_item`.
FULL_NAME_MAX = 100
#: A date of birth is ``YYYY-MM-DD`` (a real date), checked in :func:`check_item`.
BIRTH_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# The constraints below are checked in Python, not by msgspec (a regular expression per call costs ~0.5 µs more and
# would lose the precise error codes); ``extra_json_schema`` puts each next to its field in the OpenAPI document.
Pin = Annotated[str, msgspec.Meta(extra_json_schema={
    "pattern": PIN_PATTERN, "minLength": 12, "maxLength": 12, "description": "Personal ID number: 12 digits.",
    "examples": ["001090012345"],
})]  # fmt: skip
FullName = Annotated[str, msgspec.Meta(extra_json_schema={"minLength": 1, "maxLength": FULL_NAME_MAX})]
BirthDate = Annotated[str, msgspec.Meta(extra_json_schema={
    "format": "date", "pattern": BIRTH_DATE_PATTERN, "examples": ["1990-05-17"],
})]  # fmt: skip
Purpose = Annotated[str, msgspec.Meta(extra_json_schema={
    "description": "Purpose code granted to the calling system.", "examples": ["kyc-banking"],
})]  # fmt: skip
LookupField = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(LOOKUP_FIELDS)})]
LookupFields = Annotated[
    list[LookupField], msgspec.Meta(extra_json_schema={"minItems": 1, "maxItems": len(LOOKUP_FIELDS)})
]


class VerifyRequestItem(msgspec.Struct, forbid_unknown_fields=True):
    """One person of a batch. Each item is checked on its own: an item whose pin, full_name or birth_date is
    malformed is answered with ``error`` in its result (``pin_malformed``, ``pin_unknown_province``,
    ``full_name_invalid``, ``birth_date_invalid``), and the rest of the batch is answered."""

    pin: str
    full_name: str | None = None
    birth_date: str | None = None
    sex: Literal["M", "F"] | None = None


class VerifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Check what the caller already holds against the registry: each attribute answers match / no_match."""

    pin: Pin
    purpose: Purpose
    full_name: FullName | None = None
    birth_date: BirthDate | None = None
    sex: Literal["M", "F"] | None = None


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    purpose: Purpose
    items: list[VerifyRequestItem]  # 1 to GatewayConfig.max_batch_items: checked in verify_batch, documented there


class LookupRequest(msgspec.Struct, forbid_unknown_fields=True):
    pin: Pin
    purpose: Purpose
    fields: LookupFields


#: What a verification compares: a batch item or a single request (the same attribute names).
Item = VerifyRequestItem | VerifyRequest

Answer = Literal["match", "no_match", "not_provided"]
#: Why a lookup did not return a field it was asked for.
Refusal = Literal["field_not_permitted", "consent_required"]


class Attributes(msgspec.Struct):
    full_name: Answer
    full_name_without_diacritics: Answer
    birth_date: Answer
    sex: Answer


class VerifyResult(msgspec.Struct, omit_defaults=True):
    found: bool
    attributes: Attributes
    reasons: list[str]
    status: Literal["living", "deceased"] | None = None


class VerifyResponse(VerifyResult, kw_only=True):
    request_id: str


class BatchItemResult(msgspec.Struct, omit_defaults=True):
    index: int
    found: bool
    attributes: Attributes | None = None
    reasons: list[str] = []
    status: Literal["living", "deceased"] | None = None
    error: str | None = None


class BatchResponse(msgspec.Struct):
    request_id: str
    results: list[BatchItemResult]


class LookupResponse(msgspec.Struct):
    request_id: str
    found: bool
    fields: dict[str, Any]
    refused: dict[str, Refusal]


class ErrorResponse(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    request_id: str
    detail: str | None = None


class TokenError(msgspec.Struct):
    """A refusal of the token endpoint: RFC 6749's ``error`` and ``error_description``, and the gateway's own
    ``code`` (the same as ``error``) and ``request_id``."""

    error: str
    error_description: str
    code: str
    request_id: str


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


#: The attributes sent, by which of full_name, birth_date and sex are present (bits 1, 2, 4), in that order.
_PROVIDED = tuple(tuple(name for bit, name in enumerate(VERIFY_ATTRIBUTES) if mask >> bit & 1) for mask in range(8))


def provided(item: Item) -> tuple[str, ...]:
    """The attributes the caller sent (recorded in the ledger as the fields of the call), in VERIFY_ATTRIBUTES'
    order."""
    return _PROVIDED[(item.full_name is not None) | (item.birth_date is not None) << 1 | (item.sex is not None) << 2]


def check_item(item: Item) -> None:
    """Validate the shape of one item (4xx codes); raises DomainError."""
    pin = item.pin
    if not (len(pin) == 12 and pin.isascii() and pin.isdigit() and pin[:3] in PROVINCE_CODES):
        parse_pin(pin)  # raises the precise error
    if item.full_name is not None and not 0 < len(item.full_name) <= FULL_NAME_MAX:
        raise DomainError("full_name_invalid", f"full_name has 1-{FULL_NAME_MAX} characters.", field="full_name")
    birth_date = item.birth_date
    if birth_date is not None:
        # Exactly YYYY-MM-DD (BIRTH_DATE_PATTERN, a real date): fromisoformat alone also takes 20200101, 2020-W01-1.
        if len(birth_date) != 10 or birth_date[4] != "-" or birth_date[7] != "-":
            raise DomainError("birth_date_invalid", "birth_date is YYYY-MM-DD.", field="birth_date")
        try:
            date.fromisoformat(birth_date)
        except ValueError:
            raise DomainError("birth_date_invalid", "birth_date is YYYY-MM-DD.", field="birth_date") from None
