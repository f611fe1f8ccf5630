"""Take the README's and docs' screenshots of the main pages, at desktop and phone size, from a running demo.

    make demo DEMO_PEOPLE=2000            # in another terminal
    .venv/bin/python tools/screenshots.py  # --url http://127.0.0.1:8000 --var var --out docs/screenshots

Drives Debian's Chromium through Playwright as a citizen (level 1 demo account) and as the civil-status officer
(``hotich``): declares a birth on each run, so that the case, queue and dossier pages have something to show (the
check page needs a result: approve one dossier in the back office first). PNGs are reduced to a 256-colour
palette and optimised, to keep the repository small."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def save(page: Any, out: Path, name: str, size: str) -> None:
    png = page.screenshot(full_page=False)
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(out / f"{name}-{size}.png", optimize=True)


def sign_in_citizen(page: Any, citizen: dict[str, str]) -> None:
    page.goto("/portal/dang-nhap/")
    page.locator("#pin").fill(citizen["pin"])
    page.locator("#password").fill(citizen["password"])
    with page.expect_navigation():
        page.locator("#password").press("Enter")


#: Children declared by successive runs: a new name and date each time, so no run's birth is a duplicate of another's.
CHILDREN = ["Nguyễn Bảo An", "Nguyễn Minh Thư", "Nguyễn Gia Huy", "Nguyễn Khánh Linh", "Nguyễn Đức Minh"]


def declare_a_birth(page: Any) -> None:
    run = int(time.time()) // 60
    page.goto("/portal/thu-tuc/khai-sinh/")
    page.locator("#child_full_name").fill(CHILDREN[run % len(CHILDREN)])
    page.locator("#child_sex").select_option("F")
    page.locator("#child_birth_date").fill((date.today() - timedelta(days=1 + run % 25)).isoformat())
    page.locator("#birth_certificate").set_input_files(
        {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n% certificate\n"}
    )
    page.locator("#extract_copies").fill("2")
    with page.expect_navigation():
        page.locator("#extract_copies").press("Enter")
    if page.locator("#pay").count():
        with page.expect_navigation():
            page.locator("#pay").click()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the demo's web server")
    parser.add_argument("--var", default="var", type=Path, help="the demo's var directory (passwords)")
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    citizen = json.loads((args.var / "demo-citizens.json").read_text())["level1"]
    officials = json.loads((args.var / "demo-officials.json").read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        for size, viewport in SIZES.items():
            context = browser.new_context(base_url=args.url, viewport=viewport, device_scale_factor=1, locale="vi-VN")
            page = context.new_page()
            page.goto("/portal/dang-nhap/")
            save(page, args.out, "portal-sign-in", size)
            sign_in_citizen(page, citizen)
            save(page, args.out, "portal-record", size)
            if size == "phone":
                page.locator(".navbar-toggler").click()
                page.wait_for_timeout(400)  # the menu's opening animation
                save(page, args.out, "portal-menu", size)
            if size == "desktop":
                declare_a_birth(page)
            page.goto("/portal/thu-tuc/khai-sinh/")
            save(page, args.out, "portal-birth-form", size)
            page.goto("/portal/thu-tuc/")
            page.locator("a[href*='/thu-tuc/ho-so/']").first.click()
            save(page, args.out, "portal-case", size)
            page.goto("/portal/giay-to/")
            save(page, args.out, "portal-documents", size)
            link = page.locator("#documents a[href*='/ket-qua/']")
            if link.count():
                link.first.click()
                save(page, args.out, "document-check", size)
            official = browser.new_context(
                base_url=args.url, viewport=viewport, device_scale_factor=1, locale="vi-VN"
            ).new_page()
            official.goto("/login/")
            official.locator("#id_username").fill("hotich")
            official.locator("#id_password").fill(officials["hotich"])
            with official.expect_navigation():
                official.locator("#id_password").press("Enter")
            official.goto("/ho-so/")
            save(official, args.out, "backoffice-queue", size)
            rows = official.locator("#queue tbody tr a")
            if rows.count():
                rows.first.click()
                save(official, args.out, "backoffice-dossier", size)
            official.context.close()
            context.close()
        browser.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
