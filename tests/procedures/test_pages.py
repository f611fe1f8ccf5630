"""The birth group through the pages: a parent declares in the portal (prefilled from the registry, a file
uploaded), three officers act in the back office queues, the parent sees three results."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dancu.accounts.models import Account
from dancu.procedures import attachments, consumers, linked
from dancu.procedures.models import Case, Dossier
from dancu.registry import services as registry
from dancu.registry.models import Person
from tests import factories
from tests.forms.page import form_errors

pytestmark = pytest.mark.django_db
PASSWORD = "Hoa-mai-vang-2026"


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


@pytest.fixture
def parent() -> Client:
    mother = factories.person(full_name="Đinh Thị Thu", sex="F", birth_date=date(1996, 1, 20), residence="00004")
    father = factories.person(full_name="Lý Văn Hải", sex="M", birth_date=date(1994, 2, 2), residence="00004")
    registry.register_marriage(pin_a=mother.pin, pin_b=father.pin, marriage_date=date(2022, 5, 5), actor="t")
    factories.account(mother, password=PASSWORD)
    client = Client()
    assert client.post("/portal/dang-nhap/", {"pin": mother.pin, "password": PASSWORD}).status_code == 302
    return client


def official(name: str, role: str) -> Client:
    user = factories.official(name, role=role)
    client = Client()
    client.force_login(user)
    return client


def _act(client: Client, dossier: Dossier, action: str = "approve", reason: str = "") -> str:
    """The officer finds the dossier in their queue, takes it, and acts (a decision confirmed): the page after the
    action, the dossier again or (refused, status 400) the page with the errors."""
    page = client.get("/ho-so/")
    assert dossier.number in page.content.decode()  # it is in this officer's queue
    assert client.post(f"/ho-so/{dossier.pk}/thao-tac/", {"action": "assign"}).status_code == 302
    response = client.post(f"/ho-so/{dossier.pk}/thao-tac/", {"action": action, "reason": reason, "confirm": "on"})
    if response.status_code == 400:
        return response.content.decode()
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_declare_once_and_three_officers_act(parent: Client) -> None:
    form = parent.get("/portal/thu-tuc/khai-sinh/").content.decode()
    prefilled = form[form.index('id="prefilled"') :]
    assert "Đinh Thị Thu" in prefilled and "Lý Văn Hải" in prefilled  # the spouse from the registry, locked
    response = parent.post(
        "/portal/thu-tuc/khai-sinh/",
        {
            "child_full_name": "Lý Minh Khang",
            "child_sex": "M",
            "child_birth_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "child_birth_commune": "00004",
            "birth_certificate": SimpleUploadedFile("cs.pdf", b"%PDF-1.4 certificate", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content[:400]
    case = Case.objects.get()
    dossiers = {d.procedure.code: d for d in Dossier.objects.filter(case=case).select_related("procedure")}

    hotich = official("hotich-t", "civil_status_officer")
    page = _act(hotich, dossiers[linked.BIRTH])
    assert "Đã trả kết quả" in page
    # The residence and insurance dossiers are waiting until the event log is followed.
    assert (
        dossiers[linked.RESIDENCE].number
        not in official("cutru-0", "residence_officer").get("/ho-so/").content.decode()
    )
    consumers.follow()
    _act(official("cutru-t", "residence_officer"), dossiers[linked.RESIDENCE])
    bhxh = official("bhxh-t", "social_insurance_officer")
    assert bhxh.get(f"/ho-so/{dossiers[linked.BIRTH].pk}/").status_code == 403  # not this agency's dossier
    _act(bhxh, dossiers[linked.INSURANCE])

    child = Person.objects.get(name_folded="ly minh khang")
    mother = Person.objects.get(name_folded="dinh thi thu")
    assert child.household_id == mother.household_id
    page = parent.get(f"/portal/thu-tuc/ho-so/{case.pk}/").content.decode()
    assert child.pin in page
    assert re.search(r"TE1\d{12}", page)
    assert page.count("Đã trả kết quả") >= 3
    # Three signed results in the parent's documents, each as a PDF, each checkable on the public page.
    from dancu.procedures.models import Document

    documents = list(Document.objects.filter(owner__person=mother))
    assert {d.kind for d in documents} == {"birth-extract", "residence-confirmation", "health-insurance-card"}
    assert parent.get("/portal/giay-to/").content.decode().count("/pdf/") == 3
    pdf = parent.get(f"/portal/giay-to/{documents[0].pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert Client().get(f"/portal/giay-to/{documents[0].pk}/pdf/").status_code == 302  # not for strangers
    assert 'id="check-result"' in Client().get(f"/ket-qua/{documents[1].pk}/").content.decode()


def test_a_wrong_file_is_refused_on_the_form(parent: Client) -> None:
    response = parent.post(
        "/portal/thu-tuc/khai-sinh/",
        {
            "child_full_name": "Lý Minh Khang",
            "child_sex": "M",
            "child_birth_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "child_birth_commune": "00004",
            "birth_certificate": SimpleUploadedFile("cs.exe", b"MZ\x90\x00", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert form_errors(page).summary == [("Tệp phải là PDF, JPEG hoặc PNG.", "birth_certificate")]
    assert "Lý Minh Khang" in page and "(8.000\u00a0đ/bản" in page, "the form comes back filled in, with its fee"
    assert not Case.objects.exists()


def test_an_officer_must_give_reasons(parent: Client) -> None:
    case = linked.declare_birth(
        Account.objects.get(),
        child_full_name="Lý An",
        child_sex="F",
        child_birth_date=timezone.localdate(),
        child_birth_commune="00004",
        requester_relationship="mother",
        birth_certificate=attachments.Upload("birth_certificate", "application/pdf", b"%PDF-1 x"),
    )
    birth = Dossier.objects.get(case=case, procedure__code=linked.BIRTH)
    hotich = official("hotich-r", "civil_status_officer")
    page = _act(hotich, birth, "reject", "")
    refused = form_errors(page)
    assert [target for _message, target in refused.summary] == ["reason"] and list(refused.invalid) == ["reason"]
    page = _act(hotich, birth, "supplement", "Giấy chứng sinh bị mờ")
    assert "Yêu cầu bổ sung" in page


def test_the_citizen_answers_a_supplement_request(parent: Client) -> None:
    case = linked.declare_birth(
        Account.objects.get(),
        child_full_name="Lý Bình",
        child_sex="F",
        child_birth_date=timezone.localdate(),
        child_birth_commune="00004",
        requester_relationship="mother",
        birth_certificate=attachments.Upload("birth_certificate", "application/pdf", b"%PDF-1 blurred"),
    )
    birth = Dossier.objects.get(case=case, procedure__code=linked.BIRTH)
    _act(official("hotich-s", "civil_status_officer"), birth, "supplement", "Giấy chứng sinh bị mờ")
    page = parent.get(f"/portal/thu-tuc/ho-so/{case.pk}/").content.decode()
    assert "Giấy chứng sinh bị mờ" in page and "bo-sung" in page
    refused = parent.post(
        f"/portal/thu-tuc/ho-so/{case.pk}/{birth.pk}/bo-sung/",
        {"note": "Đã chụp lại", "file": SimpleUploadedFile("cs.pdf", b"MZ", content_type="application/pdf")},
    )
    assert refused.status_code == 400
    found = form_errors(refused.content.decode())
    assert found.summary == [("Tệp phải là PDF, JPEG hoặc PNG.", f"file-{birth.pk}")]
    assert list(found.invalid) == [f"file-{birth.pk}"]
    assert ">Đã chụp lại</textarea>" in refused.content.decode(), "the note comes back as typed"
    response = parent.post(
        f"/portal/thu-tuc/ho-so/{case.pk}/{birth.pk}/bo-sung/",
        {
            "note": "Đã chụp lại",
            "file": SimpleUploadedFile("cs.pdf", b"%PDF-1.7 sharp", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    birth.refresh_from_db()
    assert birth.status == "resubmitted"
    assert attachments.read(birth.attachments.get()) == b"%PDF-1.7 sharp"
