"""Every read visible to the citizen, in real Chromium: a citizen signs in to the demo relying party on another origin
(which receives their PIN, name, address and phone), an official opens their record in the back office, and the
citizen's "who accessed my data" shows both, in Vietnamese and in English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.accounts.test_cross_origin import RelyingParty, _new_level2_account, _sign_in
from tests.live import LiveWeb

pytestmark = pytest.mark.slow


def test_the_citizen_sees_the_relying_party_and_the_official(
    live_web: LiveWeb,
    demo_rp: RelyingParty,
    browser: Any,
) -> None:
    from playwright.sync_api import expect

    citizen = _new_level2_account(live_web, "+84912000031", totp=False)
    assert live_web.officials is not None

    # The citizen signs in to the relying party (its own origin) and allows it their data.
    rp = browser.new_context(locale="vi-VN", base_url=demo_rp.url)
    try:
        page = rp.new_page()
        page.goto("/")
        page.locator("#rp-login").click()
        _sign_in(page, citizen)
        page.locator('button[name="allow"][value="Authorize"]').click()
        expect(page.locator("#rp-acr")).to_have_text("urn:dancu:eid:level1")
    finally:
        rp.close()

    # An official of the province's population registry office (a commune officer sees only their own commune)
    # opens the citizen's record.
    office_name = live_web.dancu(
        "shell", "-c", "from dancu.accounts.models import Official; "
        "print(Official.objects.get(user__username='tracuu').office_name)",
    ).strip().splitlines()[-1]  # fmt: skip
    office = browser.new_context(locale="vi-VN", base_url=live_web.url)
    try:
        page = office.new_page()
        page.goto("/login/")
        page.locator("#id_username").fill("tracuu")
        page.locator("#id_password").fill(live_web.officials["tracuu"])
        with page.expect_navigation():
            page.locator("#id_password").press("Enter")
        page.locator("#pin").fill(citizen["pin"])
        with page.expect_navigation():
            page.locator("#pin").press("Enter")
        expect(page).to_have_url(re.compile(r"/persons/\d+/$"))
    finally:
        office.close()

    # The citizen's access history: the relying party's sign-in, with the data names, and the official's view.
    portal = browser.new_context(locale="vi-VN", base_url=live_web.url)
    try:
        page = portal.new_page()
        page.goto("/portal/dang-nhap/")
        _sign_in(page, citizen)
        page.get_by_role("link", name="Ai đã truy cập dữ liệu của tôi").click()
        table = page.locator("#access-table")
        sign_in = table.locator("tr[data-kind=sign_in]").last  # the ID token (the userinfo call came after it)
        expect(sign_in).to_contain_text("Cổng dịch vụ công (demo)")
        expect(sign_in).to_contain_text("Đăng nhập dịch vụ")
        for name in ("Số định danh cá nhân", "Địa chỉ thường trú", "Số điện thoại", "Họ, chữ đệm và tên"):
            expect(sign_in).to_contain_text(name)
        expect(sign_in).to_contain_text("Khi bạn đăng nhập")
        expect(sign_in).to_contain_text(re.compile(r"\d\d/\d\d/20\d\d \d\d:\d\d"))
        official = table.locator("tr[data-kind=back_office]")
        expect(official).to_have_count(1)
        expect(official).to_contain_text("Cán bộ xem hồ sơ")
        expect(official).to_contain_text(office_name)
        expect(official).to_contain_text("Cán bộ Lê Thu Hà")
        expect(official).to_contain_text("Xem hồ sơ cá nhân")
        expect(table).not_to_contain_text("full_name")

        # The same page in English.
        page.get_by_role("button", name="English").click()
        table = page.locator("#access-table")
        expect(table.locator("tr[data-kind=sign_in]").last).to_contain_text("Sign-in to a service")
        expect(table.locator("tr[data-kind=sign_in]").last).to_contain_text("Personal ID number")
        expect(table.locator("tr[data-kind=back_office]")).to_contain_text("An official viewed your record")
        expect(table).not_to_contain_text("Đăng nhập dịch vụ")

        # The security page: the level in words, the application's data by name, no raw strings.
        page.goto("/portal/bao-mat/")
        expect(page.locator("#session-assurance")).to_have_text("Level 1")
        expect(page.locator("body")).not_to_contain_text("urn:dancu")
        expect(page.locator("#sessions")).to_contain_text(" on Linux")
    finally:
        portal.close()
