"""Sign-in for a relying party on ANOTHER origin, in real Chromium with the provider's Content-Security-Policy
enforced: the demo relying party (``dancu demo_rp``, its own server process on another loopback port) does the code
flow with PKCE and the token exchange, and the browser goes through sign-in, consent, remembered consent, the second
factor for level 2, and RP-initiated logout without a single CSP violation. Then the policy itself: ``form-action``
names the client's origin only on the responses that may redirect to it, and only once its URI is validated."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from tests.live import LiveWeb, RelyingParty

pytestmark = pytest.mark.slow


def _totp(secret_base32: str, offset: int = 0) -> str:
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(time.time() + offset).decode()


class Violations:
    """CSP violations and failed navigations seen by the browser (any document, any origin)."""

    def __init__(self, context: Any) -> None:
        self.seen: list[str] = []
        context.expose_binding("dancuCspViolation", lambda _source, text: self.seen.append(f"event: {text}"))
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "window.dancuCspViolation(e.effectiveDirective + ' ' + e.blockedURI + ' on ' + e.documentURI));"
        )

    def watch(self, page: Any) -> None:
        def console(message: Any) -> None:
            if message.type == "error" and ("Content Security Policy" in message.text or "violates" in message.text):
                self.seen.append(f"console: {message.text}")

        def failed(request: Any) -> None:
            if request.is_navigation_request():
                self.seen.append(f"navigation failed: {request.url.split('?')[0]} {request.failure}")

        page.on("console", console)
        page.on("requestfailed", failed)


def _sign_in(page: Any, citizen: dict[str, str]) -> None:
    page.get_by_label("Số định danh cá nhân").fill(citizen["pin"])
    page.get_by_label("Mật khẩu").fill(citizen["password"])
    # Wait for the redirect that follows the POST: a goto right after the click would cancel it (ERR_ABORTED).
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập", exact=True).click()


def test_a_relying_party_on_another_origin_completes_every_step(
    live_web: LiveWeb, demo_rp: RelyingParty, browser: Any
) -> None:
    from playwright.sync_api import expect

    assert demo_rp.url.split(":")[-1] != live_web.url.split(":")[-1]  # two origins
    context = browser.new_context(locale="vi-VN", base_url=demo_rp.url)
    violations = Violations(context)
    try:
        page = context.new_page()
        violations.watch(page)
        level1 = live_web.citizens["level1"]
        level2 = _new_level2_account(live_web, "+84912000008", totp=True)

        # Sign-in and consent: the consent form's POST redirects to the RP's origin.
        page.goto("/")
        page.locator("#rp-login").click()
        expect(page).to_have_url(re.compile(re.escape(live_web.url) + "/portal/dang-nhap/"))
        _sign_in(page, level1)
        page.locator('button[name="allow"][value="Authorize"]').click()
        expect(page.locator("#rp-acr")).to_have_text("urn:dancu:eid:level1")
        expect(page.locator("#rp-amr")).to_have_text("pwd")
        assert page.url.startswith(demo_rp.url)

        # RP-initiated logout: the confirmation form's POST redirects to the RP's post-logout URI.
        page.get_by_role("button", name=re.compile("Đăng xuất")).click()
        expect(page).to_have_url(re.compile(re.escape(live_web.url) + "/o/logout/"))
        page.locator('button[name="allow"][value="Logout"]').click()
        expect(page.locator("#rp-login")).to_be_visible()
        assert page.url == f"{demo_rp.url}/"

        # Remembered consent: the sign-in form's POST goes on through the authorization endpoint to the RP.
        page.locator("#rp-login").click()
        _sign_in(page, level1)
        expect(page.locator("#rp-acr")).to_have_text("urn:dancu:eid:level1")
        page.get_by_role("button", name=re.compile("Đăng xuất")).click()
        page.locator('button[name="allow"][value="Logout"]').click()
        expect(page.locator("#rp-login")).to_be_visible()

        # Level 2 (acr_values): password, then the authenticator code, then consent, back at the RP with level 2.
        page.locator("#rp-login-2").click()
        _sign_in(page, level2)
        expect(page).to_have_url(re.compile("/portal/dang-nhap/ma-xac-thuc/"))
        page.locator("#code").fill(_totp(level2["totp_secret_base32"], offset=30))  # the next step: never spent
        page.locator("#code").press("Enter")
        page.locator('button[name="allow"][value="Authorize"]').click()
        expect(page.locator("#rp-acr")).to_have_text("urn:dancu:eid:level2")
        expect(page.locator("#rp-amr")).to_have_text("mfa otp pwd")

        # A level-1 account asked for level 2: the error reaches the RP, on its origin.
        context.clear_cookies()
        page.goto("/login/?level=2")
        _sign_in(page, level1)
        expect(page.locator("#rp-error")).to_contain_text("unmet_authentication_requirements")
        assert violations.seen == []

        # The watch itself works: a provider page that continues no authorization keeps form-action 'self', and a
        # form posting from it to the RP is reported.
        page.goto(f"{live_web.url}/portal/")
        with page.expect_console_message(lambda message: "form-action" in message.text):
            page.evaluate(
                "url => { const f = document.createElement('form'); f.method = 'post'; f.action = url;"
                " document.body.appendChild(f); f.submit(); }",
                f"{demo_rp.url}/",
            )
        assert any("form-action" in seen for seen in violations.seen), violations.seen
    finally:
        context.close()


def test_step_up_page_continues_to_the_relying_party(live_web: LiveWeb, demo_rp: RelyingParty, browser: Any) -> None:
    """A level-2 citizen signed in with a password only (their authenticator app added afterwards, in this session)
    is sent to the step-up page by a level-2 request; its form's POST ends at the RP."""
    from playwright.sync_api import expect

    me = _new_level2_account(live_web, "+84912000009", totp=False)
    context = browser.new_context(locale="vi-VN", base_url=demo_rp.url)
    violations = Violations(context)
    try:
        page = context.new_page()
        violations.watch(page)
        page.goto(f"{live_web.url}/portal/dang-nhap/")
        _sign_in(page, me)
        # The authenticator app is added now: this session stays password-only (level 1).
        page.goto(f"{live_web.url}/portal/bao-mat/")
        page.locator('form:has(input[name="action"][value="totp_begin"]) button[type="submit"]').click()
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.locator("#code").fill(_totp(secret))
        with page.expect_navigation():
            page.locator("#code").press("Enter")
        page.goto(f"{demo_rp.url}/login/?level=2")
        expect(page).to_have_url(re.compile("/portal/xac-thuc-muc-2/"))
        page.locator("#code").fill(_totp(secret, offset=30))
        page.locator("#code").press("Enter")
        page.locator('button[name="allow"][value="Authorize"]').click()
        expect(page.locator("#rp-acr")).to_have_text("urn:dancu:eid:level2")
        expect(page.locator("#rp-amr")).to_have_text("mfa otp pwd")
    finally:
        context.close()
    assert violations.seen == []


def _new_level2_account(web: LiveWeb, phone: str, *, totp: bool) -> dict[str, str]:
    """A level-2 account of this module's own (made through the ORM, as `dancu demo_citizens` does: level 2 is
    activated in person), so that its one-time codes are not spent by other modules' tests of the shared server."""
    script = (
        "import base64, json, secrets\n"
        "from django.utils import timezone\n"
        "from dancu.accounts import demo, services\n"
        "from dancu.accounts.models import TotpDevice\n"
        "person = demo._candidates(1)[0]\n"
        "password = 'Dancu-' + secrets.token_urlsafe(9)\n"
        f"account = demo._account(person, password, {phone!r}, 2)\n"
        "key = secrets.token_bytes(20)\n"
        f"if {totp!r}:\n"
        "    box = services._secret_box().seal(b'totp:' + str(account.pk).encode(), key)\n"
        "    TotpDevice.objects.create(account=account, secret=box, confirmed_at=timezone.now())\n"
        "secret = base64.b32encode(key).decode().rstrip('=')\n"
        "print(json.dumps({'pin': person.pin, 'password': password, 'totp_secret_base32': secret}))\n"
    )
    return dict(json.loads(web.dancu("shell", "-c", script).strip().splitlines()[-1]))


# --- the policy, response by response --------------------------------------------------------------------------------


def _form_action(response: requests.Response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("form-action"))
    return directive.split()[1:]


def _authorize_path(client_id: str, redirect_uri: str) -> str:
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "openid",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
        "state": "s", "nonce": "n",
    }  # fmt: skip
    return "/o/authorize/?" + urlencode(query)


def test_form_action_names_the_validated_client_origin_only_where_needed(
    live_web: LiveWeb, demo_rp: RelyingParty
) -> None:
    rp_origin = demo_rp.url
    good = _authorize_path(demo_rp.client_id, f"{rp_origin}/callback/")
    unregistered = _authorize_path(demo_rp.client_id, "https://evil.example/callback/")
    unknown_client = _authorize_path("no-such-client", f"{rp_origin}/callback/")
    http = requests.Session()
    login = f"{live_web.url}/portal/dang-nhap/"

    # The sign-in page: widened only when its next continues a valid authorization (directly or via step-up).
    assert _form_action(http.get(login)) == ["'self'"]
    assert _form_action(http.get(login, params={"next": good})) == ["'self'", rp_origin]
    via_step_up = "/portal/xac-thuc-muc-2/?" + urlencode({"next": good})
    assert _form_action(http.get(login, params={"next": via_step_up})) == ["'self'", rp_origin]
    for bad in (unregistered, unknown_client, f"{rp_origin}/callback/", "//evil.example/o/authorize/", "/portal/"):
        assert _form_action(http.get(login, params={"next": bad})) == ["'self'"], bad

    # Signed in: the consent screen (and the remembered-consent redirect) carry the origin; a refused request not.
    citizen = live_web.citizens["level1"]
    page = http.get(login, params={"next": "/portal/"})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    http.post(login, data={"csrfmiddlewaretoken": token, "pin": citizen["pin"], "password": citizen["password"]})
    consent = http.get(live_web.url + good + "&prompt=consent", allow_redirects=False)
    assert consent.status_code == 200 and 'id="authorizationForm"' in consent.text
    assert _form_action(consent) == ["'self'", rp_origin]
    refused = http.get(live_web.url + unregistered, allow_redirects=False)
    assert refused.status_code == 400 and _form_action(refused) == ["'self'"]
    # The step-up page with an authorization as next (a level-1 account: the page itself is shown).
    step_up = http.get(f"{live_web.url}/portal/xac-thuc-muc-2/", params={"next": good})
    assert _form_action(step_up) == ["'self'", rp_origin]

    # Logout: only a registered post-logout URI of that client.
    logout = f"{live_web.url}/o/logout/"
    ok = http.get(logout, params={"client_id": demo_rp.client_id, "post_logout_redirect_uri": f"{rp_origin}/"})
    assert ok.status_code == 200 and _form_action(ok) == ["'self'", rp_origin]
    other = http.get(
        logout, params={"client_id": demo_rp.client_id, "post_logout_redirect_uri": "https://evil.example/"}
    )
    assert _form_action(other) == ["'self'"]

    # Everything else keeps form-action 'self'.
    for path in ("/portal/", "/portal/bao-mat/", "/o/.well-known/openid-configuration", "/"):
        response = http.get(live_web.url + path)
        assert _form_action(response) == ["'self'"], path
