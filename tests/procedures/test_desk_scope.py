"""The desk's rules at the service (``procedures.desk``): each official within their agency and area, decisions only
by the officer who took the dossier and only confirmed, and the queue's totals, filters, sorting and pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.procedures import desk, linked
from dancu.procedures.models import Dossier, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


def _birth_in(commune: str, child: str = "Vũ Minh An") -> Dossier:
    """The birth dossier of a family living in ``commune`` (its dossiers go to that commune's offices)."""
    mother = factories.person(sex="F", birth_date=date(1995, 4, 2), residence=commune, full_name="Đỗ Thị Lan")
    father = factories.person(sex="M", birth_date=date(1993, 9, 9), full_name="Vũ Minh Đức")
    case = factories.birth_case(factories.account(mother), father, child_full_name=child)
    return factories.dossiers_by_procedure(case)[linked.BIRTH]


def _refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def test_a_commune_official_sees_and_acts_only_in_their_commune() -> None:
    mine, theirs = _birth_in(factories.HANOI_BA_DINH), _birth_in(factories.HANOI_OTHER)
    hotich = factories.official("hotich-a", role="civil_status_officer")  # Phường Ba Đình
    assert desk.dossier_for(hotich, mine.pk) == mine
    refused = _refusal(lambda: desk.dossier_for(hotich, theirs.pk))
    assert (refused.code, refused.status) == ("dossier_out_of_area", 403)
    assert theirs.number not in refused.message
    assert _refusal(lambda: desk.act(theirs, "assign", official=hotich)).code == "dossier_out_of_area"
    theirs.refresh_from_db()
    assert theirs.assigned_to is None
    numbers = {d.number for d in desk.queue(hotich).page}
    assert mine.number in numbers and theirs.number not in numbers


def test_a_province_official_sees_the_province_and_a_national_one_everything() -> None:
    dossiers = [_birth_in(factories.HANOI_BA_DINH), _birth_in(factories.HANOI_OTHER)]
    province = factories.official("hotich-tinh", role="civil_status_officer", area="01")
    elsewhere = factories.official("hotich-hue", role="civil_status_officer", area="46")
    national = factories.official("hotich-tw", role="civil_status_officer", area="national")
    for dossier in dossiers:
        assert desk.dossier_for(province, dossier.pk) == dossier
        assert desk.dossier_for(national, dossier.pk) == dossier
        assert _refusal(lambda d=dossier: desk.dossier_for(elsewhere, d.pk)).code == "dossier_out_of_area"
    assert desk.queue(province).total == 2
    assert desk.queue(elsewhere).total == 0
    assert desk.queue(province, commune=factories.HANOI_OTHER).total == 1


def test_another_agency_and_an_unbound_user_are_refused() -> None:
    birth = _birth_in(factories.HANOI_BA_DINH)
    police = factories.official("cutru-a", role="residence_officer")
    assert _refusal(lambda: desk.dossier_for(police, birth.pk)).code == "dossier_other_agency"
    unbound = factories.official("no-area")
    assert _refusal(lambda: desk.queue(unbound)).code == "official_not_bound"
    assert _refusal(lambda: desk.dossier_for(unbound, birth.pk)).status == 403


def test_only_the_officer_who_took_the_dossier_decides_and_only_confirmed() -> None:
    birth = _birth_in(factories.HANOI_BA_DINH)
    first = factories.official("hotich-1", role="civil_status_officer")
    second = factories.official("hotich-2", role="civil_status_officer")
    assert _refusal(lambda: desk.act(birth, "approve", official=first, confirmed=True)).code == "dossier_not_yours"
    desk.act(birth, "assign", official=first)
    assert _refusal(lambda: desk.act(birth, "approve", official=second, confirmed=True)).code == "dossier_not_yours"
    assert _refusal(lambda: desk.act(birth, "reject", official=second, reason="x", confirmed=True)).code == (
        "dossier_not_yours"
    )
    refused = _refusal(lambda: desk.act(birth, "approve", official=first))
    assert (refused.code, refused.field) == ("confirmation_required", "confirm")
    birth.refresh_from_db()
    assert birth.status == Status.RECEIVED
    desk.act(birth, "approve", official=first, confirmed=True)
    birth.refresh_from_db()
    assert birth.status == Status.RESULT_ISSUED


@pytest.mark.parametrize(
    ("action", "reason", "after"),
    [
        ("process", "", Status.IN_PROCESS),
        ("supplement", "Bổ sung giấy chứng sinh bản rõ nét", Status.SUPPLEMENT_REQUESTED),
        ("verify", "Đối chiếu giấy chứng sinh với bệnh viện", Status.RECEIVED),
        ("approve", "", Status.RESULT_ISSUED),
        ("reject", "Giấy chứng sinh không đọc được", Status.REJECTED),
    ],
)
def test_every_action_that_changes_the_dossier_is_the_takers(action: str, reason: str, after: str) -> None:
    birth = _birth_in(factories.HANOI_BA_DINH)
    taker = factories.official(f"hotich-taker-{action}", role="civil_status_officer")
    colleague = factories.official(f"hotich-colleague-{action}", role="civil_status_officer")
    before = Dossier.objects.get(pk=birth.pk)
    # Not taken yet: nobody acts on it; taken by a colleague: neither.
    refused = _refusal(lambda: desk.act(birth, action, official=taker, reason=reason, confirmed=True))
    assert (refused.code, refused.status) == ("dossier_not_yours", 409)
    desk.act(birth, "assign", official=taker)
    refused = _refusal(lambda: desk.act(birth, action, official=colleague, reason=reason, confirmed=True))
    assert (refused.code, refused.status) == ("dossier_not_yours", 409)
    unchanged = Dossier.objects.get(pk=birth.pk)
    assert (unchanged.status, unchanged.due_on, unchanged.verification) == (
        before.status, before.due_on, before.verification,
    )  # fmt: skip
    assert unchanged.assigned_to_id == taker.pk
    desk.act(birth, action, official=taker, reason=reason, confirmed=True)
    birth.refresh_from_db()
    assert birth.status == after
    if action == "verify":
        assert birth.verification and birth.due_on != before.due_on


def test_a_colleague_takes_the_dossier_over_and_then_only_they_act() -> None:
    birth = _birth_in(factories.HANOI_BA_DINH)
    first = factories.official("hotich-first", role="civil_status_officer")
    second = factories.official("hotich-second", role="civil_status_officer")
    desk.act(birth, "assign", official=first)
    desk.act(birth, "assign", official=second)  # taking over, e.g. when the first is away
    assert _refusal(lambda: desk.act(birth, "process", official=first)).code == "dossier_not_yours"
    desk.act(birth, "process", official=second)
    birth.refresh_from_db()
    assert (birth.status, birth.assigned_to_id) == (Status.IN_PROCESS, second.pk)


def test_the_queue_counts_filters_sorts_and_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desk, "PAGE_SIZE", 2)
    dossiers = [_birth_in(factories.HANOI_BA_DINH, child) for child in ("Vũ An", "Vũ Bình", "Vũ Chi")]
    hotich = factories.official("hotich-q", role="civil_status_officer")
    desk.act(dossiers[1], "assign", official=hotich)
    Dossier.objects.filter(pk=dossiers[2].pk).update(due_on=timezone.localdate() - timedelta(days=3))
    Dossier.objects.filter(pk=dossiers[0].pk).update(received_at=timezone.now() - timedelta(days=1))
    found = desk.queue(hotich)
    assert (found.total, found.overdue, found.mine) == (3, 1, 1)
    assert found.page.paginator.num_pages == 2  # 3 dossiers, 2 a page: nothing silently left out
    assert [d.pk for d in found.page] == [dossiers[2].pk, dossiers[0].pk]  # by due date
    assert [d.pk for d in desk.queue(hotich, page=2).page] == [dossiers[1].pk]
    assert [d.pk for d in desk.queue(hotich, overdue=True).page] == [dossiers[2].pk]
    assert [d.pk for d in desk.queue(hotich, mine=True).page] == [dossiers[1].pk]
    assert desk.queue(hotich, order="-received").page[0].pk == dossiers[2].pk
    assert desk.queue(hotich, order="received").page[0].pk == dossiers[0].pk
    assert desk.queue(hotich, procedure=linked.DEATH).total == 0
    assert desk.queue(hotich, procedure="no-such-procedure").total == 3  # unknown: ignored, not an error
    assert desk.queue(hotich, show="done").total == 0


def test_the_queue_finds_a_number_or_any_word_of_a_name() -> None:
    first = _birth_in(factories.HANOI_BA_DINH, "Vũ Minh Khang")
    second = _birth_in(factories.HANOI_BA_DINH, "Vũ Bảo Ngọc")
    hotich = factories.official("hotich-n", role="civil_status_officer")

    def found(search: str) -> set[str]:
        return {d.number for d in desk.queue(hotich, search=search).page}

    assert found("khang") == {first.number}  # the child, accents ignored
    assert found("NGOC") == {second.number}
    assert found("thi lan") == {first.number, second.number}  # the applicant, Đỗ Thị Lan
    assert found(second.number[-6:]) == {second.number}
    assert found("an") == set()  # words, not letters inside them ("Khang", "Lan")
    assert found("minh") == {first.number}


def test_the_queue_finds_the_deceased_by_name() -> None:
    from dancu.procedures.attachments import Upload

    father = factories.person(full_name="Hoàng Văn Tư", birth_date=date(1950, 3, 3), residence="00004")
    son = factories.person(full_name="Hoàng Văn Năm", birth_date=date(1980, 6, 6), residence="00004")
    case = linked.declare_death(
        factories.account(son), deceased_pin=father.pin, death_date=timezone.localdate() - timedelta(days=1),
        death_place="Tại nhà", requester_relationship="con", procedures=[],
        death_notice=Upload("death_notice", "application/pdf", factories.PDF),
    )  # fmt: skip
    death = factories.dossiers_by_procedure(case)[linked.DEATH]
    hotich = factories.official("hotich-t", role="civil_status_officer")
    assert [d.pk for d in desk.queue(hotich, search="tu").page] == [death.pk]
