"""The linked birth group at the service level: one declaration, three dossiers at three agencies, downstream
started through the event log, results in the registry; refusals with codes and nothing half-written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dancu.core import workdays
from dancu.core.errors import DomainError
from dancu.procedures import consumers, linked, workflow
from dancu.procedures.attachments import Upload
from dancu.procedures.models import Case, Dossier, HealthInsuranceCard, Notification, Reuse, Status
from dancu.registry.models import Person
from tests import factories

pytestmark = pytest.mark.django_db
PDF = factories.PDF


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


def test_one_declaration_three_results(family: dict[str, Any]) -> None:
    case = factories.birth_case(family["account"], family["father"])
    dossiers = factories.dossiers_by_procedure(case)
    birth, residence, insurance = dossiers[linked.BIRTH], dossiers[linked.RESIDENCE], dossiers[linked.INSURANCE]
    assert birth.status == Status.RECEIVED and birth.due_on is not None
    assert residence.status == insurance.status == Status.WAITING
    assert case.due_on == workdays.due_date(case.received_at, 3)
    # Once-only: the parents and the household came from the registry, and that is recorded.
    assert set(Reuse.objects.filter(dossier=birth).values_list("reference", flat=True)) == {
        str(family["mother"].pk),
        str(family["father"].pk),
    }
    assert birth.attachments.get().content_type == "application/pdf"

    linked.approve_birth(birth.pk, official="hotich")
    child = Person.objects.get(pin=Dossier.objects.get(pk=birth.pk).result["pin"])
    assert child.mother_id == family["mother"].pk and child.father_id == family["father"].pk
    # Downstream starts from the birth's event in the log, not from a direct call.
    assert Dossier.objects.get(pk=residence.pk).status == Status.WAITING
    assert consumers.follow() >= 1
    residence.refresh_from_db()
    insurance.refresh_from_db()
    assert residence.status == insurance.status == Status.RECEIVED
    assert residence.due_on == workdays.due_date(residence.received_at, 2)

    linked.approve_residence(residence.pk, official="cutru")
    child.refresh_from_db()
    assert child.household_id == family["mother"].household_id
    linked.approve_insurance(insurance.pk, official="bhxh")
    card = HealthInsuranceCard.objects.get(person=child)
    assert card.number.startswith("TE1") and len(card.number) == 15
    assert card.valid_to == child.birth_date.replace(year=child.birth_date.year + 6) - timedelta(days=1)
    case.refresh_from_db()
    assert case.finished_on == timezone.localdate()
    assert set(Dossier.objects.filter(case=case).values_list("status", flat=True)) == {Status.RESULT_ISSUED}
    steps = list(Dossier.objects.get(pk=birth.pk).transitions.values_list("to_status", "actor_kind"))
    assert steps == [("submitted", "citizen"), ("received", "system"), ("approved", "official"), ("issued", "official")]
    assert Notification.objects.filter(account=family["account"]).count() == 4


def test_a_rejected_birth_stops_the_others_and_says_why(family: dict[str, Any]) -> None:
    case = factories.birth_case(family["account"], family["father"])
    dossiers = factories.dossiers_by_procedure(case)
    people = Person.objects.count()
    linked.reject(dossiers[linked.BIRTH].pk, official="hotich", reason="Giấy chứng sinh không đọc được")
    statuses = {d.procedure.code: d.status for d in Dossier.objects.filter(case=case)}
    assert statuses == {linked.BIRTH: "rejected", linked.RESIDENCE: "cancelled", linked.INSURANCE: "cancelled"}
    assert Person.objects.count() == people
    assert "không đọc được" in Notification.objects.filter(account=family["account"]).first().text
    case.refresh_from_db()
    assert case.finished_on is not None
    # The citizen can declare again after fixing it.
    assert factories.birth_case(family["account"], family["father"]).pk != case.pk


def test_the_clock_pauses_while_a_supplement_is_awaited(family: dict[str, Any]) -> None:
    birth = factories.dossiers_by_procedure(factories.birth_case(family["account"], family["father"]))[linked.BIRTH]
    due = birth.due_on
    workflow.request_supplement(birth.pk, official="hotich", reason="Bổ sung giấy chứng sinh bản rõ nét")
    dossier = Dossier.objects.get(pk=birth.pk)
    dossier.paused_at = timezone.now() - timedelta(days=7)  # a week ago
    dossier.save()
    with pytest.raises(DomainError) as refused:
        linked.approve_birth(birth.pk, official="hotich")
    assert refused.value.code == "transition_invalid"
    from django.db import transaction

    with transaction.atomic():
        workflow.move(workflow.locked(birth.pk), Status.RESUBMITTED, actor="citizen", actor_kind="citizen")
    dossier.refresh_from_db()
    assert dossier.paused_working_days >= 4
    assert dossier.due_on == workdays.add_working_days(due, dossier.paused_working_days)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"other_parent_pin": "001093999999"}, "parent_not_in_registry"),
        ({"child_birth_date": date.today() + timedelta(days=3)}, "birth_date_in_future"),
        ({"child_birth_date": date.today() - timedelta(days=90)}, "birth_registration_late"),
        ({"requester_relationship": "father"}, "relationship_contradicts_registry"),
        ({"child_birth_commune": "99999"}, "commune_unknown"),
        ({"child_full_name": "Vũ 123"}, "name_invalid"),
        ({"birth_certificate": None}, "attachment_required"),
        (
            {"birth_certificate": Upload("birth_certificate", "application/pdf", b"MZ\x90\x00 not a pdf")},
            "attachment_type_invalid",
        ),
        ({"birth_certificate": Upload("birth_certificate", "image/png", PDF)}, "attachment_type_invalid"),
        (
            {"birth_certificate": Upload("birth_certificate", "application/pdf", b"%PDF-" + b"0" * (6 * 1024 * 1024))},
            "attachment_too_large",
        ),
    ],
)
def test_bad_declarations_are_refused_and_write_nothing(
    family: dict[str, Any], overrides: dict[str, Any], code: str
) -> None:
    before = (Case.objects.count(), Dossier.objects.count(), Person.objects.count())
    with pytest.raises(DomainError) as refused:
        factories.birth_case(family["account"], family["father"], **overrides)
    assert refused.value.code == code
    assert (Case.objects.count(), Dossier.objects.count(), Person.objects.count()) == before


def test_a_birth_declared_twice_or_already_registered(family: dict[str, Any]) -> None:
    case = factories.birth_case(family["account"], family["father"])
    with pytest.raises(DomainError) as refused:
        factories.birth_case(family["account"], family["father"])
    assert refused.value.code == "birth_already_declared"
    birth = factories.dossiers_by_procedure(case)[linked.BIRTH]
    linked.approve_birth(birth.pk, official="hotich")
    consumers.follow()
    for dossier in Dossier.objects.filter(case=case).exclude(pk=birth.pk):
        linked.reject(dossier.pk, official="x", reason="test")
    with pytest.raises(DomainError) as refused:
        factories.birth_case(family["account"], family["father"])
    assert refused.value.code == "birth_already_registered"


def test_verification_extends_the_deadline_to_the_legal_longer_one(family: dict[str, Any]) -> None:
    case = factories.birth_case(family["account"], family["father"])
    birth = factories.dossiers_by_procedure(case)[linked.BIRTH]
    with pytest.raises(DomainError):
        workflow.require_verification(birth.pk, official="hotich", reason=" ")
    workflow.require_verification(birth.pk, official="hotich", reason="Đối chiếu giấy chứng sinh với bệnh viện")
    birth.refresh_from_db()
    case.refresh_from_db()
    assert birth.verification and birth.due_on == workdays.due_date(birth.received_at, 3)
    assert case.due_on == workdays.due_date(case.received_at, 5)
    linked.approve_birth(birth.pk, official="hotich")
    consumers.follow()
    residence = Dossier.objects.get(case=case, procedure__code=linked.RESIDENCE)
    workflow.require_verification(residence.pk, official="cutru", reason="Xác minh chỗ ở")
    residence.refresh_from_db()
    assert residence.due_on == workdays.due_date(residence.received_at, 5)  # the group's 5, not the procedure's 7
