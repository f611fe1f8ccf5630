"""The answers' schemas and the field types requests share: dates, integers, PINs, commune codes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict

from dancu.core.pin import PROVINCE_CODES


class Strict(Schema):
    """A request body: unknown fields are refused (422), as are values of another type than the schema's."""

    model_config = ConfigDict(extra="forbid")


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    # Pydantic would also take a number (seconds since 1970) or a datetime string: the schema says YYYY-MM-DD only.
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


#: A date as the schema says it (``format: date``): a YYYY-MM-DD string and nothing else.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer is a number without a fraction (12 or 12.0); pydantic would also take "12" or true.
    if isinstance(value, bool | str):
        raise ValueError("an integer is a JSON number")
    return value


#: An integer as the schema says it: a JSON number without a fraction, not a string of digits or a boolean.
StrictInt = Annotated[int, BeforeValidator(_json_integer)]
#: One of the 54 ethnic groups of the General Statistics Office's list (Decision 121-TCTK/PPCĐ).
# (the range before the validator: after it, pydantic writes raw ge/le keywords into an optional field's schema)
EthnicityCode = Annotated[int, Field(ge=1, le=54), BeforeValidator(_json_integer)]


#: A PIN as the server accepts it: 12 ASCII digits starting with an assigned province code (others: 400
#: ``pin_malformed`` / ``pin_unknown_province``, the codes of docs/api.md, rather than a schema error).
PIN_PATTERN = "^(?:" + "|".join(sorted(PROVINCE_CODES)) + ")[0-9]{9}$"
COMMUNE_PATTERN = "^[0-9]{5}$"


def pin_field(**kwargs: Any) -> Any:
    kwargs.setdefault("description", "Personal ID number: 12 digits, the first three an assigned province code.")
    return Field(json_schema_extra={"pattern": PIN_PATTERN, "minLength": 12, "maxLength": 12}, **kwargs)


def commune_field(**kwargs: Any) -> Any:
    kwargs.setdefault("description", "Five-digit code of a commune (400 commune_malformed / commune_unknown).")
    return Field(json_schema_extra={"pattern": COMMUNE_PATTERN, "minLength": 5, "maxLength": 5}, **kwargs)


class CommuneOut(Schema):
    code: str
    name: str
    province_code: str
    province_name: str
    era: str


class PersonRef(Schema):
    pin: str
    full_name: str
    birth_date: str


class HouseholdRef(Schema):
    number: str
    relationship_to_head: str
    commune: CommuneOut
    address_line: str


class ResidenceOut(Schema):
    commune: CommuneOut
    address_line: str
    household: str | None
    valid_from: str
    valid_to: str | None
    end_reason: str


class EthnicityOut(Schema):
    code: int
    name: str


class PersonOut(Schema):
    pin: str = Field(examples=["001204012345"])
    full_name: str
    family_name: str
    middle_name: str
    given_name: str
    sex: Literal["M", "F"]
    birth_date: str
    birth_date_precision: Literal["day", "month", "year"]
    birth_place: CommuneOut | None
    birth_place_text: str
    place_of_origin: CommuneOut | None
    ethnicity: EthnicityOut
    religion: str
    nationality: str
    status: Literal["living", "deceased"]
    death_date: str | None
    father: PersonRef | None
    mother: PersonRef | None
    spouse: PersonRef | None
    household: HouseholdRef | None
    permanent_residence: ResidenceOut | None
    version: int
    updated_at: str


class PersonSummary(Schema):
    pin: str
    full_name: str
    sex: str
    birth_date: str
    status: str
    commune: CommuneOut | None


class TemporaryOut(Schema):
    id: int
    commune: CommuneOut
    address_line: str
    valid_from: str
    valid_until: str
    ended_on: str | None


class ResidencesOut(Schema):
    permanent: list[ResidenceOut]
    temporary: list[TemporaryOut]


class EventOut(Schema):
    sequence: int
    event_id: str
    type: str
    pin: str
    effective_date: str
    recorded_at: str
    actor: str
    source: str
    payload: dict[str, Any]


class EventPage(Schema):
    events: list[EventOut]
    next_after: int = Field(description="Pass as `after` to read the next page.")


class AsOfOut(Schema):
    as_of: str
    record: dict[str, Any] | None = Field(description="The record rebuilt from events; null if not yet born.")


class MemberOut(PersonRef):
    relationship_to_head: str
    status: str


class HouseholdOut(Schema):
    number: str
    commune: CommuneOut
    address_line: str
    created_on: str
    head: PersonRef | None
    members: list[MemberOut]


class ParsedPINOut(Schema):
    pin: str
    province_code: str
    province_name: str
    current_province_code: str
    sex: str
    century: int
    birth_year: int
