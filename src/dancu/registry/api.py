"""The officials' registry API (django-ninja): reads for officials, and the domain services as write endpoints.

Every refusal is a 4xx with ``{"code", "message", "field"}``; codes are listed in docs/api.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBasicAuth, django_auth
from pydantic import ConfigDict

from dancu.core.errors import DomainError, NotFound
from dancu.core.pin import parse_pin
from dancu.events.services import read_events
from dancu.registry import history, presenters
from dancu.registry.models import Household, Person
from dancu.registry.services import births, civil_status, deaths, residence


class BasicAuth(HttpBasicAuth):
    """HTTP Basic with a Django account, for scripts and curl (use HTTPS in production)."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


AUTH = [django_auth, BasicAuth()]
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
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str = Field(examples=["pin_malformed"])
    message: str
    field: str | None = None


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
    birth_date: dt.date
    birth_commune: str = Field(description="Five-digit code of the current commune of birth.", examples=["00004"])
    registration_commune: str | None = None
    mother_pin: str | None = None
    father_pin: str | None = None
    ethnicity: int | None = Field(None, ge=1, le=54)
    religion: str = "Không"
    nationality: str = "VN"
    origin_commune: str | None = None
    source: str = Field("", max_length=200, description="Dossier number behind the registration.")


class PersonIn(Strict):
    pin: str
    full_name: str = Field(max_length=100)
    sex: Literal["M", "F"]
    birth_date: dt.date
    birth_date_precision: Literal["day", "month", "year"] = "day"
    ethnicity: int = Field(1, ge=1, le=54)
    religion: str = "Không"
    nationality: str = "VN"
    birth_commune: str | None = None
    birth_place_text: str = ""
    origin_commune: str | None = None
    father_pin: str | None = None
    mother_pin: str | None = None
    source: str = Field("", max_length=200)


class PermanentResidenceIn(Strict):
    pin: str
    commune: str
    address_line: str = Field(max_length=200)
    valid_from: dt.date
    household_number: str | None = None
    relationship: str = "head"
    era: Literal["current", "legacy"] = "current"
    source: str = Field("", max_length=200)


class RemovalIn(Strict):
    pin: str
    valid_to: dt.date
    reason: str = Field(max_length=40, examples=["deceased", "moved"])
    source: str = Field("", max_length=200)


class TemporaryResidenceIn(Strict):
    pin: str
    commune: str
    address_line: str = Field(max_length=200)
    valid_from: dt.date
    valid_until: dt.date
    source: str = Field("", max_length=200)


class MarriageIn(Strict):
    pin_a: str
    pin_b: str
    marriage_date: dt.date
    source: str = Field("", max_length=200)


class NameChangeIn(Strict):
    pin: str
    full_name: str = Field(max_length=100)
    effective_date: dt.date
    reason: str = Field(max_length=200)
    source: str = Field("", max_length=200)


class DeathIn(Strict):
    pin: str
    death_date: dt.date
    place_text: str = Field("", max_length=200)
    source: str = Field("", max_length=200)


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


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
    pin: str = Field(examples=["001090012345"])


class AsOfIn(PinIn):
    date: dt.date


class SearchIn(Strict):
    name: str = Field(min_length=2, max_length=100, description="Start of the full name; any case and accents.")
    birth_date: dt.date | None = None
    commune: str = Field("", max_length=5, description="Five-digit code of the current commune of residence.")
    limit: int = Field(50, ge=1, le=100)


@router.post("/persons/lookup", response={200: PersonOut, **ERRORS}, summary="A person's current record by PIN")
def get_person(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    parse_pin(body.pin)
    record = presenters.person_record(body.pin)
    if record is None:
        raise NotFound("person_not_found", "No person with this personal ID number.", field="pin")
    return record


@router.post("/persons/search", response={200: list[PersonSummary], **ERRORS}, summary="Find people by name")
def find_people(request: HttpRequest, body: SearchIn) -> Any:
    _require(request, "registry.view_person")
    found = presenters.search_people(name=body.name, birth_date=body.birth_date, commune=body.commune, limit=body.limit)
    return [presenters.person_summary(p) for p in found]


@router.post("/persons/residences", response={200: ResidencesOut, **ERRORS}, summary="Residence history")
def get_residences(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    return presenters.residences_dict(_person(body.pin))


@router.post("/persons/history", response={200: list[EventOut], **ERRORS}, summary="A person's full event history")
def get_history(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    _person(body.pin)
    return [presenters.event_dict(e) for e in history.person_events(body.pin)]


@router.post("/persons/as-of", response={200: AsOfOut, **ERRORS}, summary="The record as it stood on a date")
def get_as_of(request: HttpRequest, body: AsOfIn) -> Any:
    _require(request, "registry.view_person")
    _person(body.pin)
    return {"as_of": body.date.isoformat(), "record": history.record_as_of(body.pin, body.date)}


@router.get("/households/{number}", response={200: HouseholdOut, **ERRORS}, summary="A household and its members")
def get_household(request: HttpRequest, number: str) -> Any:
    _require(request, "registry.view_household")
    household = Household.objects.select_related("commune__province", "head").filter(number=number).first()
    if household is None:
        raise NotFound("household_not_found", "No household with this number.", field="number")
    return presenters.household_dict(household)


@router.get("/events", response={200: EventPage, **ERRORS}, summary="Read the event log by sequence")
def list_events(
    request: HttpRequest,
    after: Annotated[int, Field(ge=0, description="Last sequence already read.")] = 0,
    limit: Annotated[int, Field(ge=1, le=10000)] = 1000,
) -> Any:
    _require(request, "events.view_event")
    events = [presenters.event_dict(e) for e in read_events(after, limit=limit)]
    return {"events": events, "next_after": events[-1]["sequence"] if events else after}


@router.post("/pins/parse", response={200: ParsedPINOut, **ERRORS}, summary="What a PIN's digits say")
def parse(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    parsed = parse_pin(body.pin)
    return {k: getattr(parsed, k) for k in ParsedPINOut.model_fields}


# ---- writes: one domain service each ---------------------------------------------------------------------------


@router.post("/births", response={201: PersonOut, **ERRORS}, summary="Register a birth and issue the PIN")
def post_birth(request: HttpRequest, body: BirthIn) -> Any:
    actor = _require(request, "registry.add_person")
    person = births.register_birth(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(person.pin)))


@router.post("/persons", response={201: PersonOut, **ERRORS}, summary="Register an existing person (initial load)")
def post_person(request: HttpRequest, body: PersonIn) -> Any:
    actor = _require(request, "registry.add_person")
    person = births.register_person(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(person.pin)))


@router.post("/permanent-residences", response={201: PersonOut, **ERRORS}, summary="Register permanent residence")
def post_permanent_residence(request: HttpRequest, body: PermanentResidenceIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.register_permanent_residence(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(body.pin)))


@router.post(
    "/permanent-residences/removal", response={200: PersonOut, **ERRORS}, summary="Remove the permanent residence"
)
def post_removal(request: HttpRequest, body: RemovalIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.remove_permanent_residence(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


@router.post("/temporary-residences", response={201: ResidencesOut, **ERRORS}, summary="Register temporary residence")
def post_temporary(request: HttpRequest, body: TemporaryResidenceIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.register_temporary_residence(**body.model_dump(), actor=actor)
    return Status(201, presenters.residences_dict(_person(body.pin)))


@router.post("/marriages", response={201: list[PersonRef], **ERRORS}, summary="Register a marriage")
def post_marriage(request: HttpRequest, body: MarriageIn) -> Any:
    actor = _require(request, "registry.change_person")
    civil_status.register_marriage(**body.model_dump(), actor=actor)
    return Status(201, [presenters.person_ref(_person(body.pin_a)), presenters.person_ref(_person(body.pin_b))])


@router.post("/name-changes", response={200: PersonOut, **ERRORS}, summary="Change a name")
def post_name_change(request: HttpRequest, body: NameChangeIn) -> Any:
    actor = _require(request, "registry.change_person")
    civil_status.change_name(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


@router.post("/deaths", response={200: PersonOut, **ERRORS}, summary="Record a death")
def post_death(request: HttpRequest, body: DeathIn) -> Any:
    actor = _require(request, "registry.change_person")
    deaths.record_death(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))
