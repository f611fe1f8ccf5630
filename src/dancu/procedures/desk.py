"""What an officer does to a dossier at the desk (bàn xử lý hồ sơ): find it in their queue, take it, start
processing, ask for a supplement or for verification, approve (the procedure's own decision) or refuse with a reason.

Entry points :func:`dossier_for`, :func:`queue` and :func:`act`, so that every door (the back office today, the
offline workspace later) applies the same rules: an official sees and acts on the dossiers of their agency and
area only (``dossier_out_of_area``, ``dossier_other_agency``: 403); only the officer who took a dossier acts on it
— processing, supplement, verification, decisions (``dossier_not_yours``) — and decides it after confirming
(``confirmation_required``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dancu.accounts.models import Official
from dancu.accounts.services.officials import agencies, area_commune_codes, in_area, official_of
from dancu.core.errors import DomainError
from dancu.core.names import fold_name
from dancu.procedures import linked, workflow
from dancu.procedures.models import Dossier, Procedure, Status
from dancu.registry.models import Person

#: The officer's actions, in the order the desk shows them (value, label).
ACTIONS = (
    ("assign", gettext_lazy("Take the dossier")),
    ("process", gettext_lazy("Start processing")),
    ("supplement", gettext_lazy("Ask for a supplement")),
    ("verify", gettext_lazy("Needs verification")),
    ("approve", gettext_lazy("Approve")),
    ("reject", gettext_lazy("Refuse")),
)

#: What changes the dossier: only by the officer who took it, who answers for it until its result (anyone of the
#: agency and area may take it, or take it over).
BY_TAKER = {"process", "supplement", "verify", "approve", "reject"}
#: Decisions: also confirmed (the desk's page asks for it beside the button).
DECISIONS = {"approve", "reject"}

#: The queue's sort orders (value -> ordering).
ORDERS = {
    "due": ("due_on", "received_at", "number"),
    "received": ("received_at", "number"),
    "-received": ("-received_at", "-number"),
}
#: The queue's views by status.
SHOWS = {
    "open": workflow.OPEN,
    "waiting": {Status.WAITING},
    "done": workflow.FINISHED,
    "all": set(Status.values) - {Status.DRAFT},
}
PAGE_SIZE = 50


def check_scope(official: Official, dossier: Dossier) -> None:
    """Refused unless the dossier is of the official's agency and area."""
    if dossier.procedure.agency not in agencies(official):
        raise DomainError("dossier_other_agency", _("This dossier is handled by another agency."), status=403)
    if not in_area(official, dossier.commune):
        raise DomainError(
            "dossier_out_of_area", _("This dossier belongs to a commune outside the area you work for."), status=403
        )


def _words_from(path: str, folded: str, *, json_key: bool = False) -> Q:
    # On a JSON key, "contains" means JSON containment: the text lookups are the case-insensitive ones.
    starts, contains = ("istartswith", "icontains") if json_key else ("startswith", "contains")
    return Q(**{f"{path}__{starts}": folded}) | Q(**{f"{path}__{contains}": " " + folded})


def matching(search: str) -> Q:
    """Dossiers whose number contains ``search``, or whose applicant, child (birth group) or deceased (death group)
    has a name with a word starting with it, accents and case ignored ("hong" finds "Nguyễn Thị Hồng")."""
    folded = fold_name(search)
    deceased = Person.objects.filter(pin=KeyTextTransform("deceased_pin", OuterRef("data"))).filter(
        _words_from("name_folded", folded)
    )
    return (
        Q(number__icontains=search.strip())
        | _words_from("applicant__person__name_folded", folded)
        | _words_from("case__data__child_name_folded", folded, json_key=True)
        | Q(Exists(deceased))
    )


def dossier_for(user: Any, dossier_id: object) -> Dossier:
    """The dossier, if the signed-in official (a Django user) may see it: ``dossier_not_found`` (404),
    ``dossier_other_agency`` or ``dossier_out_of_area`` (403, without anything about the dossier)."""
    official = official_of(user)
    dossier = (
        Dossier.objects.select_related("procedure", "case__group", "applicant__person", "assigned_to")
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None:
        raise DomainError("dossier_not_found", _("No such dossier."), status=404)
    check_scope(official, dossier)
    return dossier


@dataclass
class Queue:
    """One page of an official's queue, with the totals of their whole queue."""

    page: Page  # type: ignore[type-arg]
    total: int
    overdue: int
    mine: int
    procedures: list[Procedure] = field(default_factory=list)
    communes: list[str] | None = None


def queue(
    user: Any,
    *,
    show: str = "open",
    procedure: str = "",
    commune: str = "",
    overdue: bool = False,
    mine: bool = False,
    order: str = "due",
    page: int = 1,
    search: str = "",
) -> Queue:
    """The dossiers of the official's agency and area, filtered (status, procedure, commune, overdue, taken by
    me, a dossier number or a word of the applicant's or the person concerned's name: :func:`matching`), sorted
    (due date, received) and paged (:data:`PAGE_SIZE` a page); unknown filter values fall back to the defaults."""
    official = official_of(user)
    codes = area_commune_codes(official)
    dossiers: QuerySet[Dossier] = Dossier.objects.filter(procedure__agency__in=agencies(official))
    if codes is not None:
        dossiers = dossiers.filter(commune__in=codes)
    dossiers = dossiers.filter(status__in=SHOWS.get(show, SHOWS["open"]))
    procedures = list(Procedure.objects.filter(agency__in=agencies(official)).order_by("code"))
    if procedure in {p.code for p in procedures}:
        dossiers = dossiers.filter(procedure__code=procedure)
    if commune and (codes is None or commune in codes):
        dossiers = dossiers.filter(commune=commune)
    if search.strip():
        dossiers = dossiers.filter(matching(search))
    today = timezone.localdate()
    late = Q(status__in=workflow.OPEN, due_on__lt=today)
    totals = dossiers.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=late), mine=Count("pk", filter=Q(assigned_to_id=user.pk))
    )
    if overdue:
        dossiers = dossiers.filter(late)
    if mine:
        dossiers = dossiers.filter(assigned_to_id=user.pk)
    ordered = dossiers.select_related("procedure", "applicant__person", "assigned_to").order_by(
        *ORDERS.get(order, ORDERS["due"])
    )
    return Queue(
        page=Paginator(ordered, PAGE_SIZE).get_page(page),
        total=totals["total"],
        overdue=totals["overdue"],
        mine=totals["mine"],
        procedures=procedures,
        communes=codes,
    )


@transaction.atomic
def assign(dossier_id: object, *, official: Any) -> Dossier:
    """The officer (a Django user) takes the dossier: it shows as theirs in the queue."""
    dossier = workflow.locked(dossier_id)
    dossier.assigned_to = official
    dossier.save(update_fields=["assigned_to", "updated_at"])
    return dossier


def act(dossier: Dossier, action: str, *, official: Any, reason: str = "", confirmed: bool = False) -> None:
    """Apply one of :data:`ACTIONS` to the dossier for the signed-in officer (a Django user); refusals are
    :class:`DomainError` with a stable code (``reason_required``, ``transition_invalid``, ``action_unknown``,
    ``dossier_out_of_area``, ``dossier_not_yours``, ``confirmation_required``...)."""
    if action not in dict(ACTIONS):
        raise DomainError("action_unknown", _("Unknown action."), field="action")
    with transaction.atomic():
        current = workflow.locked(dossier.pk)
        check_scope(official_of(official), current)
        if action in BY_TAKER and current.assigned_to_id != official.pk:
            raise DomainError(
                "dossier_not_yours", _("Take the dossier before acting on it: only the officer who took it does."),
                status=409,
            )  # fmt: skip
        if action in DECISIONS and not confirmed:
            raise DomainError(
                "confirmation_required", _("Confirm the decision: tick the box that says what will happen."),
                field="confirm",
            )  # fmt: skip
        _apply(dossier, action, official=official, reason=reason)


def _apply(dossier: Dossier, action: str, *, official: Any, reason: str) -> None:
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
