"""The offline workspace in a real Chromium with the network switched off (``context.set_offline``): enrol and
download online, reload offline, record a birth, a death and a temporary residence, close the browser, reopen it
offline (a persistent profile) and find them, then sync: applied, a conflict in review, a tampered record and a
replay refused, a sync cut half-way resumed without duplicates."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.a11y import assert_accessible
from tests.live import CHROMIUM, LiveWeb

pytestmark = pytest.mark.slow

#: Makes, in the demo commune of the civil-status officer, people of the test's own (the demo citizens, whom other
#: live tests sign in as, stay untouched): a mother and her husband in one household, who registers a temporary
#: residence (the twin recorded before it on the same device joins that household: the device's own change is not
#: a conflict), and an elder of another household whose death is declared.
PICK = """
import json
from datetime import date
from dancu.accounts.models import Official
from dancu.core.pin import generate_pin
from dancu.registry import services
from dancu.registry.models import Person
commune = Official.objects.get(user__username="hotich").commune
def new(name, sex, born, household=None):
    pin = generate_pin("0" + commune.province.code, sex, born.year,
                       exists=lambda c: Person.objects.filter(pin=c).exists())
    services.register_person(pin=pin, full_name=name, sex=sex, birth_date=born, actor="test")
    services.register_permanent_residence(
        pin=pin, commune=commune.code, address_line="Thôn Khuổi Hao", valid_from=date(2020, 1, 1),
        household_number=household, relationship="spouse" if household else "head", actor="test")
    return Person.objects.select_related("household").get(pin=pin)
mother = new("Hoàng Thị Lan", "F", date(1996, 5, 5))
guest = new("Hoàng Văn Páo", "M", date(1994, 2, 2), mother.household.number)
deceased = new("Sùng Văn Chớ", "M", date(1940, 1, 1))
print(json.dumps({"commune": commune.code, "mother": mother.pin, "deceased": deceased.pin, "guest": guest.pin}))
"""

CHECK = """
import json
from dancu.procedures.models import OfflineRecord
from dancu.registry.models import Person, TemporaryResidence
mother = Person.objects.get(pin=%(mother)r)
print(json.dumps({
    "children": sorted(
        Person.objects.filter(mother=mother, full_name__startswith="Hoàng Minh").values_list("full_name", flat=True)
    ),
    "deceased": Person.objects.get(pin=%(deceased)r).status,
    "temporary": TemporaryResidence.objects.filter(person__pin=%(guest)r).count(),
    "records": sorted(OfflineRecord.objects.values_list("state", "code")),
}))
"""


def _shell(web: LiveWeb, code: str) -> Any:
    """Run Python in the live server's registry (``dancu shell``) and read the JSON its last line prints."""
    return json.loads(web.dancu("shell", "--no-imports", "-c", code).strip().splitlines()[-1])


def _ready(page: Any) -> None:
    try:
        page.wait_for_selector("main[data-ready='1']", state="attached", timeout=15000)
    except Exception as exc:  # the app's own words make the failure readable
        notice = page.locator("#notice").all_inner_texts() if page.locator("#notice").count() else []
        raise AssertionError(f"the workspace did not start at {page.url}: {notice} {CONSOLE}") from exc


#: Waits until the service worker controls the page (evaluated over CDP: the page's CSP forbids eval, which
#: ``wait_for_function`` would need).
CONTROLLED = (
    "new Promise((ok) => { const t = () => navigator.serviceWorker.controller ? ok(true) : setTimeout(t, 50); t(); })"
)

#: What the pages wrote on the console (shown when the app does not start).
CONSOLE: list[str] = []


def _record(page: Any, kind: str, fields: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page.select_option("#kind", kind)
    for name, value in fields.items():
        selector = f"#f-{name}"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    before = page.locator("#outbox tbody tr").count()
    page.click("#record button[type=submit]")
    expect(page.locator("#outbox tbody tr")).to_have_count(before + 1)


def _states(page: Any) -> list[str]:
    return page.locator("#outbox tbody tr").evaluate_all("rows => rows.map(r => r.dataset.state)")  # type: ignore[no-any-return]


def test_offline_workspace_end_to_end(live_web: LiveWeb, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    picked = _shell(live_web, PICK)
    assert live_web.officials is not None
    today = date.today()
    born = (today - timedelta(days=2)).isoformat()
    profile = tmp_path / "profile"
    launch = {"executable_path": CHROMIUM, "args": ["--no-sandbox"], "base_url": live_web.url, "locale": "vi-VN"}
    with sync_playwright() as p:
        # Online: sign in, enrol this browser, download the working set.
        context = p.chromium.launch_persistent_context(str(profile), **launch)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: CONSOLE.append(m.text))
        page.on("pageerror", lambda e: CONSOLE.append(str(e)))
        page.goto("/login/?next=/offline/")
        page.fill("#id_username", "hotich")
        page.fill("#id_password", live_web.officials["hotich"])
        page.click("main button[type=submit]")
        _ready(page)
        page.fill("#device-label", "Laptop xã")
        page.click("#enrol")
        expect(page.locator("#kind option")).to_have_count(3)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        _ready(page)
        page.evaluate(CONTROLLED)

        # Offline: the app still loads, and takes a birth (twins), a death and a temporary residence.
        context.set_offline(True)
        page.reload()
        _ready(page)
        assert page.evaluate("navigator.onLine") is False
        twin = {"child_sex": "M", "child_birth_date": born, "child_birth_commune": picked["commune"],
                "mother": picked["mother"]}  # fmt: skip
        _record(page, "birth", {"child_full_name": "Hoàng Minh An", **twin})
        _record(page, "birth", {"child_full_name": "Hoàng Minh Bảo", **twin})
        _record(page, "death", {"deceased": picked["deceased"], "death_date": today.isoformat(),
                                "death_place": "Tại nhà riêng"})  # fmt: skip
        until = (today + timedelta(days=180)).isoformat()
        _record(page, "temporary_residence", {"person": picked["guest"], "commune": picked["commune"],
                                              "address_line": "Số 3 ngõ 5", "valid_until": until})  # fmt: skip
        _record(page, "temporary_residence", {"person": picked["mother"], "commune": picked["commune"],
                                              "address_line": "Số 7 ngõ 9", "valid_until": until})  # fmt: skip
        # The schema refuses in the browser what the server refuses: nothing saved, the error beside the field.
        page.select_option("#kind", "death")
        page.fill("#f-deceased", "123")
        page.click("#record button[type=submit]")
        assert page.locator("#f-deceased.is-invalid").count() == 1
        assert page.locator("#outbox tbody tr").count() == 5
        assert_accessible(page)
        context.close()

        # The browser closed; reopened without a network, the records are still there, searchable.
        context = p.chromium.launch_persistent_context(str(profile), **launch)
        context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto("/offline/")
        _ready(page)
        assert _states(page) == ["pending"] * 5
        page.fill("#outbox-search", "Bảo")
        expect(page.locator("#outbox tbody tr")).to_have_count(1)
        page.fill("#outbox-search", "")

        # Meanwhile, at the desk online: the second twin's birth registered.
        live_web.dancu("shell", "-c", (
            "from dancu.registry import services; services.register_birth(full_name='Hoàng Minh Bảo', sex='M', "
            f"birth_date={born!r}, birth_commune={picked['commune']!r}, mother_pin={picked['mother']!r}, actor='desk')"
        ))  # fmt: skip

        # Online again: the 1st upload goes through; the 2nd reaches the server but its answer is lost; the 5th is
        # tampered with on the way.
        sent: list[dict[str, Any]] = []

        def cut(route: Any) -> None:
            data = json.loads(route.request.post_data)
            sent.append(data)
            if len(sent) == 2:
                route.fetch()
                route.abort()
            elif json.loads(data["body"])["fields"].get("address_line") == "Số 7 ngõ 9":
                route.continue_(post_data=json.dumps({**data, "body": data["body"].replace("ngõ 9", "ngõ 8")}))
            else:
                route.continue_()

        context.set_offline(False)
        page.route("**/offline/sync/", cut)
        page.click("#sync")
        expect(page.locator("#outbox tr[data-state=pending]")).to_have_count(4)
        assert _states(page)[0] == "applied"
        page.click("#sync")  # resumes: the 2nd is known to the server (a replay: its first outcome), the rest go on
        expect(page.locator("#outbox tr[data-state=pending]")).to_have_count(0)
        page.unroute("**/offline/sync/")
        assert _states(page) == ["applied", "needs_review", "applied", "applied", "rejected"]
        assert "offline_signature_invalid" in page.locator("#outbox tbody tr").nth(4).inner_text()

        # A replay of an applied record, sent again by hand: refused, nothing applied twice.
        csrf = page.evaluate("fetch('/offline/session/').then(r => r.json()).then(d => d.csrf)")
        replay = page.request.post("/offline/sync/", data=json.dumps(sent[0]),
                                   headers={"X-CSRFToken": csrf, "Content-Type": "application/json"})  # fmt: skip
        assert replay.status == 409 and replay.json()["code"] == "offline_replay"

        # The officer sees the results, and the twin registered online waiting in review with both versions.
        page.goto("/offline/review/")
        item = page.locator(".review-item")
        assert item.count() == 1 and item.get_attribute("data-code") == "birth_already_registered"
        assert "Hoàng Minh Bảo" in item.locator(".offline-version").inner_text()
        assert "Hoàng Minh Bảo" in item.locator(".registry-version").inner_text()
        assert_accessible(page)
        context.close()

    held = _shell(live_web, CHECK % picked)
    assert held["children"] == ["Hoàng Minh An", "Hoàng Minh Bảo"]  # one each: no duplicate from the cut sync
    assert held["deceased"] == "deceased"
    assert held["temporary"] == 1
    assert held["records"] == [["applied", ""]] * 3 + [["needs_review", "birth_already_registered"]]
