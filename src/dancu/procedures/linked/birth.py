"""The linked birth group: one declaration, three dossiers at three agencies (Decree 63/2024/NĐ-CP).

The commune civil-status office registers the birth (``register_birth`` issues the child's PIN); the police register
the child's permanent residence in a parent's household; social insurance issues the under-6 health-insurance card
(linked/benefits.py). The downstream dossiers wait, and start by themselves when the birth's event reaches the event
log (procedures/consumers.py). If an agency rejects, the citizen is told what to fix; dossiers that cannot go on
without it are cancelled with the reason, the others carry on (linked/common.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from dancu.accounts.models import Account
from dancu.core import workdays
from dancu.core.errors import DomainError
from dancu.core.names import fold_name, validate_name
from dancu.geo.models import Commune, Era
from dancu.procedures import attachments, payments, results
from dancu.procedures.linked.common import (
    check_agency,
    issued_upstream,
    new_dossier,
    notify,
    receiving,
    result_issued,
)
from dancu.procedures.models import (
    Attachment,
    Case,
    Dossier,
    Payment,
    Procedure,
    ProcedureGroup,
    Reuse,
    Status,
    Transition,
    render_notice,
)
from dancu.procedures.workflow import locked, move, move_through, next_number, next_numbers, steps
from dancu.registry import services as registry
from dancu.registry.choices import LifeStatus, Relationship, Sex
from dancu.registry.models import Person

BIRTH_GROUP = "birth-group"
BIRTH = "birth-registration"
RESIDENCE = "permanent-residence-registration"
INSURANCE = "health-insurance-under-6"
#: Births are registered within 60 days (Law on Civil Status 2014 art. 15); later is late registration.
BIRTH_REGISTRATION_DAYS = 60


def _parent(pin: str, field: str) -> Person:
    person = Person.objects.filter(pin=pin).select_related("household__commune").first()
    if person is None:
        raise DomainError("parent_not_in_registry", "This parent is not in the population database.", field=field)
    return person


def declare_birth(
    account: Account,
    *,
    child_full_name: str,
    child_sex: str,
    child_birth_date: date,
    child_birth_commune: str,
    requester_relationship: str,
    other_parent_pin: str | None = None,
    birth_certificate: attachments.Upload | None = None,
    extract_copies: int = 0,
) -> Case:
    """One declaration of the linked birth group by a parent signed in with the e-ID. The parents' data, the
    household and the residence come from the registry (prefilled, locked, recorded as re-used); only the child's
    facts and the hospital's birth certificate are asked for.

    What needs no registry row (the form's own values, the catalogue, the file's type, size and digest) is checked
    before the write transaction; the rest inside it, with the parents' rows locked (PostgreSQL; SQLite's
    transactions are serialised anyway) so that two declarations of one child cannot both pass the duplicate check.
    On SQLite the transaction holds the database's write lock: the shorter it is, the more declarations per second."""
    group = ProcedureGroup.objects.get(code=BIRTH_GROUP)
    procedures = {p.code: p for p in Procedure.objects.filter(code__in=[m["procedure"] for m in group.members])}
    if requester_relationship not in ("mother", "father"):
        raise DomainError(
            "relationship_invalid", "The declarant is the mother or the father.", field="requester_relationship"
        )
    if child_sex not in (Sex.MALE, Sex.FEMALE):
        raise DomainError("sex_invalid", "Sex is M or F.", field="child_sex")
    today = timezone.localdate()
    if child_birth_date > today:
        raise DomainError("birth_date_in_future", "The date of birth is in the future.", field="child_birth_date")
    if (today - child_birth_date).days > BIRTH_REGISTRATION_DAYS:
        raise DomainError(
            "birth_registration_late", "More than 60 days after the birth: use late birth registration.",
            field="child_birth_date",
        )  # fmt: skip
    validate_name(child_full_name, field="child_full_name")
    if not Commune.objects.filter(code=child_birth_commune, era=Era.CURRENT).exists():
        raise DomainError("commune_unknown", "No current commune with this code.", field="child_birth_commune")
    folded = fold_name(child_full_name)
    spec = next(a for a in procedures[BIRTH].attachments if a["code"] == "birth_certificate")
    if birth_certificate is None:
        raise DomainError(
            "attachment_required", "Attach the hospital's birth certificate.", field="attachments.birth_certificate"
        )
    stored = attachments.check(birth_certificate, spec)
    if not 0 <= extract_copies <= 10:
        raise DomainError("copies_invalid", "Between 0 and 10 paper copies of the extract.", field="extract_copies")
    with transaction.atomic():
        return _declare_birth(
            account, group, procedures, stored, folded,
            child_full_name=child_full_name, child_sex=child_sex, child_birth_date=child_birth_date,
            child_birth_commune=child_birth_commune, requester_relationship=requester_relationship,
            other_parent_pin=other_parent_pin, extract_copies=extract_copies,
        )  # fmt: skip


def _declare_birth(
    account: Account,
    group: ProcedureGroup,
    procedures: dict[str, Procedure],
    stored: dict[str, Any],
    folded: str,
    *,
    child_full_name: str,
    child_sex: str,
    child_birth_date: date,
    child_birth_commune: str,
    requester_relationship: str,
    other_parent_pin: str | None,
    extract_copies: int,
) -> Case:
    me = Person.objects.select_related("household__commune").get(pk=account.person_id)
    expected = Sex.FEMALE if requester_relationship == "mother" else Sex.MALE
    if me.sex != expected or me.status != LifeStatus.LIVING:
        raise DomainError(
            "relationship_contradicts_registry", "The registry's data about you contradicts this relationship.",
            field="requester_relationship",
        )  # fmt: skip
    other = _parent(other_parent_pin, "other_parent_pin") if other_parent_pin else None
    if other is not None and other.sex == me.sex:
        raise DomainError(
            "other_parent_invalid", "The other parent has the same sex in the registry.", field="other_parent_pin"
        )
    mother, father = (me, other) if requester_relationship == "mother" else (other, me)
    parents = sorted(p.pk for p in (mother, father) if p is not None)
    if connection.features.has_select_for_update:  # SQLite: the transaction already holds the write lock
        list(Person.objects.select_for_update().filter(pk__in=parents).order_by("pk").values_list("pk", flat=True))
    if Person.objects.filter(
        Q(mother_id__in=parents) | Q(father_id__in=parents), birth_date=child_birth_date, name_folded=folded
    ).exists():
        raise DomainError("birth_already_registered", "This child's birth is already registered.")
    for pending in Case.objects.filter(
        group=group, finished_on__isnull=True, data__child_birth_date=child_birth_date.isoformat(),
        data__child_name_folded=folded,
    ):  # fmt: skip
        if set(pending.data.get("parent_ids", [])) & set(parents):
            raise DomainError("birth_already_declared", "This birth has already been declared and is being processed.")
    home = me if me.household_id else other if (other and other.household_id) else None
    if home is None:
        raise DomainError(
            "parent_household_required", "Neither parent has a permanent residence to register the child in.",
        )  # fmt: skip

    now = timezone.now()
    days = group.deadline_days or 3
    case = Case.objects.create(
        number=next_number("LT"),
        group=group,
        applicant=account,
        received_at=now,
        due_on=workdays.due_date(now, days),
        data={
            "child_birth_date": child_birth_date.isoformat(),
            "child_name_folded": folded,
            "parent_ids": parents,
        },
    )
    household = home.household
    assert household is not None
    registration_commune = household.commune.code
    child = {
        "child_full_name": child_full_name.strip(),
        "child_sex": child_sex,
        "child_birth_date": child_birth_date.isoformat(),
        "child_birth_commune": child_birth_commune,
        "mother_pin": mother.pin if mother else None,
        "father_pin": father.pin if father else None,
        "requester_relationship": requester_relationship,
    }
    members = {m["procedure"]: m for m in group.members}
    numbers = next_numbers("HS", 3)
    birth = new_dossier(case, procedures[BIRTH], members[BIRTH], registration_commune, child, numbers[0])
    residence = new_dossier(
        case, procedures[RESIDENCE], members[RESIDENCE], household.commune.code,
        {"household_number": household.number, "relationship": Relationship.CHILD, "commune": household.commune.code},
        numbers[1],
    )  # fmt: skip
    insurance = new_dossier(case, procedures[INSURANCE], members[INSURANCE], registration_commune, {}, numbers[2])
    if extract_copies:
        birth.data = {**birth.data, "extract_copies": extract_copies}
        transitions: list[Transition] = []
    else:  # submitted and received at once, before the insert: one INSERT for the dossiers, one for the transitions
        transitions, _ = steps(birth, receiving(case), at=now)
    Dossier.objects.bulk_create([birth, residence, insurance])  # insurance waits: nothing more to write for it
    Transition.objects.bulk_create(transitions)
    Attachment.objects.create(dossier=birth, **stored)
    reuses = [
        Reuse(
            dossier=birth, source="registry.person", reference=str(person.pk),
            fields=[f"{role}.full_name", f"{role}.birth_date", f"{role}.ethnicity", f"{role}.nationality",
                    f"{role}.residence"],
        )
        for person, role in ((mother, "mother"), (father, "father"))
        if person is not None
    ]  # fmt: skip
    reuses.append(
        Reuse(dossier=residence, source="registry.household", reference=household.number, fields=["household"])
    )
    Reuse.objects.bulk_create(reuses)
    if extract_copies:
        fee = gettext_noop("Fee for %(copies)s copies of the birth extract (%(number)s)")
        parts = [[fee, {"copies": extract_copies, "number": case.number}]]
        description = render_notice(parts, settings.LANGUAGE_CODE)
        payments.start(
            case, amount_vnd=EXTRACT_COPY_FEE_VND * extract_copies, description=description, description_parts=parts
        )
        return case  # received once the payment's callback lands (payment_received)
    _notify_received(case)
    return case


#: Fee for a copy of a civil-status extract (Circular 281/2016/TT-BTC): the birth group itself is free online.
EXTRACT_COPY_FEE_VND = 8_000


def _notify_received(case: Case) -> None:
    notify(
        case.applicant,
        "Linked case %(number)s was received; results are due on %(due)s.",
        {"number": case.number, "due": f"{case.due_on:%d/%m/%Y}"},
        case=case,
    )


def _receive(case: Case, first: Dossier) -> None:
    """Submit and receive the case's first dossier once its fee is paid; the case's clock starts now."""
    now = timezone.now()
    move_through(first, receiving(case), at=now)
    case.received_at = now
    case.due_on = workdays.due_date(now, case.group.deadline_days or 3)
    case.save(update_fields=["received_at", "due_on"])
    _notify_received(case)


def payment_received(case: Case) -> None:
    """The fee is paid: the first dossier of the case is submitted and received (inside the payment's transaction:
    see :func:`on_payment_settled`)."""
    first_code = next(m["procedure"] for m in case.group.members if not m.get("after"))
    first = Dossier.objects.select_for_update().select_related("procedure").get(case=case, procedure__code=first_code)
    if first.status == Status.DRAFT:
        _receive(case, first)


def _commune_name(code: str) -> str:
    commune = Commune.objects.select_related("province").filter(code=code, era=Era.CURRENT).first()
    return f"{commune.name}, {commune.province.name}" if commune else code


def _name_of(pin: str | None) -> str:
    return Person.objects.filter(pin=pin).values_list("full_name", flat=True).first() or "" if pin else ""


@transaction.atomic
def approve_birth(dossier_id: object, *, official: str) -> Dossier:
    """The commune civil-status officer registers the birth: the child gets a PIN; the electronic birth extract is
    the result. The downstream dossiers start from the birth's event (procedures/consumers.py)."""
    dossier = locked(dossier_id)
    check_agency(dossier, BIRTH)
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    data = dossier.data
    child = registry.register_birth(
        full_name=data["child_full_name"],
        sex=data["child_sex"],
        birth_date=data["child_birth_date"],
        birth_commune=data["child_birth_commune"],
        registration_commune=dossier.commune,
        mother_pin=data.get("mother_pin"),
        father_pin=data.get("father_pin"),
        actor=official,
        source=f"dossier:{dossier.number}",
    )
    document = results.issue(
        dossier, kind="birth-extract", title="Trích lục khai sinh / Birth extract", subject_id=child.pk,
        data={
            "full_name": child.full_name, "pin": child.pin, "birth_date": child.birth_date.isoformat(),
            "sex": child.get_sex_display(), "birth_place": _commune_name(data["child_birth_commune"]),
            "mother": _name_of(data.get("mother_pin")), "father": _name_of(data.get("father_pin")),
        },
    )  # fmt: skip
    return result_issued(
        dossier,
        official,
        {"pin": child.pin, "person_id": child.pk, "document": str(document.id)},
        gettext_noop("Birth registered. The child's personal ID number: %(pin)s."),
        {"pin": child.pin},
        starts_downstream=True,
    )


@transaction.atomic
def approve_residence(dossier_id: object, *, official: str) -> Dossier:
    """The police register the child's permanent residence in the parent's household."""
    dossier = locked(dossier_id)
    check_agency(dossier, RESIDENCE)
    child = issued_upstream(dossier, BIRTH).result
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    registry.register_permanent_residence(
        pin=child["pin"],
        commune=dossier.data["commune"],
        address_line="",
        valid_from=timezone.localdate(),
        household_number=dossier.data["household_number"],
        relationship=dossier.data.get("relationship", Relationship.CHILD),
        actor=official,
        source=f"dossier:{dossier.number}",
    )
    Reuse.objects.create(dossier=dossier, source=f"result:{BIRTH}", reference=child["pin"], fields=["child.pin"])
    person = Person.objects.select_related("household__commune__province").get(pin=child["pin"])
    household = person.household
    document = results.issue(
        dossier, kind="residence-confirmation", title="Xác nhận thông tin về cư trú / Residence confirmation",
        subject_id=person.pk,
        data={
            "full_name": person.full_name, "pin": person.pin, "household_number": dossier.data["household_number"],
            "address": ", ".join(p for p in (household.address_line, household.commune.name,
                                             household.commune.province.name) if p) if household else "",
        },
    )  # fmt: skip
    return result_issued(
        dossier,
        official,
        {"household_number": dossier.data["household_number"], "document": str(document.id)},
        gettext_noop("The child's permanent residence is registered."),
        starts_downstream=False,
    )


def on_payment_settled(sender: type[Payment], *, payment: Payment, **kwargs: Any) -> None:
    """Receiver of ``payments.payment_settled`` (connected in ``ProceduresConfig.ready``): a paid declaration fee
    lets the case's first dossier be received, in the same transaction as the payment."""
    if payment.case is not None:
        payment_received(payment.case)
