"""Reads for officials: a person's record, search, residences, history, as-of, households, the event log."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path

from dancu.core.errors import NotFound
from dancu.core.pin import parse_pin
from dancu.events.services import read_events
from dancu.registry import history, presenters
from dancu.registry.api.bodies import AsOfIn, PinIn, SearchIn
from dancu.registry.api.common import _person, _require, area_scope, router
from dancu.registry.api.errors import EVENTS_ERRORS, HOUSEHOLD_ERRORS, READ_ERRORS, SEARCH_ERRORS
from dancu.registry.api.schemas import (
    AsOfOut,
    EventOut,
    EventPage,
    HouseholdOut,
    ParsedPINOut,
    PersonOut,
    PersonSummary,
    ResidencesOut,
)

# ---- reads ---------------------------------------------------------------------------------------------------
# Personal identifiers travel in request bodies, never in URLs (which end up in access logs, proxies and browser
# history): reads that take a PIN or a name are POSTs, like the gateway's.
#
# Each read stays within the official's area (``area_scope()``: person_out_of_area, household_out_of_area, 403,
# whether the record is elsewhere or nowhere) and is recorded for the people it shows, as the back office's pages are.

#: What each read shows of a person (field codes of "who accessed my data").
RECORD_DATA = ("pin", "full_name", "birth_date", "sex", "status", "death_date", "place_of_origin", "ethnicity",
               "religion", "nationality", "permanent_address", "household")  # fmt: skip
SUMMARY_DATA = ("pin", "full_name", "birth_date", "sex", "status", "permanent_commune")
HOUSEHOLD_DATA = ("pin", "full_name", "birth_date", "household", "permanent_address")


@router.post(
    "/persons/lookup",
    response={200: PersonOut, **READ_ERRORS},
    summary="A person's current record by PIN",
    operation_id="dancu_registry_api_get_person",
)
def get_person(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    parse_pin(body.pin)
    area_scope().check_person(request.user, body.pin)
    record = presenters.person_record(body.pin)
    if record is None:
        raise NotFound("person_not_found", "No person with this personal ID number.", field="pin")
    area_scope().viewed(request.user, [body.pin], purpose="person_record", fields=RECORD_DATA)
    return record


@router.post(
    "/persons/search",
    response={200: list[PersonSummary], **SEARCH_ERRORS},
    summary="Find people by name",
    operation_id="dancu_registry_api_find_people",
)
def find_people(request: HttpRequest, body: SearchIn) -> Any:
    _require(request, "registry.view_person")
    found = presenters.search_people(
        name=body.name, birth_date=body.birth_date, commune=body.commune, limit=body.limit,
        people=area_scope().people(request.user),
    )  # fmt: skip
    area_scope().viewed(request.user, [p.pin for p in found], purpose="person_record", fields=SUMMARY_DATA)
    return [presenters.person_summary(p) for p in found]


@router.post(
    "/persons/residences",
    response={200: ResidencesOut, **READ_ERRORS},
    summary="Residence history",
    operation_id="dancu_registry_api_get_residences",
)
def get_residences(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    area_scope().check_person(request.user, parse_pin(body.pin).pin)
    residences = presenters.residences_dict(_person(body.pin))
    area_scope().viewed(request.user, [body.pin], purpose="person_record", fields=["residence_history"])
    return residences


@router.post(
    "/persons/history",
    response={200: list[EventOut], **READ_ERRORS},
    summary="A person's full event history",
    operation_id="dancu_registry_api_get_history",
)
def get_history(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    area_scope().check_person(request.user, parse_pin(body.pin).pin)
    _person(body.pin)
    events = [presenters.event_dict(e) for e in history.person_events(body.pin)]
    area_scope().viewed(request.user, [body.pin], purpose="person_record", fields=["record_history"])
    return events


@router.post(
    "/persons/as-of",
    response={200: AsOfOut, **READ_ERRORS},
    summary="The record as it stood on a date",
    operation_id="dancu_registry_api_get_as_of",
)
def get_as_of(request: HttpRequest, body: AsOfIn) -> Any:
    _require(request, "registry.view_person")
    area_scope().check_person(request.user, parse_pin(body.pin).pin)
    _person(body.pin)
    record = history.record_as_of(body.pin, body.date)
    area_scope().viewed(request.user, [body.pin], purpose="person_record", fields=["record_history"])
    return {"as_of": body.date.isoformat(), "record": record}


MAX_SEQUENCE = 2**63 - 1  # the largest integer the databases store


@router.get(
    "/households/{number}",
    response={200: HouseholdOut, **HOUSEHOLD_ERRORS},
    summary="A household and its members",
    operation_id="dancu_registry_api_get_household",
)
def get_household(
    request: HttpRequest,
    number: Annotated[
        str,
        Path(description="Household number: the commune's five digits and a seven-digit serial (anything else: 404)."),
    ],
) -> Any:
    _require(request, "registry.view_household")
    household = area_scope().household(request.user, number)
    if household is None:
        raise NotFound("household_not_found", "No household with this number.", field="number")
    shown = presenters.household_dict(household)
    area_scope().viewed(
        request.user, [m["pin"] for m in shown["members"] if m.get("pin")], purpose="household_record",
        fields=HOUSEHOLD_DATA,
    )  # fmt: skip
    return shown


@router.get(
    "/events",
    response={200: EventPage, **EVENTS_ERRORS},
    summary="Read the event log by sequence",
    operation_id="dancu_registry_api_list_events",
)
def list_events(
    request: HttpRequest,
    after: Annotated[int, Field(ge=0, le=MAX_SEQUENCE, description="Last sequence already read.")] = 0,
    limit: Annotated[int, Field(ge=1, le=10000)] = 1000,
) -> Any:
    _require(request, "events.view_event")
    area_scope().check_event_log(request.user)
    events = [presenters.event_dict(e) for e in read_events(after, limit=limit)]
    return {"events": events, "next_after": events[-1]["sequence"] if events else after}


@router.post(
    "/pins/parse",
    response={200: ParsedPINOut, **SEARCH_ERRORS},
    summary="What a PIN's digits say",
    operation_id="dancu_registry_api_parse",
)
def parse(request: HttpRequest, body: PinIn) -> Any:
    _require(request, "registry.view_person")
    parsed = parse_pin(body.pin)
    return {k: getattr(parsed, k) for k in ParsedPINOut.model_fields}
