"""In a real browser: the demo hospital's receptionist signs in, scans a covered citizen's card QR (typed by the
scanner, then Enter) and sees the answer with the next step; a bad scan is said so beside the field; at 360 px and
in English too, axe-core clean, keyboard only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.a11y import PHONE, assert_accessible
from tests.live import LiveWeb

pytestmark = pytest.mark.slow


def test_a_receptionist_checks_in_by_card_qr(live_web: LiveWeb, browser: Any) -> None:
    from playwright.sync_api import expect

    out = live_web.dancu("insurance", "demo")
    live_web.dancu("project", "-v0")
    qr = re.search(r"card QR: (.+)", out).group(1).strip()  # type: ignore[union-attr]
    password = json.loads((live_web.var_dir / "demo-hospital.json").read_text())["tiepdon"]
    context = browser.new_context(locale="vi-VN", base_url=live_web.url, viewport=PHONE)
    page = context.new_page()
    page.goto("/login/?next=/tiep-don/")
    page.keyboard.press("Tab")
    page.get_by_label("Tên đăng nhập").fill("tiepdon")
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_label("Mật khẩu").press("Enter")
    expect(page.get_by_role("heading", name="Tra cứu thẻ bảo hiểm y tế")).to_be_visible()
    assert_accessible(page)
    field = page.get_by_label("Mã QR trên thẻ căn cước (quét) hoặc số định danh")
    expect(field).to_be_focused()  # the scanner types straight into it
    page.keyboard.type(qr)
    page.keyboard.press("Enter")
    expect(page.locator("#result-title")).to_contain_text("Tiếp nhận bảo hiểm y tế")
    expect(page.locator("#result-title")).to_contain_text("000")
    expect(page.get_by_text("Thẻ còn giá trị")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Mã QR trên thẻ căn cước (quét) hoặc số định danh").fill("https://example.com/x")
    page.keyboard.press("Enter")
    expect(page.locator("#card_error")).to_contain_text("không phải mã QR của thẻ căn cước")
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Health-insurance check-in")).to_be_visible()
    expect(page.get_by_text("1 check-in, 1 admitted on insurance.")).to_be_visible()
    assert_accessible(page)
    context.close()
