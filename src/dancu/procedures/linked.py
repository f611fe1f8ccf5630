"""The linked birth group: one declaration, three dossiers at three agencies (Decree 63/2024/NĐ-CP).

The commune civil-status office registers the birth (``register_birth`` issues the child's PIN); the police register
the child's permanent residence in a parent's household; social insurance issues the under-6 health-insurance card.
The downstream dossiers wait, and start by themselves when the birth's event reaches the event log (``follow``).
If an agency rejects, the citizen is told what to fix; dossiers that cannot go on without it are cancelled with the
reason, the others carry on.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dancu.accounts.models import Account
from dancu.accounts.services import send_notice
from dancu.core import workdays
from dancu.core.errors import DomainError
from dancu.core.names import fold_name, validate_name
from dancu.events.services import EventRecord, consume
from dancu.geo.models import Commune, Era
from dancu.procedures import attachments, payments, results
from dancu.procedures.models import (
    Attachment,
    Case,
    Dossier,
    HealthInsuranceCard,
    Notification,
    Payment,
    PaymentStatus,
    Procedure,
    ProcedureGroup,
    Reuse,
    Status,
    Transition,
)
from dancu.procedures.workflow import FINISHED, Step, locked, move, move_through, next_number, next_numbers, steps
from dancu.registry import rules as registry_rules
from dancu.registry import services as registry
from dancu.registry.choices import LifeStatus, Relationship, Sex
from dancu.registry.models import Person

BIRTH_GROUP = "birth-group"
BIRTH = "birth-registration"
RESIDENCE = "permanent-residence-registration"
INSURANCE = "health-insurance-under-6"
#: Births are registered within 60 days (Law on Civil Status 2014 art. 15); later is late registration.
BIRTH_REGISTRATION_DAYS = 60
CONSUMER = "services-linked"


def _parent(pin: str, field: str) -> Person:
    person = Person.objects.filter(pin=pin).select_related("household__commune").first()
    if person is None:
        raise DomainError("parent_not_in_registry", "This parent is not in the population database.", field=field)
    return person


def notify(account: Account, text: str, *, dossier: Dossier | None = None, case: Case | None = None) -> None:
    """In the portal, and by SMS and e-mail as the holder chose (through the outbox, after the commit)."""
    Notification.objects.create(account=account, dossier=dossier, case=case, text=text)
    number = case.number if case is not None else dossier.number if dossier is not None else ""
    send_notice(account, text, subject=f"dancu: hồ sơ {number} / case {number}" if number else "")


def _dossier(
    case: Case, procedure: Procedure, member: dict[str, Any], commune: str, data: dict[str, Any], number: str = ""
) -> Dossier:
    """A new dossier of the case, not yet saved (the case's dossiers are inserted together)."""
    data = dict(data)
    if "deadline_days" in member:
        data["_deadline_days"] = member["deadline_days"]
    if "deadline_days_verification" in member:
        data["_deadline_days_verification"] = member["deadline_days_verification"]
    return Dossier(
        number=number or next_number("HS"),
        procedure=procedure,
        case=case,
        applicant=case.applicant,
        commune=commune,
        status=Status.WAITING if member.get("after") else Status.DRAFT,
        data=data,
    )


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
    birth = _dossier(case, procedures[BIRTH], members[BIRTH], registration_commune, child, numbers[0])
    residence = _dossier(
        case, procedures[RESIDENCE], members[RESIDENCE], household.commune.code,
        {"household_number": household.number, "relationship": Relationship.CHILD, "commune": household.commune.code},
        numbers[1],
    )  # fmt: skip
    insurance = _dossier(case, procedures[INSURANCE], members[INSURANCE], registration_commune, {}, numbers[2])
    if extract_copies:
        birth.data = {**birth.data, "extract_copies": extract_copies}
        transitions: list[Transition] = []
    else:  # submitted and received at once, before the insert: one INSERT for the dossiers, one for the transitions
        transitions, _ = steps(birth, _receiving(case), at=now)
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
        payments.start(
            case, amount_vnd=EXTRACT_COPY_FEE_VND * extract_copies,
            description=f"Phí cấp {extract_copies} bản sao trích lục khai sinh ({case.number})",
        )  # fmt: skip
        return case  # received once the payment's callback lands (payment_received)
    _notify_received(case)
    return case


#: Fee for a copy of a civil-status extract (Circular 281/2016/TT-BTC): the birth group itself is free online.
EXTRACT_COPY_FEE_VND = 8_000


def _receiving(case: Case) -> list[Step]:
    """The moves of a declaration's first dossier: submitted by the citizen, received by the system."""
    return [(Status.SUBMITTED, str(case.applicant_id), "citizen"), (Status.RECEIVED, "system", "system")]


def _notify_received(case: Case) -> None:
    notify(
        case.applicant,
        f"Hồ sơ liên thông {case.number} đã được tiếp nhận; hẹn trả kết quả ngày {case.due_on:%d/%m/%Y}. "
        f"Case {case.number} received, due {case.due_on:%d/%m/%Y}.",
        case=case,
    )


def _receive(case: Case, first: Dossier) -> None:
    """Submit and receive the case's first dossier once its fee is paid; the case's clock starts now."""
    now = timezone.now()
    move_through(first, _receiving(case), at=now)
    case.received_at = now
    case.due_on = workdays.due_date(now, case.group.deadline_days or 3)
    case.save(update_fields=["received_at", "due_on"])
    _notify_received(case)


def payment_received(case: Case) -> None:
    """The fee is paid: the first dossier of the case is submitted and received (called by payments.handle_callback
    inside its transaction)."""
    first_code = next(m["procedure"] for m in case.group.members if not m.get("after"))
    first = Dossier.objects.select_for_update().select_related("procedure").get(case=case, procedure__code=first_code)
    if first.status == Status.DRAFT:
        _receive(case, first)


# --- officers' decisions ---------------------------------------------------------------------------------------------


def _commune_name(code: str) -> str:
    commune = Commune.objects.select_related("province").filter(code=code, era=Era.CURRENT).first()
    return f"{commune.name}, {commune.province.name}" if commune else code


def _name_of(pin: str | None) -> str:
    return Person.objects.filter(pin=pin).values_list("full_name", flat=True).first() or "" if pin else ""


def _check_agency(dossier: Dossier, code: str) -> None:
    if dossier.procedure.code != code:
        raise DomainError("wrong_procedure", f"This decision is for {code} dossiers.", status=409)


@transaction.atomic
def approve_birth(dossier_id: object, *, official: str) -> Dossier:
    """The commune civil-status officer registers the birth: the child gets a PIN; the electronic birth extract is
    the result. The downstream dossiers start from the birth's event (see :func:`follow`)."""
    dossier = locked(dossier_id)
    _check_agency(dossier, BIRTH)
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
    return _result_issued(
        dossier,
        official,
        {"pin": child.pin, "person_id": child.pk, "document": str(document.id)},
        f"Đã đăng ký khai sinh, số định danh của trẻ: {child.pin}. Birth registered.",
        starts_downstream=True,
    )


def _result_issued(
    dossier: Dossier, official: str, result: dict[str, Any], message: str, *, starts_downstream: bool
) -> Dossier:
    """The common end of a decision: the result recorded, the dossier issued, the citizen told; then either the
    dossiers waiting for this result start (through the event log, after commit) or the case may be finished."""
    dossier.result = result
    dossier.save(update_fields=["result"])
    move(dossier, Status.RESULT_ISSUED, actor=official, actor_kind="official")
    notify(dossier.applicant, message, dossier=dossier)
    if starts_downstream:
        transaction.on_commit(follow)
    else:
        _maybe_finish(dossier.case)
    return dossier


def _upstream(dossier: Dossier, code: str) -> Dossier:
    """The case's dossier ``code`` whose result this one builds on; refused until that result is issued."""
    upstream = Dossier.objects.filter(case=dossier.case, procedure__code=code).first()
    if upstream is None or upstream.status != Status.RESULT_ISSUED:
        raise DomainError("upstream_not_done", f"The {code} result is not issued yet.", status=409)
    return upstream


@transaction.atomic
def approve_residence(dossier_id: object, *, official: str) -> Dossier:
    """The police register the child's permanent residence in the parent's household."""
    dossier = locked(dossier_id)
    _check_agency(dossier, RESIDENCE)
    child = _upstream(dossier, BIRTH).result
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
    return _result_issued(
        dossier,
        official,
        {"household_number": dossier.data["household_number"], "document": str(document.id)},
        "Đã đăng ký thường trú cho trẻ. The child's permanent residence is registered.",
        starts_downstream=False,
    )


@transaction.atomic
def approve_insurance(dossier_id: object, *, official: str) -> Dossier:
    """Social insurance issues the under-6 health-insurance card (valid until the day before the 6th birthday)."""
    dossier = locked(dossier_id)
    _check_agency(dossier, INSURANCE)
    child_ref = _upstream(dossier, BIRTH).result
    child = Person.objects.get(pk=child_ref["person_id"])
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    province = child.pin[1:3]
    rng = random.SystemRandom()
    while True:
        social = f"{province}{rng.randrange(10**8):08d}"
        if not HealthInsuranceCard.objects.filter(social_insurance_number=social).exists():
            break
    sixth = child.birth_date.replace(year=child.birth_date.year + 6) if not (
        child.birth_date.month == 2 and child.birth_date.day == 29
    ) else date(child.birth_date.year + 6, 3, 1)  # fmt: skip
    card = HealthInsuranceCard.objects.create(
        number=f"TE1{province}{social}",
        social_insurance_number=social,
        person=child,
        valid_from=child.birth_date,
        valid_to=sixth - timedelta(days=1),
        dossier=dossier,
    )
    Reuse.objects.create(dossier=dossier, source=f"result:{BIRTH}", reference=child.pin, fields=["child"])
    document = results.issue(
        dossier, kind="health-insurance-card", title="Thẻ bảo hiểm y tế / Health-insurance card", subject_id=child.pk,
        data={
            "full_name": child.full_name, "pin": child.pin, "card_number": card.number,
            "valid_from": card.valid_from.isoformat(), "valid_to": card.valid_to.isoformat(),
        },
    )  # fmt: skip
    return _result_issued(
        dossier,
        official,
        {"card_number": card.number, "valid_to": card.valid_to.isoformat(), "document": str(document.id)},
        f"Đã cấp thẻ BHYT cho trẻ: {card.number}. Health-insurance card issued.",
        starts_downstream=False,
    )


@transaction.atomic
def reject(dossier_id: object, *, official: str, reason: str) -> Dossier:
    """Refuse with a reason the citizen reads. Dossiers waiting for this one's result are cancelled with the same
    explanation (never left hanging); the others go on."""
    if not reason.strip():
        raise DomainError("reason_required", "Give the reason for the refusal.", field="reason")
    dossier = locked(dossier_id)
    move(dossier, Status.REJECTED, actor=official, actor_kind="official", reason=reason)
    text = f"Hồ sơ {dossier.number} ({dossier.procedure.name_vi}) bị từ chối: {reason}"
    first_of_case = dossier.case is not None and any(
        m["procedure"] == dossier.procedure.code and not m.get("after") for m in dossier.case.group.members
    )
    if first_of_case:  # the fee paid for the declaration: refunded, the procedure was not performed
        for paid in Payment.objects.select_for_update().filter(case=dossier.case, status=PaymentStatus.PAID):
            payments.refund(paid, reason)
            text += f" Đã hoàn {paid.amount_vnd:,} đồng phí đã nộp."
    if dossier.case is not None:
        group = dossier.case.group
        downstream = [m["procedure"] for m in group.members if m.get("after") == dossier.procedure.code]
        for waiting in Dossier.objects.select_for_update().filter(
            case=dossier.case, procedure__code__in=downstream, status=Status.WAITING
        ):
            move(
                waiting, Status.CANCELLED, actor="system", actor_kind="system",
                reason=f"{dossier.procedure.name_vi} bị từ chối: {reason}",
            )  # fmt: skip
        if downstream:
            text += ". Các thủ tục liên thông phụ thuộc đã dừng; sửa thông tin và nộp lại tờ khai."
        _maybe_finish(dossier.case)
    notify(dossier.applicant, text, dossier=dossier)
    return dossier


def _maybe_finish(case: Case | None) -> None:
    if case is None or case.finished_on is not None:
        return
    statuses = set(Dossier.objects.filter(case=case).values_list("status", flat=True))
    if statuses <= FINISHED:
        case.finished_on = timezone.localdate()
        case.save(update_fields=["finished_on"])


# --- the event-log consumer that starts downstream dossiers ---------------------------------------------------------


def _start_downstream(event: EventRecord) -> None:
    if event.type == registry_rules.DEATH_RECORDED:
        _close_for_death(event)
    if event.type not in (registry_rules.BIRTH_REGISTERED, registry_rules.DEATH_RECORDED):
        return
    if not event.source.startswith("dossier:"):
        return
    upstream = Dossier.objects.filter(number=event.source.removeprefix("dossier:")).select_related("case").first()
    if upstream is None or upstream.case is None:
        return
    group = upstream.case.group
    after = [m["procedure"] for m in group.members if m.get("after") == upstream.procedure.code]
    for dossier in (
        Dossier.objects.select_for_update()
        .select_related("procedure")
        .filter(case=upstream.case, procedure__code__in=after, status=Status.WAITING)
    ):
        move(dossier, Status.RECEIVED, actor="system", actor_kind="system", reason=f"result of {upstream.number}")


def _close_for_death(event: EventRecord) -> None:
    """Whatever recorded the death (a dossier, an import, an official), the deceased's cards are cancelled and their
    e-ID account closed, through the event."""
    from dancu.accounts.services import close_for_death
    from dancu.cards.services import cancel_cards

    close_for_death(event.pin)
    cancel_cards(pin=event.pin, reason="death", actor="system", source=f"event:{event.event_id}")


def follow() -> int:
    """Apply new events to the linked groups (idempotent, from this consumer's offset); returns how many were read."""
    return consume(CONSUMER, _start_downstream)


# --- the linked death group ------------------------------------------------------------------------------------------

DEATH_GROUP = "death-group"
DEATH = "death-registration"
REMOVAL = "permanent-residence-removal"
FUNERAL = "funeral-allowance"
SURVIVOR = "survivor-benefit"
#: Base salary (mức lương cơ sở) from 1 July 2024: the funeral allowance is 10 times it.
BASE_SALARY_VND = 2_340_000
FUNERAL_MIN_MONTHS = 12
MONTHLY_SURVIVOR_MIN_MONTHS = 180


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
        raise DomainError("death_already_declared", f"This death was already declared ({pending.number}).")
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
            dossiers[code] = _dossier(case, procedures_by_code[code], member, commune, extra[code])
    Dossier.objects.bulk_create(dossiers.values())
    Attachment.objects.create(dossier=dossiers[DEATH], **stored)
    Reuse.objects.create(
        dossier=dossiers[DEATH], source="registry.person", reference=str(deceased.pk),
        fields=["deceased.full_name", "deceased.birth_date", "deceased.residence"],
    )  # fmt: skip
    move_through(dossiers[DEATH], _receiving(case), at=now)
    notify(
        account, f"Hồ sơ liên thông {case.number} đã được tiếp nhận; hẹn trả ngày {case.due_on:%d/%m/%Y}.", case=case
    )
    return case


@transaction.atomic
def approve_death(dossier_id: object, *, official: str) -> Dossier:
    dossier = locked(dossier_id)
    _check_agency(dossier, DEATH)
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
    return _result_issued(
        dossier,
        official,
        {"pin": deceased.pin, "document": str(document.id)},
        "Đã đăng ký khai tử. Death registered.",
        starts_downstream=True,
    )


@transaction.atomic
def approve_removal(dossier_id: object, *, official: str) -> Dossier:
    dossier = locked(dossier_id)
    _check_agency(dossier, REMOVAL)
    death = _upstream(dossier, DEATH).data
    # Approved and issued at once (the removal is its own result; the transaction undoes both if the registry refuses).
    move_through(dossier, [(Status.APPROVED, official, "official"), (Status.RESULT_ISSUED, official, "official")])
    registry.remove_permanent_residence(
        pin=dossier.data["deceased_pin"], valid_to=death["death_date"], reason="death", actor=official,
        source=f"dossier:{dossier.number}",
    )  # fmt: skip
    notify(dossier.applicant, "Đã xóa đăng ký thường trú. Permanent residence removed.", dossier=dossier)
    _maybe_finish(dossier.case)
    return dossier


def contribution_months(person: Person) -> int:
    """Months of contributions from the (synthetic) social-insurance data; created deterministically on first use."""
    import hashlib

    from dancu.procedures.models import Contributions

    row = Contributions.objects.filter(person=person).first()
    if row is None:
        digest = int(hashlib.sha256(f"contributions:{person.pin}".encode()).hexdigest(), 16)
        months = 0 if digest % 5 == 0 else digest % 420  # one in five never contributed
        row = Contributions.objects.create(person=person, months=months)
    return row.months


@transaction.atomic
def decide_funeral_allowance(dossier_id: object, *, official: str) -> Dossier:
    """Approve (10 x base salary) when the deceased contributed at least 12 months; otherwise reject with the reason."""
    dossier = locked(dossier_id)
    _check_agency(dossier, FUNERAL)
    _upstream(dossier, DEATH)
    person = Person.objects.get(pin=dossier.data["deceased_pin"])
    months = contribution_months(person)
    Reuse.objects.create(
        dossier=dossier, source="social_insurance.contributions", reference=str(person.pk), fields=["months"]
    )
    if months < FUNERAL_MIN_MONTHS:
        return reject(
            dossier.pk, official=official, reason=f"Chỉ có {months} tháng đóng BHXH bắt buộc (cần ít nhất 12)."
        )
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    document = results.issue(
        dossier, kind="funeral-allowance", title="Quyết định trợ cấp mai táng / Funeral allowance",
        subject_id=person.pk,
        data={"full_name": person.full_name, "pin": person.pin, "amount_vnd": f"{10 * BASE_SALARY_VND:,}",
              "contribution_months": months},
    )  # fmt: skip
    return _result_issued(
        dossier,
        official,
        {"amount_vnd": 10 * BASE_SALARY_VND, "contribution_months": months, "document": str(document.id)},
        f"Trợ cấp mai táng {10 * BASE_SALARY_VND:,} đồng đã được duyệt.",
        starts_downstream=False,
    )


@transaction.atomic
def decide_survivor_benefit(dossier_id: object, *, official: str) -> Dossier:
    """Monthly survivor benefit from 15 years (180 months) of contributions, a lump sum otherwise."""
    dossier = locked(dossier_id)
    _check_agency(dossier, SURVIVOR)
    _upstream(dossier, DEATH)
    person = Person.objects.get(pin=dossier.data["deceased_pin"])
    months = contribution_months(person)
    Reuse.objects.create(
        dossier=dossier, source="social_insurance.contributions", reference=str(person.pk), fields=["months"]
    )
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    kind = "monthly" if months >= MONTHLY_SURVIVOR_MIN_MONTHS else "lump_sum"
    document = results.issue(
        dossier, kind="survivor-benefit", title="Quyết định trợ cấp tuất / Survivor benefit", subject_id=person.pk,
        data={"full_name": person.full_name, "pin": person.pin,
              "kind": "hằng tháng / monthly" if kind == "monthly" else "một lần / lump sum",
              "contribution_months": months},
    )  # fmt: skip
    return _result_issued(
        dossier,
        official,
        {"kind": kind, "contribution_months": months, "document": str(document.id)},
        f"Trợ cấp tuất đã được duyệt ({'hằng tháng' if kind == 'monthly' else 'một lần'}).",
        starts_downstream=False,
    )
