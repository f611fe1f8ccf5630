"""Domain services of the registry: the only code that writes person data.

Each service validates its input, writes current state and appends its event in ONE transaction, and raises
:class:`~dancu.core.errors.DomainError` with a stable code when it refuses; a refusal writes nothing.

=========================  ===================================================================================
``common``                 shared helpers: today, date parsing, ``get_person``, checks on people and places
``births``                 a person enters the register: ``register_birth``, ``register_person``
``residence``              permanent residence and households, temporary residence
``civil_status``           ``register_marriage``, ``change_name``
``deaths``                 ``record_death``
=========================  ===================================================================================

The names below are re-exported so that ``from dancu.registry import services; services.X`` keeps working.
"""

from dancu.registry.services.births import register_birth, register_person
from dancu.registry.services.civil_status import change_name, register_marriage
from dancu.registry.services.common import get_person
from dancu.registry.services.deaths import record_death
from dancu.registry.services.residence import (
    end_temporary_residence,
    last_household_serial,
    register_permanent_residence,
    register_temporary_residence,
    remove_permanent_residence,
)

__all__ = [
    "change_name",
    "end_temporary_residence",
    "get_person",
    "last_household_serial",
    "record_death",
    "register_birth",
    "register_marriage",
    "register_permanent_residence",
    "register_person",
    "register_temporary_residence",
    "remove_permanent_residence",
]
