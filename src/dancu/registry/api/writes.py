"""Writes: one domain service per endpoint, each answering the record as it now stands."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Status

from dancu.registry import presenters
from dancu.registry.api.bodies import (
    BirthIn,
    DeathIn,
    MarriageIn,
    NameChangeIn,
    PermanentResidenceIn,
    PersonIn,
    RemovalIn,
    TemporaryResidenceIn,
)
from dancu.registry.api.common import _person, _require, router
from dancu.registry.api.errors import WRITE_ERRORS
from dancu.registry.api.schemas import PersonOut, PersonRef, ResidencesOut
from dancu.registry.services import births, civil_status, deaths, residence


@router.post(
    "/births",
    response={201: PersonOut, **WRITE_ERRORS},
    summary="Register a birth and issue the PIN",
    operation_id="dancu_registry_api_post_birth",
)
def post_birth(request: HttpRequest, body: BirthIn) -> Any:
    actor = _require(request, "registry.add_person")
    person = births.register_birth(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(person.pin)))


@router.post(
    "/persons",
    response={201: PersonOut, **WRITE_ERRORS},
    summary="Register an existing person (initial load)",
    operation_id="dancu_registry_api_post_person",
)
def post_person(request: HttpRequest, body: PersonIn) -> Any:
    actor = _require(request, "registry.add_person")
    person = births.register_person(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(person.pin)))


@router.post(
    "/permanent-residences",
    response={201: PersonOut, **WRITE_ERRORS},
    summary="Register permanent residence",
    operation_id="dancu_registry_api_post_permanent_residence",
)
def post_permanent_residence(request: HttpRequest, body: PermanentResidenceIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.register_permanent_residence(**body.model_dump(), actor=actor)
    return Status(201, presenters.person_dict(_person(body.pin)))


@router.post(
    "/permanent-residences/removal",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Remove the permanent residence",
    operation_id="dancu_registry_api_post_removal",
)
def post_removal(request: HttpRequest, body: RemovalIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.remove_permanent_residence(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


@router.post(
    "/temporary-residences",
    response={201: ResidencesOut, **WRITE_ERRORS},
    summary="Register temporary residence",
    operation_id="dancu_registry_api_post_temporary",
)
def post_temporary(request: HttpRequest, body: TemporaryResidenceIn) -> Any:
    actor = _require(request, "registry.change_person")
    residence.register_temporary_residence(**body.model_dump(), actor=actor)
    return Status(201, presenters.residences_dict(_person(body.pin)))


@router.post(
    "/marriages",
    response={201: list[PersonRef], **WRITE_ERRORS},
    summary="Register a marriage",
    operation_id="dancu_registry_api_post_marriage",
)
def post_marriage(request: HttpRequest, body: MarriageIn) -> Any:
    actor = _require(request, "registry.change_person")
    civil_status.register_marriage(**body.model_dump(), actor=actor)
    return Status(201, [presenters.person_ref(_person(body.pin_a)), presenters.person_ref(_person(body.pin_b))])


@router.post(
    "/name-changes",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Change a name",
    operation_id="dancu_registry_api_post_name_change",
)
def post_name_change(request: HttpRequest, body: NameChangeIn) -> Any:
    actor = _require(request, "registry.change_person")
    civil_status.change_name(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


@router.post(
    "/deaths",
    response={200: PersonOut, **WRITE_ERRORS},
    summary="Record a death",
    operation_id="dancu_registry_api_post_death",
)
def post_death(request: HttpRequest, body: DeathIn) -> Any:
    actor = _require(request, "registry.change_person")
    deaths.record_death(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))
