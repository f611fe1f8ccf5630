"""Dossiers as officials read them (``procedures.presenters``): labels and human values, the person concerned,
the result as records and documents, a history that names people and offices."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from dancu.procedures import desk, linked, presenters
from dancu.procedures.attachments import Upload
from dancu.procedures.models import Document
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


@pytest.fixture
def dossiers(family: dict[str, Any]) -> dict[str, Any]:
    case = factories.birth_case(family["account"], family["father"], child_full_name="Vũ Minh Khang")
    return factories.dossiers_by_procedure(case)


def _rows(rows: list[presenters.Row]) -> dict[str, Any]:
    return {row.label: row.value for row in rows}


def test_the_declaration_has_the_forms_labels_and_human_values(dossiers: dict[str, Any]) -> None:
    with translation.override("vi"):
        rows = presenters.declaration(dossiers[linked.BIRTH])
    values = _rows(rows)
    assert values["Họ, chữ đệm, tên của trẻ"] == "Vũ Minh Khang"
    assert values["Ngày sinh"] == timezone.localdate() - timedelta(days=5)
    assert values["Nơi sinh (xã, phường)"] == "Phường Ba Đình, Thành phố Hà Nội"
    assert values["Giới tính"] == "Nam"
    assert values["Quan hệ với trẻ"] == "Mẹ"
    assert values["Mẹ"].startswith("Đỗ Thị Lan (") and values["Cha"].startswith("Vũ Minh Đức (")
    assert next(r for r in rows if r.label == "Mẹ").person_id is not None
    assert not any("_" in label for label in values)  # no keys such as child_full_name
    with translation.override("en"):
        assert "Child's full name" in _rows(presenters.declaration(dossiers[linked.BIRTH]))


def test_every_dossier_of_the_birth_group_names_the_child(dossiers: dict[str, Any]) -> None:
    found = presenters.subjects(list(dossiers.values()))
    assert {s.name for s in found.values() if s} == {"Vũ Minh Khang"}
    assert len([s for s in found.values() if s]) == 3
    first, rows = presenters.group_declaration(dossiers[linked.INSURANCE])
    assert first == dossiers[linked.BIRTH]
    assert "Vũ Minh Khang" in [row.value for row in rows]  # the insurance officer knows for whom
    with translation.override("vi"):
        residence = _rows(presenters.declaration(dossiers[linked.RESIDENCE]))
    assert residence["Xã, phường nơi thường trú"] == "Phường Ba Đình, Thành phố Hà Nội"
    assert residence["Quan hệ với chủ hộ"] == "Con"


def test_the_result_is_links_and_the_history_names_people_and_offices(dossiers: dict[str, Any]) -> None:
    hotich = factories.official("hotich-p", role="civil_status_officer", first_name="Thị Hồng", last_name="Nguyễn")
    birth = dossiers[linked.BIRTH]
    desk.act(birth, "assign", official=hotich)
    desk.act(birth, "approve", official=hotich, confirmed=True)
    birth.refresh_from_db()
    with translation.override("vi"):
        result = presenters.result_rows(birth)
        steps = presenters.history(birth)
        subject = presenters.subjects([birth])[birth.pk]
    document = Document.objects.get(dossier=birth)
    assert [(r.label, r.document) for r in result if r.document] == [("Giấy tờ", str(document.id))]
    pin_row = next(r for r in result if r.label == "Số định danh cá nhân")
    assert pin_row.person_id == birth.result["person_id"] == subject.person_id
    lines = [f"{s.who}: {s.what}" for s in steps]
    assert lines[:2] == ["Người nộp: nộp hồ sơ", "Hệ thống: tiếp nhận"]
    assert "Cán bộ Nguyễn Thị Hồng, UBND Phường Ba Đình: duyệt" in lines
    assert str(birth.applicant_id) not in " ".join(lines) and "hotich-p" not in " ".join(lines)


def test_the_death_group_names_the_deceased() -> None:
    father = factories.person(full_name="Hoàng Văn Tư", birth_date=date(1950, 3, 3), residence="00004")
    son = factories.person(full_name="Hoàng Văn Năm", birth_date=date(1980, 6, 6), residence="00004")
    case = linked.declare_death(
        factories.account(son), deceased_pin=father.pin, death_date=timezone.localdate() - timedelta(days=1),
        death_place="Bệnh viện Bạch Mai", requester_relationship="con", procedures=[],
        death_notice=Upload("death_notice", "application/pdf", factories.PDF),
    )  # fmt: skip
    dossiers = factories.dossiers_by_procedure(case)
    found = presenters.subjects(list(dossiers.values()))
    assert [s.name for s in found.values()] == ["Hoàng Văn Tư", "Hoàng Văn Tư"]
    with translation.override("vi"):
        effect = presenters.approval_effect(dossiers[linked.DEATH], found[dossiers[linked.DEATH].pk])
    assert "Hoàng Văn Tư" in effect
