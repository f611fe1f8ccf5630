"""Linked procedure groups (liên thông, Decree 63/2024/NĐ-CP): one declaration, dossiers at several agencies.

- ``birth``: the birth group (birth -> PIN, residence in a parent's household; its declaration and fee);
- ``death``: the death group (death, residence removal; its declaration);
- ``benefits``: social insurance's decisions in both (under-6 health-insurance card, funeral allowance, survivor
  benefit);
- ``common``: what they share (a case's dossiers, notices, the end of a decision, refusal).

Downstream dossiers start from the event log (``procedures/consumers.py``). :data:`DECISIONS` maps a procedure code
to the officer's decision that approves (or, for the allowances, decides) its dossier; :func:`decide` applies it.
"""

from __future__ import annotations

from collections.abc import Callable

from dancu.core.errors import DomainError
from dancu.procedures.linked.benefits import (
    BASE_SALARY_VND,
    FUNERAL_MIN_MONTHS,
    MONTHLY_SURVIVOR_MIN_MONTHS,
    approve_insurance,
    contribution_months,
    decide_funeral_allowance,
    decide_survivor_benefit,
)
from dancu.procedures.linked.birth import (
    BIRTH,
    BIRTH_GROUP,
    BIRTH_REGISTRATION_DAYS,
    EXTRACT_COPY_FEE_VND,
    INSURANCE,
    RESIDENCE,
    approve_birth,
    approve_residence,
    declare_birth,
    payment_received,
)
from dancu.procedures.linked.common import notify, reject
from dancu.procedures.linked.death import (
    DEATH,
    DEATH_GROUP,
    FUNERAL,
    REMOVAL,
    SURVIVOR,
    approve_death,
    approve_removal,
    declare_death,
)
from dancu.procedures.models import Dossier

#: The officer's decision for each procedure decided online (procedure code -> decision).
DECISIONS: dict[str, Callable[..., Dossier]] = {
    BIRTH: approve_birth,
    RESIDENCE: approve_residence,
    INSURANCE: approve_insurance,
    DEATH: approve_death,
    REMOVAL: approve_removal,
    FUNERAL: decide_funeral_allowance,
    SURVIVOR: decide_survivor_benefit,
}


def decide(dossier: Dossier, *, official: str) -> Dossier:
    """Apply the decision of the dossier's procedure (``decision_not_supported`` when it has none yet)."""
    decision = DECISIONS.get(dossier.procedure.code)
    if decision is None:
        raise DomainError("decision_not_supported", "This procedure is not decided online yet.")
    return decision(dossier.pk, official=official)


__all__ = [
    "BASE_SALARY_VND", "BIRTH", "BIRTH_GROUP", "BIRTH_REGISTRATION_DAYS", "DEATH", "DEATH_GROUP", "DECISIONS",
    "EXTRACT_COPY_FEE_VND", "FUNERAL", "FUNERAL_MIN_MONTHS", "INSURANCE", "MONTHLY_SURVIVOR_MIN_MONTHS", "REMOVAL",
    "RESIDENCE", "SURVIVOR", "approve_birth", "approve_death", "approve_insurance", "approve_removal",
    "approve_residence", "contribution_months", "decide", "decide_funeral_allowance", "decide_survivor_benefit",
    "declare_birth", "declare_death", "notify", "payment_received", "reject",
]  # fmt: skip
