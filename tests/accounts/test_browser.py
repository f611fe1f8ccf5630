"""A citizen in a real browser (headless Chromium through Playwright): registers a level-1 account, signs in,
consents to a bank seeing their ethnicity, sees the bank's access in their history, and revokes the consent; the
gateway honours both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.live import LiveWeb, sign_in

pytestmark = pytest.mark.slow
PASSWORD = "Mua-thu-Ha-Noi-2026"


@pytest.fixture
def page(live_web: LiveWeb, browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN", base_url=live_web.url)
    yield context.new_page()
    context.close()


def test_register_sign_in_see_access_and_revoke_consent(live_web: LiveWeb, page: Any) -> None:
    from playwright.sync_api import expect

    me = live_web.citizens["self_registration"]
    # Register (level 1): data matched against the registry and the card, code by SMS (the file outbox).
    page.goto("/portal/dang-ky/")
    page.get_by_label("Số định danh cá nhân").fill(me["pin"])
    page.get_by_label("Họ, chữ đệm và tên").fill(me["full_name"])
    page.get_by_label("Ngày sinh").fill(me["birth_date"])
    page.get_by_label("Ngày cấp thẻ căn cước").fill(me["card_issued_on"])
    page.get_by_label("Số điện thoại di động").fill(me["phone"])
    page.get_by_role("button", name="Gửi mã").click()
    expect(page.get_by_role("heading", name="Xác nhận số điện thoại và đặt mật khẩu")).to_be_visible()
    sms = live_web.outbox("+84912000003")[-1]["text"]
    page.get_by_label("Mã trong tin nhắn SMS").fill(re.search(r"\b(\d{6})\b", sms).group(1))
    page.get_by_label("Mật khẩu (ít nhất 10 ký tự").fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#record-pin")).to_have_text(me["pin"])
    expect(page.locator("#account-level")).to_contain_text("mức 1")

    # Sign out and back in.
    page.get_by_role("navigation").get_by_role("button", name="Đăng xuất").click()
    page.get_by_label("Số định danh cá nhân").fill(me["pin"])
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.locator("#record-name")).to_have_text(me["full_name"])

    # No access yet; consent to the demo bank seeing the ethnicity.
    page.get_by_role("link", name="Ai đã truy cập dữ liệu của tôi").click()
    expect(page.locator("#no-access")).to_be_visible()
    page.get_by_role("link", name="Đồng ý chia sẻ").click()
    expect(page.get_by_label("Dân tộc").first).not_to_be_checked()  # never ticked in advance
    page.get_by_label("Dân tộc").first.check()
    page.get_by_role("button", name="Đồng ý", exact=True).first.click()
    expect(page.locator("#open-consents")).to_contain_text("Dân tộc")

    # The bank looks the citizen up through the gateway: the consent-only field is returned.
    live_web.dancu("project", "-v0")
    question = {"pin": me["pin"], "purpose": "kyc-banking", "fields": ["full_name", "ethnicity"]}
    answer = live_web.gateway("/v1/lookup", question)
    assert answer["fields"]["full_name"] == me["full_name"]
    assert "ethnicity" in answer["fields"], answer

    # The citizen sees that access, with the organisation, purpose and fields.
    page.get_by_role("link", name="Ai đã truy cập dữ liệu của tôi").click()
    table = page.locator("#access-table")
    expect(table).to_contain_text("Tra cứu")
    expect(table).to_contain_text("Dân tộc")

    # Revoke: the next lookup is refused the consent-only field.
    page.get_by_role("link", name="Đồng ý chia sẻ").click()
    page.get_by_role("button", name="Thu hồi").click()
    expect(page.locator("#no-consents")).to_be_visible()
    live_web.dancu("project", "-v0")
    answer = live_web.gateway("/v1/lookup", question)
    assert "ethnicity" not in answer["fields"]
    assert answer["refused"]["ethnicity"] == "consent_required"

    # English is one click away.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Who accessed my data")).to_be_visible()


def test_passkey_added_then_used_to_sign_in(live_web: LiveWeb, browser: Any) -> None:
    """Chromium's virtual authenticator (CDP WebAuthn domain) stands in for a phone or security key; WebAuthn needs
    a host name, not an IP address, as relying-party id: the browser talks to localhost."""
    from playwright.sync_api import expect

    me = live_web.citizens["level1"]
    base = live_web.url.replace("127.0.0.1", "localhost")
    context = browser.new_context(locale="vi-VN", base_url=base)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                    "hasUserVerification": True, "isUserVerified": True,
                }
            },
        )  # fmt: skip
        sign_in(page, me["pin"], me["password"])
        page.get_by_role("link", name="Bảo mật").click()
        page.get_by_label("Tên passkey").fill("Điện thoại")
        page.get_by_role("button", name="Thêm passkey").click()
        expect(page.locator("#passkeys")).to_contain_text("Điện thoại")
        page.get_by_role("navigation").get_by_role("button", name="Đăng xuất").click()
        page.get_by_role("button", name="Đăng nhập bằng passkey").click()
        expect(page.locator("#record-pin")).to_have_text(me["pin"])
        page.get_by_role("link", name="Bảo mật").click()
        expect(page.locator("#security-events")).to_contain_text("Thêm passkey")
    finally:
        context.close()
