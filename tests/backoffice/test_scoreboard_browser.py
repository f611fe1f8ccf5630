"""The scoreboard in headless Chromium, on a simulated year (at a small volume) of the live server's registry: the
charts draw, the page passes axe-core at a phone's and a laptop's width in both languages, and its picture goes to
docs/img."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.a11y import DESKTOP, PHONE, assert_accessible
from tests.live import LiveWeb

pytestmark = pytest.mark.slow
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "scoreboard.png"


def test_the_scoreboard_in_a_browser(live_web: LiveWeb, browser: Any) -> None:
    from playwright.sync_api import expect

    live_web.dancu("simulate", "--days", "365", "--seed", "4", "--scale", "0.2", "-v0")
    live_web.dancu("insights", "-v0", "rebuild")
    context = browser.new_context(locale="vi-VN", base_url=live_web.url, viewport=DESKTOP)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill("vanhanh")
    page.get_by_label("Mật khẩu").fill((live_web.officials or {})["vanhanh"])
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto("/chi-so/")
    page.get_by_role("link", name="Bảng chỉ số").first.wait_for()
    expect(page.locator("h1")).to_have_text("Bảng chỉ số Đề án 06")
    # Every indicator's trend is drawn by ECharts (an SVG inside its box), from the page's JSON block.
    charts = page.locator("[data-chart] svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 9
    expect(page.locator('[data-kpi="online_submission"]')).to_contain_text("%")
    assert_accessible(page)
    page.locator("#areas a").first.click()  # drill down: Hà Nội
    expect(page.locator("#scoreboard-area")).to_contain_text("Hà Nội")
    assert_accessible(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Programme scoreboard")
    assert_accessible(page)
    context.close()
