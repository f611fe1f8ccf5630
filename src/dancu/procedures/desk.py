"""What an officer does to a dossier at the desk (bàn xử lý hồ sơ): take it, start processing, ask for a supplement
or for verification, approve (the procedure's own decision) or refuse with a reason.

One entry point, :func:`act`, so that every door (the back office today, the offline workspace later) applies the
same rules, writes through the same services and tells the citizen the same way.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dancu.core.errors import DomainError
from dancu.procedures import linked, workflow
from dancu.procedures.models import Dossier

#: The officer's actions, in the order the desk shows them (value, label).
ACTIONS = (
    ("assign", _("Take")),
    ("process", _("Start processing")),
    ("supplement", _("Ask for a supplement")),
    ("verify", _("Needs verification")),
    ("approve", _("Approve")),
    ("reject", _("Refuse")),
)


@transaction.atomic
def assign(dossier_id: object, *, official: Any) -> Dossier:
    """The officer (a Django user) takes the dossier: it shows as theirs in the queue."""
    dossier = workflow.locked(dossier_id)
    dossier.assigned_to = official
    dossier.save(update_fields=["assigned_to", "updated_at"])
    return dossier


def act(dossier: Dossier, action: str, *, official: Any, reason: str = "") -> None:
    """Apply one of :data:`ACTIONS` to the dossier for the signed-in officer (a Django user); refusals are
    :class:`DomainError` with a stable code (``reason_required``, ``transition_invalid``, ``action_unknown``...)."""
    name = official.get_username()
    reason = reason.strip()
    if action == "assign":
        assign(dossier.pk, official=official)
    elif action == "process":
        workflow.start_processing(dossier.pk, official=name)
    elif action == "supplement":
        workflow.request_supplement(dossier.pk, official=name, reason=reason)
        linked.notify(
            dossier.applicant,
            "Case %(number)s needs a supplement: %(reason)s",
            {"number": dossier.number, "reason": reason},
            dossier=dossier,
        )
    elif action == "verify":
        workflow.require_verification(dossier.pk, official=name, reason=reason)
        linked.notify(
            dossier.applicant,
            "Case %(number)s needs further verification; the new due date is shown on the portal.",
            {"number": dossier.number},
            dossier=dossier,
        )  # fmt: skip
    elif action == "approve":
        linked.decide(dossier, official=name)
    elif action == "reject":
        linked.reject(dossier.pk, official=name, reason=reason)
    else:
        raise DomainError("action_unknown", "Unknown action.", field="action")
