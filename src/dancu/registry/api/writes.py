"""Writes: one domain service per endpoint, each answering the record as it now stands.

Each write is the office's of the place it concerns (``area_scope()``, after the permission): a birth and a residence
where they are registered, a removal, a death, a change of name where the person is, a marriage where either party
is; the initial load is national. A refusal (403 ``commune_out_of_area``, ``person_out_of_area``,
``initial_load_national_only``) comes before anything is written."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Status

from dancu.core.errors import DomainError
from dancu.core.pin import parse_pin
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
from dancu.registry.api.common import _person, _require, area_scope, router
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
    area_scope().check_registers_in(request.user, body.registration_commune or body.birth_commune)
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
    area_scope().check_initial_load(request.user)
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
    area_scope().check_registers_in(request.user, body.commune, era=body.era)
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
    area_scope().check_person(request.user, parse_pin(body.pin).pin)
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
    area_scope().check_registers_in(request.user, body.commune)
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
    _check_either_party(request, body.pin_a, body.pin_b)
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
    area_scope().check_person(request.user, parse_pin(body.pin).pin)
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
    area_scope().check_person(request.user, parse_pin(body.pin).pin)
    deaths.record_death(**body.model_dump(), actor=actor)
    return presenters.person_dict(_person(body.pin))


def _check_either_party(request: HttpRequest, pin_a: str, pin_b: str) -> None:
    """A marriage is registered where either party lives: refused (``person_out_of_area``) only if neither is of the
    official's area."""
    try:
        area_scope().check_person(request.user, parse_pin(pin_a).pin)
    except DomainError:
        area_scope().check_person(request.user, parse_pin(pin_b).pin)
