"""The officials' registry API (django-ninja): reads for officials, and the domain services as write endpoints.

Every refusal is a 4xx with ``{"code", "message", "field"}``; codes are listed in docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from ninja.security import APIKeyCookie, HttpBasicAuth
from ninja.utils import check_csrf
from pydantic import BeforeValidator, ConfigDict

from dancu.core.errors import DomainError, NotFound
from dancu.core.pin import PROVINCE_CODES, parse_pin
from dancu.events.services import read_events
from dancu.registry import history, presenters
from dancu.registry.models import Household, Person
from dancu.registry.services import births, civil_status, deaths, residence


class BasicAuth(HttpBasicAuth):
    """HTTP Basic with a Django account, for scripts and curl (use HTTPS in production). No CSRF check: the
    credentials travel in the request itself, they are not ambient like a session cookie."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


class SessionAuth(APIKeyCookie):
    """A back-office session (the browser's cookie). Only a request that really carries a signed-in session is
    checked for its CSRF token (``X-CSRFToken``) and refused (403 ``csrf_failed``) without it; any other request
    is left to the next scheme, so that HTTP Basic works and missing credentials answer 401."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise DomainError(
                "csrf_failed", "A session's unsafe request needs the X-CSRFToken header (Django's CSRF token).",
                status=403,
            )  # fmt: skip
        return request.user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


#: Credentials sent with the request come first: a script's Basic header is never refused for want of a CSRF token.
AUTH = [BasicAuth(), SessionAuth()]
router = Router(auth=AUTH, tags=["registry"])


PERMISSION_CACHE_SECONDS = 60


def _require(request: HttpRequest, perm: str) -> str:
    """Check a permission; an account's permissions are cached in the process for a minute (a role change takes
    effect within that time), which saves two queries on every API call."""
    user = request.user
    allowed = user.is_active and (
        user.is_superuser
        or perm in cache.get_or_set(f"dancu:perms:{user.pk}", user.get_all_permissions, PERMISSION_CACHE_SECONDS)
    )
    if not allowed:
        raise DomainError("permission_denied", "Your account may not do this.", status=403)
    return f"official:{user.get_username()}"


# ---- schemas ---------------------------------------------------------------------------------------------------


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


class BirthIn(Strict):
    full_name: str = Field(max_length=100, examples=["Nguyễn Minh Khang"])
    sex: Literal["M", "F"]
    birth_date: IsoDate
    birth_commune: str = commune_field(
        description="Five-digit code of the current commune of birth.", examples=["00004"]
    )
    registration_commune: str | None = commune_field(default=None)
    mother_pin: str | None = pin_field(default=None)
    father_pin: str | None = pin_field(default=None)
    ethnicity: EthnicityCode | None = None
    religion: str = "Không"
    nationality: str = "VN"
    origin_commune: str | None = commune_field(default=None)
    source: str = Field("", max_length=200, description="Dossier number behind the registration.")


class PersonIn(Strict):
    pin: str = pin_field()
    full_name: str = Field(max_length=100)
    sex: Literal["M", "F"]
    birth_date: IsoDate
    birth_date_precision: Literal["day", "month", "year"] = "day"
    ethnicity: EthnicityCode = 1
    religion: str = "Không"
    nationality: str = "VN"
    birth_commune: str | None = commune_field(default=None)
    birth_place_text: str = ""
    origin_commune: str | None = commune_field(default=None)
    father_pin: str | None = pin_field(default=None)
    mother_pin: str | None = pin_field(default=None)
    source: str = Field("", max_length=200)


class PermanentResidenceIn(Strict):
    pin: str = pin_field()
    commune: str = commune_field()
    address_line: str = Field(max_length=200)
    valid_from: IsoDate
    household_number: str | None = None
    relationship: str = "head"
    era: Literal["current", "legacy"] = "current"
    source: str = Field("", max_length=200)


class RemovalIn(Strict):
    pin: str = pin_field()
    valid_to: IsoDate
    reason: str = Field(max_length=40, examples=["deceased", "moved"])
    source: str = Field("", max_length=200)


class TemporaryResidenceIn(Strict):
    pin: str = pin_field()
    commune: str = commune_field()
    address_line: str = Field(max_length=200)
    valid_from: IsoDate
    valid_until: IsoDate
    source: str = Field("", max_length=200)


class MarriageIn(Strict):
    pin_a: str = pin_field()
    pin_b: str = pin_field()
    marriage_date: IsoDate
    source: str = Field("", max_length=200)


class NameChangeIn(Strict):
    pin: str = pin_field()
    full_name: str = Field(max_length=100)
    effective_date: IsoDate
    reason: str = Field(max_length=200)
    source: str = Field("", max_length=200)


class DeathIn(Strict):
    pin: str = pin_field()
    death_date: IsoDate
    place_text: str = Field("", max_length=200)
    source: str = Field("", max_length=200)


# What each operation can answer besides its success (docs/api.md lists the codes). 400 on a POST is at least
# ``json_malformed``; 401 always carries ``WWW-Authenticate: Basic realm="dancu"`` (added in dancu.api).
UNAUTHORISED: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut}
SEARCH_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, **UNAUTHORISED, 422: ValidationErrorOut}
READ_ERRORS: dict[int, type[Schema]] = {**SEARCH_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {**READ_ERRORS, 409: ErrorOut}
HOUSEHOLD_ERRORS: dict[int, type[Schema]] = {**UNAUTHORISED, 404: ErrorOut}
EVENTS_ERRORS: dict[int, type[Schema]] = {**UNAUTHORISED, 422: ValidationErrorOut}


def _person(pin: str) -> Person:
    parse_pin(pin)
    try:
        return presenters.load_person(pin)
    except Person.DoesNotExist:
        raise NotFound("person_not_found", "No person with this personal ID number.", field="pin") from None


# ---- reads ---------------------------------------------------------------------------------------------------
# Personal identifiers travel in request bodies, never in URLs (which end up in access logs, proxies and browser
# history): reads that take a PIN or a name are POSTs, like the gateway's.


class PinIn(Strict):
    pin: str = pin_field(examples=["001076108037"])


class AsOfIn(PinIn):
    date: IsoDate


class SearchIn(Strict):
    name: str = Field(min_length=2, max_length=100, description="Start of the full name; any case and accents.")
    birth_date: IsoDate | None = None
    commune: str = Field("", max_length=5, description="Five-digit code of the current commune of residence.")
    limit: StrictInt = Field(50, ge=1, le=100)


@router.post("/persons/lookup", response={200: PersonOut, **READ_ERRORS}, summary="A person's current record by PIN")
def get_person(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    parse_pin(body.pin)
    record = presenters.person_record(body.pin)
    if record is None:
        raise NotFound("person_not_found", "No person with this personal ID number.", field="pin")
    return record


@router.post("/persons/search", response={200: list[PersonSummary], **SEARCH_ERRORS}, summary="Find people by name")
def find_people(request: HttpRequest, body: SearchIn) -> Any:
    _require(request, "registry.view_person")
    found = presenters.search_people(name=body.name, birth_date=body.birth_date, commune=body.commune, limit=body.limit)
    return [presenters.person_summary(p) for p in found]


@router.post("/persons/residences", response={200: ResidencesOut, **READ_ERRORS}, summary="Residence history")
def get_residences(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    return presenters.residences_dict(_person(body.pin))


@router.post("/persons/history", response={200: list[EventOut], **READ_ERRORS}, summary="A person's full event history")
def get_history(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    _person(body.pin)
    return [presenters.event_dict(e) for e in history.person_events(body.pin)]


@router.post("/persons/as-of", response={200: AsOfOut, **READ_ERRORS}, summary="The record as it stood on a date")
def get_as_of(request: HttpRequest, body: AsOfIn) -> Any:
    _require(request, "registry.view_person")
    _person(body.pin)
    return {"as_of": body.date.isoformat(), "record": history.record_as_of(body.pin, body.date)}


MAX_SEQUENCE = 2**63 - 1  # the largest integer the databases store


@router.get(
    "/households/{number}", response={200: HouseholdOut, **HOUSEHOLD_ERRORS}, summary="A household and its members"
)
def get_household(
    request: HttpRequest,
    number: Annotated[
        str,
        Path(description="Household number: the commune's five digits and a seven-digit serial (anything else: 404)."),
    ],
) -> Any:
    _require(request, "registry.view_household")
    household = Household.objects.select_related("commune__province", "head").filter(number=number).first()
    if household is None:
        raise NotFound("household_not_found", "No household with this number.", field="number")
    return presenters.household_dict(household)


@router.get("/events", response={200: EventPage, **EVENTS_ERRORS}, summary="Read the event log by sequence")
def list_events(
    request: HttpRequest,
    after: Annotated[int, Field(ge=0, le=MAX_SEQUENCE, description="Last sequence already read.")] = 0,
    limit: Annotated[int, Field(ge=1, le=10000)] = 1000,
) -> Any:
    _require(request, "events.view_event")
    events = [presenters.event_dict(e) for e in read_events(after, limit=limit)]
    return {"events": events, "next_after": events[-1]["sequence"] if events else after}


@router.post("/pins/parse", response={200: ParsedPINOut, **SEARCH_ERRORS}, summary="What a PIN's digits say")
def parse(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    parsed = parse_pin(body.pin)
    return {k: getattr(parsed, k) for k in ParsedPINOut.model_fields}


# ---- writes: one domain service each ---------------------------------------------------------------------------


@router.post("/births", response={201: PersonOut, **WRITE_ERRORS}, summary="Register a birth and issue the PIN")
def post_birth(request: HttpRequest, body: BirthIn) -> Any:
    actor = _require(request, "registry.add_person")
    person = births.register_birth(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(person.pin)))


@router.post(
    "/persons", response={201: PersonOut, **WRITE_ERRORS}, summary="Register an existing person (initial load)"
)
def post_person(request: HttpRequest, body: PersonIn) -> Any:
    actor = _require(request, "registry.add_person")
    person = births.register_person(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(person.pin)))


@router.post("/permanent-residences", response={201: PersonOut, **WRITE_ERRORS}, summary="Register permanent residence")
def post_permanent_residence(request: HttpRequest, body: PermanentResidenceIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.register_permanent_residence(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(body.pin)))


@router.post(
    "/permanent-residences/removal", response={200: PersonOut, **WRITE_ERRORS}, summary="Remove the permanent residence"
)
def post_removal(request: HttpRequest, body: RemovalIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.remove_permanent_residence(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


@router.post(
    "/temporary-residences", response={201: ResidencesOut, **WRITE_ERRORS}, summary="Register temporary residence"
)
def post_temporary(request: HttpRequest, body: TemporaryResidenceIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.register_temporary_residence(**body.model_dump(), actor=actor)
    return Status(201, presenters.residences_dict(_person(body.pin)))


@router.post("/marriages", response={201: list[PersonRef], **WRITE_ERRORS}, summary="Register a marriage")
def post_marriage(request: HttpRequest, body: MarriageIn) -> Any:
    actor = _require(request, "registry.change_person")
    civil_status.register_marriage(**body.model_dump(), actor=actor)
    return Status(201, [presenters.person_ref(_person(body.pin_a)), presenters.person_ref(_person(body.pin_b))])


@router.post("/name-changes", response={200: PersonOut, **WRITE_ERRORS}, summary="Change a name")
def post_name_change(request: HttpRequest, body: NameChangeIn) -> Any:
    actor = _require(request, "registry.change_person")
    civil_status.change_name(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


@router.post("/deaths", response={200: PersonOut, **WRITE_ERRORS}, summary="Record a death")
def post_death(request: HttpRequest, body: DeathIn) -> Any:
    actor = _require(request, "registry.change_person")
    deaths.record_death(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))
