"""In a real browser (headless Chromium): a parent signs in, declares a newborn, pays for a paper copy, three
officers act in the back office; the child is in the registry with a PIN, a residence in the household and an
insurance card; the parent sees three results and checks one on the public page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.live import LiveWeb, sign_in

pytestmark = pytest.mark.slow


def _take_and_approve(page: Any) -> None:
    """Only the officer who took a dossier decides it, after ticking the box that says what approving does."""
    page.get_by_role("button", name="Nhận xử lý").click()
    page.get_by_label("Tôi xác nhận:").check()
    page.get_by_role("button", name="Duyệt").click()


def _numbers(page: Any) -> dict[str, str]:
    """Each dossier's number on the case page, by procedure: officers act on this case's dossiers, not on dossiers
    other browser tests left in the same queues."""
    cards = page.locator("[data-procedure]")
    cards.first.wait_for()
    return {
        card.get_attribute("data-procedure"): re.search(r"HS\.\d+\.\d+", card.inner_text()).group(0)
        for card in cards.all()
    }


def _officer(browser: Any, web: LiveWeb, username: str, number: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="vi-VN", base_url=web.url)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill((web.officials or {})[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Hồ sơ", exact=True).click()
    page.locator("#queue a", has_text=number).click()
    _take_and_approve(page)
    expect(page.locator("#dossier-status")).to_have_text("Đã trả kết quả")
    context.close()


def test_a_newborn_declared_once_three_results(live_web: LiveWeb, browser: Any) -> None:
    from playwright.sync_api import expect

    me = live_web.citizens["level1"]
    context = browser.new_context(locale="vi-VN", base_url=live_web.url)
    page = context.new_page()
    sign_in(page, me["pin"], me["password"])
    page.get_by_role("link", name="Dịch vụ công").click()
    page.get_by_role("link", name="Khai sinh cho trẻ").click()
    expect(page.locator("#prefilled")).to_contain_text(me["full_name"])
    page.get_by_label("Họ, chữ đệm và tên của trẻ").fill("Trần Bảo Ngọc")
    page.get_by_label("Giới tính").select_option("F")
    from datetime import date, timedelta

    page.get_by_label("Ngày sinh").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_label("Giấy chứng sinh").set_input_files(
        {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n% certificate\n"}
    )
    page.get_by_label("Số bản sao trích lục khai sinh giấy").fill("1")
    page.get_by_role("button", name="Nộp tờ khai").click()
    # The simulated payment provider's page, then back to the case.
    expect(page.locator("#amount")).to_contain_text("8.000")
    page.get_by_role("button", name="Thanh toán").click()
    expect(page.locator("#payment-paid")).to_be_visible()
    case_url = page.url
    numbers = _numbers(page)

    _officer(browser, live_web, "hotich", numbers["birth-registration"])
    _officer(browser, live_web, "cutru", numbers["permanent-residence-registration"])
    _officer(browser, live_web, "bhxh", numbers["health-insurance-under-6"])

    page.goto(case_url)
    results = page.locator(".dossier-result")
    expect(results).to_have_count(3)
    pin = re.search(
        r"\d{12}", page.locator('[data-procedure="birth-registration"] .dossier-result').inner_text()
    ).group(0)
    expect(page.locator('[data-procedure="health-insurance-under-6"] .dossier-result')).to_contain_text("TE1")
    record = live_web.dancu("person", pin)
    assert "Trần Bảo Ngọc" in record

    page.get_by_role("link", name="Giấy tờ của tôi").click()
    for number in numbers.values():  # one result per dossier of this case (other tests' results may be there too)
        expect(page.locator("#documents tbody tr", has_text=number)).to_have_count(1)
    extract = page.locator("#documents tbody tr", has_text=numbers["birth-registration"])
    with page.expect_download() as download:
        extract.get_by_role("link", name="PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    extract.get_by_role("link", name="Kiểm tra").click()
    expect(page.locator("#check-verdict")).to_have_attribute("data-code", "document_valid")
    expect(page.locator("body")).to_contain_text(pin)
    context.close()


def test_a_death_with_three_procedures(live_web: LiveWeb, browser: Any) -> None:
    from datetime import date, timedelta

    from playwright.sync_api import expect

    me = live_web.citizens["level1"]
    # Someone of the citizen's commune, where the demo's commune officers work.
    code = (
        "from dancu.registry.models import Person; "
        f"commune = Person.objects.get(pin='{me['pin']}').household.commune_id; "
        "print(Person.objects.filter(status='living', household__commune_id=commune, eid_account__isnull=True, "
        "permanent_residences__valid_to__isnull=True).order_by('birth_date').values_list('pin', flat=True).first())"
    )
    deceased = live_web.dancu("shell", "-c", code).strip().splitlines()[-1]  # after the shell's own banner
    context = browser.new_context(locale="vi-VN", base_url=live_web.url)
    page = context.new_page()
    sign_in(page, me["pin"], me["password"])
    page.goto("/portal/thu-tuc/khai-tu/")
    page.get_by_label("Số định danh cá nhân của người mất").fill(deceased)
    page.get_by_label("Ngày mất").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_label("Quan hệ của bạn với người mất").fill("cháu")
    page.get_by_label("Nơi mất", exact=True).fill("Tại nhà")
    page.get_by_label("Trợ cấp mai táng").check()
    page.get_by_label("Tài khoản ngân hàng nhận trợ cấp").fill("0011001234567")
    page.get_by_label("Giấy báo tử").set_input_files(
        {"name": "giay-bao-tu.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\0" * 64}
    )
    page.get_by_role("button", name="Nộp tờ khai").click()
    assert page.locator("#declare-error").count() == 0, page.locator("#declare-error").inner_text()
    expect(page.locator("[data-procedure]")).to_have_count(3)
    case_url = page.url
    numbers = _numbers(page)

    _officer(browser, live_web, "hotich", numbers["death-registration"])
    _officer(browser, live_web, "cutru", numbers["permanent-residence-removal"])
    context_bhxh = browser.new_context(locale="vi-VN", base_url=live_web.url)
    officer = context_bhxh.new_page()
    officer.goto("/login/")
    officer.get_by_label("Tên đăng nhập").fill("bhxh")
    officer.get_by_label("Mật khẩu").fill((live_web.officials or {})["bhxh"])
    officer.get_by_role("button", name="Đăng nhập").click()
    officer.goto("/ho-so/")
    officer.locator("#queue a", has_text=numbers["funeral-allowance"]).click()
    _take_and_approve(officer)  # approved or refused by the contribution months
    expect(officer.locator("#dossier-status")).to_have_text(re.compile("Đã trả kết quả|Từ chối"))
    context_bhxh.close()

    page.goto(case_url)
    expect(page.locator(".dossier-status", has_text="Đang xử lý")).to_have_count(0)
    expect(page.locator('[data-procedure="death-registration"] .dossier-result')).to_be_visible()
    assert "deceased" in live_web.dancu("person", deceased)
    context.close()
