"""The portal's declaration pages with errors: every error at once, each beside its field and in the summary at the
top, what was typed kept, and an attached file kept (held) until the declaration goes through."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dancu.portal.uploads import SESSION_KEY
from dancu.procedures import attachments
from dancu.procedures.models import Case
from tests import factories
from tests.forms.page import form_errors

pytestmark = pytest.mark.django_db
PASSWORD = "Hoa-mai-vang-2026"
URL = "/portal/thu-tuc/khai-sinh/"
CERTIFICATE = b"%PDF-1.4 the hospital's certificate"


@pytest.fixture(autouse=True)
def _var(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    settings.DANCU_ATTACHMENTS_DIR = tmp_path / "attachments"


@pytest.fixture
def mother() -> Client:
    """A mother without a spouse in the registry: the form asks for the other parent's PIN."""
    person = factories.person(full_name="Đinh Thị Thu", sex="F", birth_date=date(1996, 1, 20), residence="00004")
    factories.account(person, password=PASSWORD)
    client = Client()
    assert client.post("/portal/dang-nhap/", {"pin": person.pin, "password": PASSWORD}).status_code == 302
    return client


def _pdf(content: bytes = CERTIFICATE, name: str = "giay-chung-sinh.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _birth(**changes: Any) -> dict[str, Any]:
    data = {
        "child_full_name": "Đinh Minh Khang",
        "child_sex": "M",
        "child_birth_date": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "child_birth_commune": "00004",
        "other_parent_pin": "",
        "extract_copies": "0",
        "birth_certificate": _pdf(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_every_error_at_once_beside_its_field_and_in_the_summary(mother: Client) -> None:
    future = (timezone.localdate() + timedelta(days=2)).strftime("%d/%m/%Y")
    response = mother.post(
        URL, _birth(child_full_name="", child_birth_date=future, other_parent_pin="00107", birth_certificate=None)
    )
    assert response.status_code == 400
    found = form_errors(response.content.decode())
    assert found.heading == "Có lỗi"
    assert found.summary == [
        ("Nhập họ, chữ đệm và tên của trẻ.", "child_full_name"),
        ("Ngày sinh ở tương lai.", "child_birth_date"),
        ("Số định danh cá nhân gồm 12 chữ số.", "other_parent_pin"),
        ("Đính kèm giấy chứng sinh của cơ sở y tế.", "birth_certificate"),
    ]
    assert found.invalid == {target: f"Lỗi: {message}" for message, target in found.summary}
    assert not Case.objects.exists()


def test_the_summary_in_english(mother: Client) -> None:
    mother.cookies["django_language"] = "en"
    response = mother.post(URL, _birth(child_full_name="", birth_certificate=None), HTTP_ACCEPT_LANGUAGE="en")
    found = form_errors(response.content.decode())
    assert found.heading == "There is a problem"
    assert found.summary == [
        ("Enter the child's full name.", "child_full_name"),
        ("Attach the hospital's birth certificate.", "birth_certificate"),
    ]


def test_a_service_refusal_lands_beside_its_field(mother: Client) -> None:
    """The other parent's PIN is well formed but nobody in the registry has it: the service's refusal, on the field."""
    stranger = factories.new_pin(sex="M")
    response = mother.post(URL, _birth(other_parent_pin=f"{stranger[:3]} {stranger[3:6]} {stranger[6:]}"))
    assert response.status_code == 400
    found = form_errors(response.content.decode())
    message = "Không có ai mang số định danh cá nhân này trong Cơ sở dữ liệu quốc gia về dân cư: kiểm tra lại số."
    assert found.summary == [(message, "other_parent_pin")]
    assert found.invalid == {"other_parent_pin": f"Lỗi: {message}"}


def test_the_attached_file_is_kept_until_the_declaration_goes_through(mother: Client) -> None:
    response = mother.post(URL, _birth(child_full_name=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Đã đính kèm: giay-chung-sinh.pdf (35\xa0byte)" in page
    assert form_errors(page).summary == [("Nhập họ, chữ đệm và tên của trẻ.", "child_full_name")]
    held = mother.session[SESSION_KEY]["declare_birth"]["birth_certificate"]
    assert held["sha256"] not in page, "the digest stays in the session"
    assert attachments.held(held["sha256"]) == CERTIFICATE

    response = mother.post(URL, _birth(birth_certificate=None))  # the name corrected, no file sent again
    assert response.status_code in (302, 303), form_errors(response.content.decode()).summary
    case = Case.objects.get()
    stored = [a for d in case.dossiers.all() for a in d.attachments.all()]
    assert [attachments.read(a) for a in stored] == [CERTIFICATE]
    assert "declare_birth" not in (mother.session.get(SESSION_KEY) or {})


def test_a_new_file_replaces_the_held_one_and_a_refused_file_is_not_kept(mother: Client) -> None:
    mother.post(URL, _birth(child_full_name=""))
    refused = mother.post(URL, _birth(child_full_name="", birth_certificate=_pdf(b"MZ\x90\x00", "virus.pdf")))
    found = form_errors(refused.content.decode())
    assert ("Tệp phải là PDF, JPEG hoặc PNG.", "birth_certificate") in found.summary
    assert "virus.pdf" not in refused.content.decode()
    assert "giay-chung-sinh.pdf" in refused.content.decode(), "the good file held before is still held"
    mother.post(URL, _birth(child_full_name="", birth_certificate=_pdf(b"%PDF-1.7 the new scan", "scan-2.pdf")))
    assert mother.session[SESSION_KEY]["declare_birth"]["birth_certificate"]["name"] == "scan-2.pdf"


def test_a_held_file_can_be_removed(mother: Client) -> None:
    mother.post(URL, _birth(child_full_name=""))
    response = mother.post(URL, {**_birth(birth_certificate=None), "remove_upload": "birth_certificate"})
    assert response.status_code == 400
    assert form_errors(response.content.decode()).summary == [
        ("Đính kèm giấy chứng sinh của cơ sở y tế.", "birth_certificate")
    ]
    assert "Đã đính kèm" not in response.content.decode()


def test_a_new_declaration_starts_without_the_files_of_an_abandoned_one(mother: Client) -> None:
    mother.post(URL, _birth(child_full_name=""))
    assert "Đã đính kèm" not in mother.get(URL).content.decode()
    again = form_errors(mother.post(URL, _birth(birth_certificate=None)).content.decode())
    assert again.summary == [("Đính kèm giấy chứng sinh của cơ sở y tế.", "birth_certificate")]


def test_a_date_typed_as_dd_mm_yyyy_is_accepted_and_shown_back_in_the_date_input(mother: Client) -> None:
    typed = (timezone.localdate() - timedelta(days=3)).strftime("%d/%m/%Y")
    page = mother.post(URL, _birth(child_birth_date=typed, child_full_name="")).content.decode()
    iso = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert f'name="child_birth_date" type="date" required value="{iso}"' in page


def test_the_death_form_shows_every_error_and_keeps_the_notice(mother: Client) -> None:
    notice = SimpleUploadedFile("giay-bao-tu.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16, content_type="image/png")
    response = mother.post(
        "/portal/thu-tuc/khai-tu/",
        {
            "deceased_pin": "0010",
            "death_date": "01/01/2099",
            "procedures": ["funeral-allowance"],
            "death_notice": notice,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    found = form_errors(page)
    assert found.summary == [
        ("Số định danh cá nhân gồm 12 chữ số.", "deceased_pin"),
        ("Ngày mất ở tương lai.", "death_date"),
        ("Nhập nơi mất.", "death_place"),
        ("Nhập quan hệ của bạn với người mất.", "requester_relationship"),
        ("Nhập tài khoản ngân hàng nhận trợ cấp.", "bank_account"),
    ]
    assert found.invalid == {target: f"Lỗi: {message}" for message, target in found.summary}
    assert "Đã đính kèm: giay-bao-tu.png" in page
    assert 'value="funeral-allowance" id="p3" checked' in page, "the chosen procedure stays chosen"
