"""The linked death group: a relative declares a death once and chooses 2, 3 or 4 procedures — death registration
and permanent-residence removal always, the funeral allowance and the survivor benefit (linked/benefits.py) on
request (procedure 1.011537). The deceased's cards and e-ID account are closed from the death's event by their own
apps (cards/consumers.py, accounts/consumers.py), whatever recorded the death.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dancu.accounts.models import Account
from dancu.core import workdays
from dancu.core.errors import DomainError
from dancu.procedures import attachments, results
from dancu.procedures.linked.common import (
    check_agency,
    issued_upstream,
    maybe_finish,
    new_dossier,
    notify,
    receiving,
    result_issued,
)
from dancu.procedures.models import Attachment, Case, Dossier, Procedure, ProcedureGroup, Reuse, Status
from dancu.procedures.workflow import locked, move, move_through, next_number
from dancu.registry import services as registry
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person

DEATH_GROUP = "death-group"
DEATH = "death-registration"
REMOVAL = "permanent-residence-removal"
FUNERAL = "funeral-allowance"
SURVIVOR = "survivor-benefit"


@transaction.atomic
def declare_death(
    account: Account,
    *,
    deceased_pin: str,
    death_date: date,
    death_place: str,
    requester_relationship: str,
    procedures: list[str],
    death_notice: attachments.Upload | None = None,
    survivors: list[str] | None = None,
    bank_account: str = "",
) -> Case:
    """A relative declares a death and chooses 2, 3 or 4 procedures: death registration and residence removal
    always, funeral allowance and survivor benefit on request (procedure 1.011537)."""
    group = ProcedureGroup.objects.get(code=DEATH_GROUP)
    chosen = {DEATH, REMOVAL, *procedures}
    allowed = {m["procedure"] for m in group.members}
    if not chosen <= allowed:
        raise DomainError("procedure_not_in_group", "Choose among the group's procedures.", field="procedures")
    deceased = Person.objects.select_related("household").filter(pin=deceased_pin).first()
    if deceased is None:
        raise DomainError("person_not_found", "No person with this personal ID number.", field="deceased_pin")
    if connection.features.has_select_for_update:  # one declaration of a death at a time (SQLite: serialised)
        list(Person.objects.select_for_update().filter(pk=deceased.pk).values_list("pk", flat=True))
    if deceased.status == LifeStatus.DECEASED:
        raise DomainError("person_deceased", "This person's death is already registered.", field="deceased_pin")
    if deceased.pk == account.person_id:
        raise DomainError("requester_is_deceased", "A death is declared by someone else.", field="deceased_pin")
    today = timezone.localdate()
    if death_date > today or death_date < deceased.birth_date:
        raise DomainError("death_date_invalid", "The date of death is between birth and today.", field="death_date")
    if not death_place.strip() or not requester_relationship.strip():
        raise DomainError(
            "field_required", "Say where the death happened and how you are related.", field="death_place"
        )
    if FUNERAL in chosen and not bank_account.strip():
        raise DomainError("field_required", "Give the bank account for the allowance.", field="bank_account")
    for pending in Case.objects.filter(group=group, finished_on__isnull=True, data__deceased_id=deceased.pk):
        raise DomainError(
            "death_already_declared",
            "This death was already declared (case %(number)s).",
            params={"number": pending.number},
        )
    spec = next(a for a in Procedure.objects.get(code=DEATH).attachments if a["code"] == "death_notice")
    if death_notice is None:
        raise DomainError("attachment_required", "Attach the death notice.", field="attachments.death_notice")
    stored = attachments.check(death_notice, spec)
    now = timezone.now()
    case = Case.objects.create(
        number=next_number("LT"), group=group, applicant=account, received_at=now,
        due_on=workdays.due_date(now, group.deadline_days or 5), data={"deceased_id": deceased.pk},
    )  # fmt: skip
    procedures_by_code = {p.code: p for p in Procedure.objects.filter(code__in=chosen)}
    commune = deceased.household.commune.code if deceased.household else account.person.household.commune.code
    base = {"deceased_pin": deceased.pin}
    extra = {
        DEATH: {**base, "death_date": death_date.isoformat(), "death_place": death_place.strip()[:200],
                "requester_relationship": requester_relationship.strip()[:60]},
        REMOVAL: base,
        FUNERAL: {**base, "bank_account": bank_account.strip()[:40]},
        SURVIVOR: {**base, "survivors": list(survivors or [])},
    }  # fmt: skip
    dossiers = {}
    for member in group.members:
        code = member["procedure"]
        if code in chosen:
            dossiers[code] = new_dossier(case, procedures_by_code[code], member, commune, extra[code])
    Dossier.objects.bulk_create(dossiers.values())
    Attachment.objects.create(dossier=dossiers[DEATH], **stored)
    Reuse.objects.create(
        dossier=dossiers[DEATH], source="registry.person", reference=str(deceased.pk),
        fields=["deceased.full_name", "deceased.birth_date", "deceased.residence"],
    )  # fmt: skip
    move_through(dossiers[DEATH], receiving(case), at=now)
    notify(
        account,
        "Linked case %(number)s was received; results are due on %(due)s.",
        {"number": case.number, "due": f"{case.due_on:%d/%m/%Y}"},
        case=case,
    )
    return case


@transaction.atomic
def approve_death(dossier_id: object, *, official: str) -> Dossier:
    dossier = locked(dossier_id)
    check_agency(dossier, DEATH)
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    registry.record_death(
        pin=dossier.data["deceased_pin"], death_date=dossier.data["death_date"], place_text=dossier.data["death_place"],
        actor=official, source=f"dossier:{dossier.number}",
    )  # fmt: skip
    deceased = Person.objects.get(pin=dossier.data["deceased_pin"])
    document = results.issue(
        dossier, kind="death-extract", title="Trích lục khai tử / Death extract", subject_id=deceased.pk,
        data={
            "full_name": deceased.full_name, "pin": deceased.pin, "death_date": dossier.data["death_date"],
            "death_place": dossier.data["death_place"],
        },
    )  # fmt: skip
    return result_issued(
        dossier,
        official,
        {"pin": deceased.pin, "document": str(document.id)},
        gettext_noop("Death registered."),
        starts_downstream=True,
    )


@transaction.atomic
def approve_removal(dossier_id: object, *, official: str) -> Dossier:
    dossier = locked(dossier_id)
    check_agency(dossier, REMOVAL)
    death = issued_upstream(dossier, DEATH).data
    # Approved and issued at once (the removal is its own result; the transaction undoes both if the registry refuses).
    move_through(dossier, [(Status.APPROVED, official, "official"), (Status.RESULT_ISSUED, official, "official")])
    registry.remove_permanent_residence(
        pin=dossier.data["deceased_pin"], valid_to=death["death_date"], reason="death", actor=official,
        source=f"dossier:{dossier.number}",
    )  # fmt: skip
    notify(dossier.applicant, "Permanent residence removed.", dossier=dossier)
    maybe_finish(dossier.case)
    return dossier
