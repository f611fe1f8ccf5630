"""In a real browser (headless Chromium): the birth declaration sent with several errors shows them all at once, in
a summary that takes the focus and links to each field, and beside each field (aria-invalid, aria-describedby); the
attached file is kept across the refused submissions; the summary speaks the page's language."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.live import LiveWeb, sign_in

pytestmark = pytest.mark.slow

CERTIFICATE = {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n% certificate\n"}


def _described_by(page: Any, field_id: str) -> str:
    """What a screen reader reads as the field's description: the text of the elements its aria-describedby names."""
    return str(
        page.evaluate(
            """(id) => (document.getElementById(id).getAttribute("aria-describedby") || "").split(" ")
                .map((ref) => document.getElementById(ref)?.textContent.trim() || `<missing #${ref}>`).join(" ")""",
            field_id,
        )
    )


def test_a_birth_declaration_with_several_errors(live_web: LiveWeb, browser: Any) -> None:
    from playwright.sync_api import expect

    me = live_web.citizens["level1"]
    context = browser.new_context(locale="vi-VN", base_url=live_web.url)
    page = context.new_page()
    sign_in(page, me["pin"], me["password"])
    page.goto("/portal/thu-tuc/khai-sinh/")
    future = (date.today() + timedelta(days=3)).isoformat()
    page.get_by_label("Ngày sinh").fill(future)
    page.get_by_role("button", name="Nộp tờ khai").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()  # a screen reader starts with it
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading")).to_have_text("Có lỗi")
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        ["Nhập họ, chữ đệm và tên của trẻ.", "Ngày sinh ở tương lai.", "Đính kèm giấy chứng sinh của cơ sở y tế."]
    )
    for field_id, message in (
        ("child_full_name", "Nhập họ, chữ đệm và tên của trẻ."),
        ("child_birth_date", "Ngày sinh ở tương lai."),
        ("birth_certificate", "Đính kèm giấy chứng sinh của cơ sở y tế."),
    ):
        expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
        assert _described_by(page, field_id) == f"Lỗi: {message}"
    expect(page.locator("#child_birth_date")).to_have_value(future)  # what was typed comes back
    links.nth(1).click()
    expect(page.locator("#child_birth_date")).to_be_focused()

    # The name and the file are given now; the date is still in the future: the file is kept, not dropped.
    page.get_by_label("Họ, chữ đệm và tên của trẻ").fill("Trần Minh Châu")
    page.get_by_label("Giấy chứng sinh").set_input_files(CERTIFICATE)
    page.get_by_role("button", name="Nộp tờ khai").click()
    expect(summary.get_by_role("link")).to_have_text(["Ngày sinh ở tương lai."])
    held = page.locator("#birth_certificate_held")
    expect(held).to_contain_text("Đã đính kèm: giay-chung-sinh.pdf (23\xa0byte)")
    expect(page.locator("#birth_certificate")).not_to_have_attribute("required", "")
    expect(page.locator("#child_full_name")).to_have_value("Trần Minh Châu")
    expect(page.locator("#child_full_name")).not_to_have_attribute("aria-invalid", "true")

    # Another refusal: the file is still held, and can be removed.
    page.get_by_role("button", name="Nộp tờ khai").click()
    expect(held).to_contain_text("giay-chung-sinh.pdf")
    page.get_by_label("Gỡ tệp này").check()
    page.get_by_role("button", name="Nộp tờ khai").click()
    expect(summary.get_by_role("link")).to_have_text(
        ["Ngày sinh ở tương lai.", "Đính kèm giấy chứng sinh của cơ sở y tế."]
    )
    expect(held).to_have_count(0)

    # The same page in English (drawn afresh: a new declaration).
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Submit the declaration").click()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter the child's full name.", "Enter the child's date of birth.", "Attach the hospital's birth certificate."]
    )
    assert _described_by(page, "child_full_name") == "Error: Enter the child's full name."
    context.close()


def test_an_empty_sign_in_names_the_missing_fields(live_web: LiveWeb, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="vi-VN", base_url=live_web.url)
    page = context.new_page()
    page.goto("/portal/dang-nhap/")
    page.get_by_label("Số định danh cá nhân").fill("001 090")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Số định danh cá nhân gồm 12 chữ số.", "Nhập mật khẩu."])
    assert _described_by(page, "pin") == "Lỗi: Số định danh cá nhân gồm 12 chữ số."
    assert _described_by(page, "password") == "Lỗi: Nhập mật khẩu."
    context.close()
