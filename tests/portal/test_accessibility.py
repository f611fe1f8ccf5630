"""The walk of issue 15's "Done when", in real Chromium, in Vietnamese and in English, at phone size (360 x 780) and
at desktop size: every page of the birth and death declarations, the payment, the case, the results and the public
check, sign-in for a relying party, the portal's own pages, and the officials' search, person, household, queue and
dossier pages. On each page axe-core finds no serious or critical violation, nothing scrolls sideways, and the page
shows no text of the other language (tests/language.py) except the data recorded as it is: people's names and
addresses, places, ethnic groups and religions, organisations and offices, what the walk itself typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.a11y import DESKTOP, PHONE, assert_accessible
from tests.language import assert_english, assert_vietnamese
from tests.live import LiveWeb, RelyingParty

pytestmark = pytest.mark.slow

#: (language, viewport): the four ways the pages are read.
WAYS = [("vi", PHONE), ("en", PHONE), ("vi", DESKTOP), ("en", DESKTOP)]
WAY_IDS = ["vi-phone", "en-phone", "vi-desktop", "en-desktop"]
#: The child each walk declares, so that no two walks declare the same birth.
CHILDREN = ["Trần Minh Khôi", "Trần Gia Hân", "Trần Đức Anh", "Trần Ngọc Ánh"]
#: What the walks type, shown back as it was typed (the decided births' children, the death's relationship and place).
TYPED = ["Trần Bảo Châu", "Trần Bảo Long", "cháu", "Tại nhà", "giay-chung-sinh.pdf", "giay-bao-tu.png"]
LANGUAGE_CHECKS = {"vi": assert_vietnamese, "en": assert_english}
#: The live registry's values shown as they are recorded (one shell call, read once per module).
DATA_SCRIPT = """
import json
from dancu.accounts.models import Official
from dancu.exchange.models import AccessRecord, ConnectedSystem
from dancu.geo.models import Commune, District, Province
from dancu.procedures.models import Document, Transition
from dancu.registry.choices import ETHNIC_GROUPS, RELIGIONS
from dancu.registry.models import Household, Person
from django.contrib.auth.models import User
values = set(ETHNIC_GROUPS.values()) | set(RELIGIONS)
for c in Commune.objects.select_related("province"):
    values |= {c.name, c.full_name, c.division_type, c.province.name}
values |= set(Province.objects.values_list("name", flat=True)) | set(District.objects.values_list("name", flat=True))
for row in Person.objects.values_list("full_name", "family_name", "middle_name", "given_name", "birth_place_text"):
    values |= set(row)
values |= set(Household.objects.values_list("address_line", flat=True))
for row in User.objects.values_list("first_name", "last_name"):
    values |= set(row) | {" ".join(row), " ".join(row[::-1])}
values |= {o.office_name for o in Official.objects.all()}
values |= set(ConnectedSystem.objects.values_list("organisation", flat=True))
values |= set(ConnectedSystem.objects.values_list("name", flat=True))
for row in AccessRecord.objects.values_list("organisation", "actor"):
    values |= set(row)
values |= set(Transition.objects.exclude(reason="").values_list("reason", flat=True))
values |= set(Document.objects.values_list("title", flat=True))
from oauth2_provider.models import Application
values |= set(Application.objects.values_list("name", flat=True))  # relying parties' names as registered
from dancu.accounts.models import Passkey
values |= set(Passkey.objects.values_list("name", flat=True))  # as the citizen named them (in the page's language then)
print(json.dumps(sorted(v for v in values if v)))
"""


@pytest.fixture(scope="module")
def data(live_web: LiveWeb, decided: str) -> list[str]:
    """The recorded values the pages may show in either language (after the decided dossier exists)."""
    import json

    return [*json.loads(live_web.dancu("shell", "-c", DATA_SCRIPT).strip().splitlines()[-1]), *CHILDREN, *TYPED]


def _context(browser: Any, web: LiveWeb, language: str, viewport: dict[str, int], base_url: str = "") -> Any:
    context = browser.new_context(locale="vi-VN", base_url=base_url or web.url, viewport=viewport)
    # The language switch's cookie: the portal never guesses the language from the browser (Vietnamese first).
    context.add_cookies([{"name": "django_language", "value": language, "url": web.url}])
    if base_url:  # the relying party's own switch (its cookie of its own)
        context.add_cookies([{"name": "demo_rp_language", "value": language, "url": base_url}])
    return context


@pytest.fixture
def way(request: pytest.FixtureRequest, live_web: LiveWeb, browser: Any) -> Iterator[tuple[str, Any]]:
    language, viewport = request.param
    context = _context(browser, live_web, language, viewport)
    yield language, context.new_page()
    context.close()


def _check(page: Any, language: str, data: list[str]) -> None:
    """The page is in ``language`` (its lang, and no text of the other language), accessible, and fits the width."""
    assert page.evaluate("() => document.documentElement.lang") == language, page.url
    assert_accessible(page)
    try:
        LANGUAGE_CHECKS[language](page.content(), data=data)
    except AssertionError as error:
        raise AssertionError(f"{page.url}: {error}") from None


def _sign_in(page: Any, pin: str, password: str) -> None:
    page.locator("#pin").fill(pin)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("#password").press("Enter")


def _submit_without_browser_checks(page: Any, form: str) -> None:
    """Send a form as it is, past the browser's own required-field checks: what the server answers must be
    accessible too."""
    with page.expect_navigation():
        page.evaluate(
            f"() => {{ const f = document.querySelector('{form}'); f.noValidate = true; f.requestSubmit(); }}"
        )


def _declare_birth(page: Any, child: str, copies: int) -> None:
    page.goto("/portal/thu-tuc/khai-sinh/")
    page.locator("#child_full_name").fill(child)
    page.locator("#child_sex").select_option("M")
    page.locator("#child_birth_date").fill((date.today() - timedelta(days=3)).isoformat())
    page.locator("#birth_certificate").set_input_files(
        {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n% certificate\n"}
    )
    page.locator("#extract_copies").fill(str(copies))
    with page.expect_navigation():
        page.locator("#extract_copies").press("Enter")


def _official(browser: Any, web: LiveWeb, viewport: dict[str, int], language: str = "vi") -> Any:
    page = _context(browser, web, language, viewport).new_page()
    page.goto("/login/")
    page.locator("#id_username").fill("hotich")
    page.locator("#id_password").fill((web.officials or {})["hotich"])
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    return page


@pytest.fixture(scope="module")
def decided(live_web: LiveWeb, browser: Any) -> str:
    """Two births declared by the level-1 citizen, the first approved by the civil-status officer: dossiers in the
    officer's queue, a result in the citizen's documents. The decided dossier's address."""
    context = _context(browser, live_web, "vi", DESKTOP)
    page = context.new_page()
    page.goto("/portal/dang-nhap/")
    me = live_web.citizens["level1"]
    _sign_in(page, me["pin"], me["password"])
    for child in ("Trần Bảo Châu", "Trần Bảo Long"):
        _declare_birth(page, child, copies=0)
    context.close()
    code = (
        "from dancu.procedures.models import Dossier; print(Dossier.objects.filter("
        "data__child_full_name='Trần Bảo Châu', procedure__code='birth-registration').values_list('pk', flat=True)[0])"
    )
    dossier = live_web.dancu("shell", "-c", code).strip().splitlines()[-1]
    officer = _official(browser, live_web, DESKTOP)
    officer.goto(f"/ho-so/{dossier}/")
    officer.locator("#take").click()  # only the officer who took the dossier decides it, after confirming
    officer.locator("#confirm-approve").check()
    officer.locator("#approve").click()
    officer.locator("#dossier-result").wait_for()
    url = officer.url
    officer.context.close()
    return str(url)


def _living_pin(web: LiveWeb, offset: int) -> str:
    code = (
        "from dancu.registry.models import Person; print(Person.objects.filter(status='living', "
        "household__isnull=False, eid_account__isnull=True, permanent_residences__valid_to__isnull=True)"
        f".order_by('-birth_date').values_list('pin', flat=True)[{offset}])"
    )
    return web.dancu("shell", "-c", code).strip().splitlines()[-1]


@pytest.mark.parametrize("way", WAYS, ids=WAY_IDS, indirect=True)
def test_the_citizen_pages(live_web: LiveWeb, way: tuple[str, Any], data: list[str]) -> None:
    from playwright.sync_api import expect

    language, page = way
    index = [w[0] + str(w[1]["width"]) for w in WAYS].index(language + str(page.viewport_size["width"]))
    me = live_web.citizens["level1"]
    for path in ("/portal/dang-nhap/", "/portal/dang-ky/", "/portal/khoi-phuc/", "/ket-qua/"):
        page.goto(path)
        _check(page, language, data)
    page.goto("/portal/dang-nhap/")
    _sign_in(page, me["pin"], me["password"])
    _check(page, language, data)
    if page.viewport_size["width"] < 992:  # the menu is collapsed behind its button on a phone
        expect(page.locator("#portal-menu")).to_be_hidden()
        page.locator(".navbar-toggler").click()
        expect(page.locator("#portal-menu")).to_be_visible()
        _check(page, language, data)
    for path in ("/portal/thu-tuc/", "/portal/dong-y/", "/portal/lich-su-truy-cap/", "/portal/bao-mat/"):
        page.goto(path)
        _check(page, language, data)

    # The birth declaration: the empty form, the form sent back with its errors, then a real one with a paid copy.
    page.goto("/portal/thu-tuc/khai-sinh/")
    _check(page, language, data)
    _submit_without_browser_checks(page, "form[enctype]")
    _check(page, language, data)
    _declare_birth(page, CHILDREN[index], copies=2)
    expect(page.locator("#amount")).to_have_text(re.compile("16.000\u00a0đ" if language == "vi" else "16,000\u00a0VND"))
    _check(page, language, data)  # the payment provider's page
    page.locator("#pay").click()
    expect(page.locator("#payment-paid")).to_be_visible()
    _check(page, language, data)  # the case

    # The death declaration: empty form, errors, then a real one.
    page.goto("/portal/thu-tuc/khai-tu/")
    _check(page, language, data)
    _submit_without_browser_checks(page, "form[enctype]")
    _check(page, language, data)
    page.locator("#deceased_pin").fill(_living_pin(live_web, 10 + index))
    page.locator("#death_date").fill((date.today() - timedelta(days=1)).isoformat())
    page.locator("#requester_relationship").fill("cháu")
    page.locator("#death_place").fill("Tại nhà")
    page.locator("#death_notice").set_input_files(
        {"name": "giay-bao-tu.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\0" * 64}
    )
    with page.expect_navigation():
        page.locator("#death_place").press("Enter")
    expect(page.locator("[data-procedure]").first).to_be_visible()
    _check(page, language, data)


@pytest.mark.parametrize("way", WAYS, ids=WAY_IDS, indirect=True)
def test_the_officials_pages(
    live_web: LiveWeb, browser: Any, decided: str, way: tuple[str, Any], data: list[str]
) -> None:
    language, page = way
    viewport = page.viewport_size
    page.goto("/login/")
    _check(page, language, data)  # the back office follows the same switch
    page = _official(browser, live_web, viewport, language)
    _check(page, language, data)
    page.locator("#name").fill("Trần")
    with page.expect_navigation():
        page.locator("#name").press("Enter")
    _check(page, language, data)
    page.locator("a[href*='/persons/']").first.click()
    _check(page, language, data)
    household = page.locator("a[href*='/households/']")
    if household.count():
        household.first.click()
        _check(page, language, data)
    page.goto("/ho-so/")  # the officer's queue
    _check(page, language, data)
    page.locator("#queue tbody tr a").first.click()
    _check(page, language, data)
    page.goto(decided)  # a dossier with its decision and result
    _check(page, language, data)
    page.context.close()


@pytest.mark.parametrize("way", WAYS, ids=WAY_IDS, indirect=True)
def test_the_results_and_their_check(live_web: LiveWeb, decided: str, way: tuple[str, Any], data: list[str]) -> None:
    from playwright.sync_api import expect

    language, page = way
    me = live_web.citizens["level1"]
    page.goto("/portal/dang-nhap/")
    _sign_in(page, me["pin"], me["password"])
    page.goto("/portal/giay-to/")
    _check(page, language, data)
    page.locator("#documents a[href*='/ket-qua/']").first.click()
    expect(page.locator("#check-verdict")).to_have_attribute("data-code", "document_valid")
    _check(page, language, data)
    page.locator("#token").fill("not a document at all")
    with page.expect_navigation():
        page.locator("form:has(#token) button[type=submit]").click()
    expect(page.locator("#check-verdict")).to_have_attribute("data-code", "document_not_recognised")
    _check(page, language, data)


@pytest.mark.parametrize(("language", "viewport"), WAYS, ids=WAY_IDS)
def test_sign_in_for_a_relying_party(
    live_web: LiveWeb, demo_rp: RelyingParty, browser: Any, language: str, viewport: dict[str, int], data: list[str]
) -> None:
    from playwright.sync_api import expect

    context = _context(browser, live_web, language, viewport, base_url=demo_rp.url)
    try:
        page = context.new_page()
        page.goto("/")
        _check(page, language, data)  # the demo relying party's own page
        page.locator("#rp-login").click()
        expect(page).to_have_url(re.compile(re.escape(live_web.url) + "/portal/dang-nhap/"))
        _check(page, language, data)
        _sign_in(page, live_web.citizens["level1"]["pin"], live_web.citizens["level1"]["password"])
        if page.url.startswith(live_web.url):  # the consent page, unless an earlier sign-in remembered it
            _check(page, language, data)
            page.locator('button[name="allow"][value="Authorize"]').click()
        expect(page.locator("#rp-acr")).to_be_visible()
        _check(page, language, data)  # signed in at the relying party: the claims it received
        page.locator("form[action*='logout'] button, a[href*='logout']").first.click()
        expect(page).to_have_url(re.compile(re.escape(live_web.url) + "/o/logout/"))
        _check(page, language, data)
    finally:
        context.close()
