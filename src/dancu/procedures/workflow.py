"""A dossier's life: draft → submitted → received (appointment notice, due date) → in process → supplement
requested ⇄ resubmitted (the clock pauses) → approved / rejected → result issued. Linked dossiers wait for their
upstream result. Each transition checks that it is allowed, is recorded with its actor, and is visible to the citizen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dancu.core import workdays
from dancu.core.errors import DomainError
from dancu.procedures.models import Counter, Dossier, Status, Transition, render_notice

#: Allowed moves: from -> to.
MOVES: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED, Status.CANCELLED},
    Status.WAITING: {Status.RECEIVED, Status.CANCELLED},
    Status.SUBMITTED: {Status.RECEIVED, Status.REJECTED},
    Status.RECEIVED: {Status.IN_PROCESS, Status.SUPPLEMENT_REQUESTED, Status.APPROVED, Status.REJECTED},
    Status.IN_PROCESS: {Status.SUPPLEMENT_REQUESTED, Status.APPROVED, Status.REJECTED},
    Status.SUPPLEMENT_REQUESTED: {Status.RESUBMITTED, Status.CANCELLED},
    Status.RESUBMITTED: {Status.IN_PROCESS, Status.SUPPLEMENT_REQUESTED, Status.APPROVED, Status.REJECTED},
    Status.APPROVED: {Status.RESULT_ISSUED},
    Status.REJECTED: set(),
    Status.RESULT_ISSUED: set(),
    Status.CANCELLED: set(),
}
OPEN = {Status.SUBMITTED, Status.RECEIVED, Status.IN_PROCESS, Status.SUPPLEMENT_REQUESTED, Status.RESUBMITTED}
FINISHED = {Status.APPROVED, Status.REJECTED, Status.RESULT_ISSUED, Status.CANCELLED}


def next_numbers(prefix: str, count: int) -> list[str]:
    """``count`` dossier (``HS``) or case (``LT``) numbers: prefix, date, serial of the day (``HS.261123.000042``).
    The day's counter row is created or bumped by one upsert that returns the new value (the row stays locked until
    the transaction ends, on SQLite and PostgreSQL alike), so concurrent submissions never share a number."""
    stem = f"{prefix}.{timezone.localdate():%y%m%d}"
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "value") VALUES (%s, %s) '
            f'ON CONFLICT ("key") DO UPDATE SET "value" = {table}."value" + excluded."value" RETURNING "value"',
            [stem, count],
        )
        last = int(cursor.fetchone()[0])
    return [f"{stem}.{serial:06d}" for serial in range(last - count + 1, last + 1)]


def next_number(prefix: str) -> str:
    return next_numbers(prefix, 1)[0]


Step = tuple[str, str, str]
"""One move of a dossier: (new status, actor, actor kind)."""


def steps(
    dossier: Dossier, moves: list[Step], *, reason: str = "", at: datetime | None = None
) -> tuple[list[Transition], list[str]]:
    """Apply ``moves`` to the dossier in memory, each checked against :data:`MOVES`; returns the transitions to
    insert and the dossier's changed fields. :func:`move` saves them; a new dossier's first moves can be applied
    before it is inserted (one INSERT for the dossier, one for its transitions)."""
    now = at or timezone.now()
    transitions: list[Transition] = []
    fields: list[str] = ["status", "updated_at"]
    for to, actor, actor_kind in moves:
        if to not in MOVES[dossier.status]:
            raise DomainError(
                "transition_invalid",
                "A dossier in status '%(from)s' cannot become '%(to)s'.",
                status=409,
                params={"from": dossier.status, "to": to},
            )
        transition = Transition(dossier=dossier, from_status=dossier.status, to_status=to, reason=reason)
        transition.actor, transition.actor_kind = actor[:150], actor_kind
        transitions.append(transition)
        dossier.status = to
        if to == Status.RECEIVED:
            dossier.received_at = now
            procedure = dossier.procedure
            if dossier.verification:
                days = int(dossier.data.get("_deadline_days_verification", procedure.deadline_days_verification))
            else:
                days = int(dossier.data.get("_deadline_days", procedure.deadline_days))
            dossier.due_on = workdays.due_date(now, days)
            fields += ["received_at", "due_on"]
        elif to == Status.SUPPLEMENT_REQUESTED:
            dossier.paused_at = now
            fields.append("paused_at")
        elif to == Status.RESUBMITTED and dossier.paused_at is not None:
            paused = workdays.working_days_between(
                dossier.paused_at.astimezone(workdays.VIETNAM).date(), now.astimezone(workdays.VIETNAM).date()
            )
            dossier.paused_working_days += paused
            dossier.due_on = workdays.add_working_days(dossier.due_on, paused) if dossier.due_on else None
            dossier.paused_at = None
            fields += ["paused_working_days", "due_on", "paused_at"]
        if to in (Status.APPROVED, Status.REJECTED, Status.CANCELLED):
            dossier.finished_on = timezone.localdate()
            fields.append("finished_on")
    return transitions, list(dict.fromkeys(fields))


def move(
    dossier: Dossier, to: str, *, actor: str, actor_kind: str, reason: str = "", at: datetime | None = None
) -> Dossier:
    """Change the status if the move is allowed; records the transition. The caller holds the row lock."""
    return move_through(dossier, [(to, actor, actor_kind)], reason=reason, at=at)


def move_through(dossier: Dossier, moves: list[Step], *, reason: str = "", at: datetime | None = None) -> Dossier:
    """Several moves at once (e.g. submitted then received): one UPDATE, the transitions in one INSERT."""
    transitions, fields = steps(dossier, moves, reason=reason, at=at)
    Transition.objects.bulk_create(transitions)
    dossier.save(update_fields=fields)
    return dossier


def locked(dossier_id: object) -> Dossier:
    dossier = Dossier.objects.select_for_update().select_related("procedure").filter(pk=dossier_id).first()
    if dossier is None:
        raise DomainError("dossier_not_found", "No such dossier.", status=404)
    return dossier


@transaction.atomic
def start_processing(dossier_id: object, *, official: str) -> Dossier:
    return move(locked(dossier_id), Status.IN_PROCESS, actor=official, actor_kind="official")


@transaction.atomic
def request_supplement(dossier_id: object, *, official: str, reason: str) -> Dossier:
    if not reason.strip():
        raise DomainError("reason_required", "Say what the citizen must add or correct.", field="reason")
    return move(locked(dossier_id), Status.SUPPLEMENT_REQUESTED, actor=official, actor_kind="official", reason=reason)


def deadline_status(dossier: Dossier) -> str | None:
    if dossier.due_on is None:
        return None
    return workdays.deadline_status(dossier.due_on, timezone.localdate(), dossier.finished_on)


def resubmit(dossier_id: object, *, account_id: object, note: str, upload: Any = None) -> Dossier:
    """The citizen answers a supplement request: a note and, if asked, a corrected file; the clock restarts."""
    from dancu.procedures import attachments
    from dancu.procedures.models import Attachment

    with transaction.atomic():
        dossier = locked(dossier_id)
        if dossier.applicant_id != account_id:
            raise DomainError("dossier_not_found", "No such dossier.", status=404)
        if dossier.status != Status.SUPPLEMENT_REQUESTED:
            raise DomainError("transition_invalid", "No supplement was asked for this dossier.", status=409)
        if not note.strip() and upload is None:
            raise DomainError("supplement_empty", "Add a note or a corrected file.", field="note")
        if upload is not None:
            spec = next((a for a in dossier.procedure.attachments if a["code"] == upload.code), None)
            if spec is None:
                raise DomainError("attachment_unexpected", "This procedure does not take this file.", field="file")
            Attachment.objects.filter(dossier=dossier, code=upload.code).delete()
            Attachment.objects.create(dossier=dossier, **attachments.check(upload, spec))
        return move(
            dossier, Status.RESUBMITTED, actor=str(account_id), actor_kind="citizen", reason=note.strip()[:1000]
        )


def require_verification(dossier_id: object, *, official: str, reason: str) -> Dossier:
    """The officer needs to verify something (the longer legal deadline applies from receipt, for the dossier and
    its case)."""
    if not reason.strip():
        raise DomainError("reason_required", "Say what must be verified.", field="reason")
    with transaction.atomic():
        dossier = locked(dossier_id)
        if dossier.status not in OPEN or dossier.verification or dossier.received_at is None:
            raise DomainError(
                "transition_invalid", "Verification can be declared once, on an open dossier.", status=409
            )
        dossier.verification = True
        days = int(dossier.data.get("_deadline_days_verification", dossier.procedure.deadline_days_verification))
        dossier.due_on = workdays.add_working_days(
            workdays.due_date(dossier.received_at, days), dossier.paused_working_days
        )
        dossier.save(update_fields=["verification", "due_on", "updated_at"])
        because = [[gettext_noop("Needs verification: %(reason)s"), {"reason": reason.strip()[:900]}]]
        Transition.objects.create(
            dossier=dossier, from_status=dossier.status, to_status=dossier.status, actor=official[:150],
            actor_kind="official", reason=render_notice(because, settings.LANGUAGE_CODE),
        )  # fmt: skip
        case = dossier.case
        if case is not None and case.group.deadline_days_verification:
            case.due_on = max(case.due_on, workdays.due_date(case.received_at, case.group.deadline_days_verification))
            case.save(update_fields=["due_on"])
    return dossier
