"""Known activity in Phường Ba Đình (Hà Nội) through the real services, for the roll-ups and indicators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from tests import factories

COMMUNE = factories.HANOI_BA_DINH


@dataclass
class Activity:
    ledger: Path
    today: dt.date
    people: int  #: living people with a household in COMMUNE
    linked_days: list[int]


def _dossier(applicant: Any, procedure: Any, *, online: bool) -> Any:
    from dancu.procedures import workflow
    from dancu.procedures.models import Dossier, Status

    dossier = Dossier.objects.create(
        number=workflow.next_number("HS"), procedure=procedure, applicant=applicant, commune=COMMUNE
    )
    who = (str(applicant.pk), "citizen") if online else ("canbo", "official")
    workflow.move_through(dossier, [(Status.SUBMITTED, *who), (Status.RECEIVED, "system", "system")])
    return dossier


def build_activity(ledger: Path) -> Activity:
    """Three dossiers (two online, one at the counter), a payment, a re-use, an electronic result; accounts with
    sign-ins; a card; two births (one within 60 days, one after a year); three linked cases; gateway calls."""
    from dancu.accounts.services.context import record
    from dancu.cards.services import issue_card
    from dancu.gateway.ledger import Ledger, LedgerEntry
    from dancu.procedures import workflow
    from dancu.procedures.models import (
        Case,
        Document,
        Payment,
        Procedure,
        ProcedureGroup,
        Reuse,
        Status,
    )  # fmt: skip
    from dancu.registry.services import register_birth

    today = timezone.localdate()
    people = [factories.person(sex=sex, residence=COMMUNE) for sex in "MFM"]
    applicant = factories.account(people[0])
    second = factories.account(people[1])
    with_fee = Procedure.objects.filter(fee_vnd__gt=0).first()
    free = Procedure.objects.filter(fee_vnd=0, fee_online_vnd=0).first()
    assert with_fee is not None and free is not None

    paid = _dossier(applicant, with_fee, online=True)
    Payment.objects.create(dossier=paid, account=applicant, amount_vnd=10000, description="lệ phí", provider="sim",
                           status="paid", paid_at=timezone.now())  # fmt: skip
    Reuse.objects.create(dossier=paid, source="registry.person", reference="1", fields=["full_name"])
    workflow.move(paid, Status.APPROVED, actor="canbo", actor_kind="official")
    Document.objects.create(kind="residence-confirmation", title="Xác nhận", issuer=with_fee.agency, owner=applicant,
                            dossier=paid, data={}, issued_at=timezone.now(), token="x")  # fmt: skip
    workflow.move(paid, Status.RESULT_ISSUED, actor="canbo", actor_kind="official")
    refused = _dossier(applicant, free, online=False)
    workflow.move(refused, Status.REJECTED, actor="canbo", actor_kind="official", reason="thiếu giấy tờ")
    _dossier(second, with_fee, online=True)  # received, fee not paid yet

    record(applicant, "registered")
    record(second, "registered")
    record(second, "level2_activated")
    for _ in range(3):
        record(applicant, "signed_in")
    record(applicant, "sign_in_failed")  # not a sign-in

    issue_card(pin=people[2].pin, issued_on=today, actor="test")
    mother = people[1]
    register_birth(full_name="Vũ Minh An", sex="M", birth_date=today - dt.timedelta(days=10), birth_commune=COMMUNE,
                   mother_pin=mother.pin, actor="test")  # fmt: skip
    register_birth(full_name="Vũ Minh Châu", sex="F", birth_date=today - dt.timedelta(days=400),
                   birth_commune=COMMUNE, mother_pin=mother.pin, actor="test")  # fmt: skip

    from dancu.core import workdays

    group = ProcedureGroup.objects.first()
    assert group is not None
    received = timezone.now() - dt.timedelta(days=60)
    start = workdays.receipt_day(received)
    linked_days = [3, 10, 25]
    for days in linked_days:
        case = Case.objects.create(number=workflow.next_number("LT"), group=group, applicant=applicant,
                                   received_at=received, due_on=today,
                                   finished_on=workdays.add_working_days(start, days))  # fmt: skip
        dossier = _dossier(applicant, free, online=True)
        dossier.case = case
        dossier.save(update_fields=["case"])

    factories.connected_system("bank-insights", kind="bank")
    writer = Ledger(ledger, signing_key=None)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    entries = [LedgerEntry(now, "bank-insights", "kyc", "verify", "a1" * 16, ("full_name",), "ok", f"r{i}")
               for i in range(3)]  # fmt: skip
    entries.append(
        LedgerEntry(now, "bank-insights", "kyc", "lookup", "a1" * 16, (), "refused:purpose_not_granted", "r9")
    )
    entries.append(LedgerEntry(now, "bank-insights", "", "token", "", (), "ok", "r10"))
    writer.append_batch(entries)
    writer.close()
    # People with a household here: the three above (the new-born children have none yet).
    return Activity(ledger=ledger, today=today, people=3, linked_days=linked_days)
