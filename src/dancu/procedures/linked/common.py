"""What the linked groups share: a case's dossiers, notices to the citizen, the end of an officer's decision, and
refusal, which never leaves a case hanging (Decree 63/2024/NĐ-CP)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from dancu.accounts.models import Account
from dancu.accounts.services import send_notice
from dancu.core.errors import DomainError
from dancu.core.money import format_vnd
from dancu.procedures import payments
from dancu.procedures.consumers import follow
from dancu.procedures.models import Case, Dossier, Notification, Payment, PaymentStatus, Procedure, Status
from dancu.procedures.workflow import FINISHED, Step, locked, move, next_number


def notify(account: Account, text: str, *, dossier: Dossier | None = None, case: Case | None = None) -> None:
    """In the portal, and by SMS and e-mail as the holder chose (through the outbox, after the commit)."""
    Notification.objects.create(account=account, dossier=dossier, case=case, text=text)
    number = case.number if case is not None else dossier.number if dossier is not None else ""
    send_notice(account, text, subject=f"dancu: hồ sơ {number} / case {number}" if number else "")


def new_dossier(
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


def receiving(case: Case) -> list[Step]:
    """The moves of a declaration's first dossier: submitted by the citizen, received by the system."""
    return [(Status.SUBMITTED, str(case.applicant_id), "citizen"), (Status.RECEIVED, "system", "system")]


def check_agency(dossier: Dossier, code: str) -> None:
    if dossier.procedure.code != code:
        raise DomainError("wrong_procedure", f"This decision is for {code} dossiers.", status=409)


def result_issued(
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
        maybe_finish(dossier.case)
    return dossier


def issued_upstream(dossier: Dossier, code: str) -> Dossier:
    """The case's dossier ``code`` whose result this one builds on; refused until that result is issued."""
    upstream = Dossier.objects.filter(case=dossier.case, procedure__code=code).first()
    if upstream is None or upstream.status != Status.RESULT_ISSUED:
        raise DomainError("upstream_not_done", f"The {code} result is not issued yet.", status=409)
    return upstream


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
            text += f" Đã hoàn {format_vnd(paid.amount_vnd)} phí đã nộp."
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
        maybe_finish(dossier.case)
    notify(dossier.applicant, text, dossier=dossier)
    return dossier


def maybe_finish(case: Case | None) -> None:
    if case is None or case.finished_on is not None:
        return
    statuses = set(Dossier.objects.filter(case=case).values_list("status", flat=True))
    if statuses <= FINISHED:
        case.finished_on = timezone.localdate()
        case.save(update_fields=["finished_on"])
