"""Logs without personal data (core/logs.py): the portal and the back office are driven in a browser, the gateway
is called over HTTP, the followers run; every line they log (unredacted: DANCU_LOG_SCRUB=0) is JSON with its role,
and none holds a PIN, a name or a phone number of the test data."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dancu.core.logs import scrub
from tests.live import LiveWeb, sign_in

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def test_scrub_redacts_digit_runs_in_any_spacing() -> None:
    assert scrub("pin 001090000001 phone +84 912 345 678, 0912.000.003") == (
        "pin [redacted] phone [redacted], [redacted]"
    )
    assert scrub("offset 12345678 took 250 ms, dossier 2026-12-04") == "offset 12345678 took 250 ms, dossier 2026-12-04"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _gateway(web: LiveWeb, log: Path) -> Iterator[str]:
    """The real gateway (granian, two workers) over the live server's projection and ledger; yields its URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = web.env | {"DANCU_GATEWAY_ISSUER": base, "DANCU_GATEWAY_WORKERS": "2"}
    with log.open("ab") as out:
        server = subprocess.Popen(
            [str(BIN / "dancu-serve"), "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "2", "--workers-kill-timeout", "5", "--log-level", "info", "dancu.gateway.app:app_factory"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
        yield base
    finally:
        # A worker still starting when the master's SIGTERM comes ignores it (granian 2.8): the kill timeout ends it.
        server.terminate()
        server.wait(60)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _drive_gateway(web: LiveWeb, base: str) -> None:
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(json.loads((web.var_dir / "demo-client" / "demo-bank.private.jwk.json").read_text()))
    now = int(time.time())
    claims = {"iss": "demo-bank", "sub": "demo-bank", "aud": f"{base}/oauth/token", "iat": now, "exp": now + 60,
              "jti": uuid.uuid4().hex}  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
    form = (
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
        f"%3Ajwt-bearer&client_assertion={assertion}&scope=kyc-banking"
    ).encode()
    status, answer = _post(f"{base}/oauth/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, answer
    bearer = {"Authorization": f"Bearer {answer['access_token']}", "Content-Type": "application/json"}
    me = web.citizens["level1"]
    for body in (
        {"pin": me["pin"], "purpose": "kyc-banking", "full_name": me["full_name"]},
        {"pin": me["pin"], "purpose": "kyc-banking", "full_name": "Sai Tên Người", "sex": "M"},
        {"pin": web.citizens["self_registration"]["pin"], "purpose": "no-such-purpose"},
    ):
        assert _post(f"{base}/v1/verify", json.dumps(body, ensure_ascii=False).encode(), bearer)[0] in (200, 400)
    batch = {"purpose": "kyc-banking", "items": [{"pin": me["pin"], "full_name": me["full_name"]}, {"pin": "12ab"}]}
    assert _post(f"{base}/v1/verify/batch", json.dumps(batch, ensure_ascii=False).encode(), bearer)[0] == 200
    assert _post(f"{base}/v1/verify", b'{"pin": "' + me["pin"].encode() + b'", broken', bearer)[0] == 400
    assert _post(f"{base}/v1/verify", b"{}", {"Authorization": "Bearer " + me["pin"]})[0] == 401


def _drive_browser(web: LiveWeb, browser: Any) -> None:
    from playwright.sync_api import expect

    me = web.citizens["level1"]
    context = browser.new_context(locale="vi-VN", base_url=web.url)
    page = context.new_page()
    sign_in(page, me["pin"], "wrong-Password-1")  # a failed sign-in
    sign_in(page, me["pin"], me["password"])
    for path in ("/portal/", "/portal/lich-su-truy-cap/", "/portal/thu-tuc/", "/portal/giay-to/", "/portal/bao-mat/"):
        assert page.goto(path).status == 200
    context.close()
    newcomer = web.citizens["self_registration"]
    context = browser.new_context(locale="vi-VN", base_url=web.url)
    page = context.new_page()
    page.goto("/portal/dang-ky/")
    for field in ("pin", "full_name", "birth_date", "card_issued_on", "phone"):
        page.locator(f"[name={field}]").fill(newcomer[field])
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    context.close()
    context = browser.new_context(locale="vi-VN", base_url=web.url)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill("tracuu")
    page.get_by_label("Mật khẩu").fill((web.officials or {})["tracuu"])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("[name=pin]")).to_be_visible()
    page.locator("[name=pin]").fill(me["pin"])
    page.locator("[name=pin]").press("Enter")
    page.wait_for_url("**/persons/*/")
    expect(page.locator("body")).to_contain_text(me["full_name"])
    page.goto(f"/?pin={me['pin']}&name={me['full_name']}")  # identifiers in a query string
    context.close()


def _needles(web: LiveWeb) -> dict[str, str]:
    """Every PIN, full name and phone number of the test data -> what it is."""
    found: dict[str, str] = {}
    with sqlite3.connect(web.var_dir / "dancu.sqlite3") as db:
        for pin, name in db.execute("SELECT pin, full_name FROM registry_person"):
            found[pin] = "PIN"
            found[name] = "name"
        for (phone,) in db.execute("SELECT phone FROM accounts_account WHERE phone != ''"):
            found[phone] = "phone"
            found[phone.replace("+84", "0", 1)] = "phone"
    phone = web.citizens["self_registration"]["phone"]
    found[phone] = found["+84" + phone[1:]] = "phone"
    return found


def test_no_log_line_holds_a_pin_a_name_or_a_phone_number(live_web: LiveWeb, browser: Any, tmp_path: Path) -> None:
    gateway_log = tmp_path / "gateway.log"
    with _gateway(live_web, gateway_log) as base:
        _drive_gateway(live_web, base)
    _drive_browser(live_web, browser)
    followers = ""
    for command in (["follow"], ["project"], ["messages", "deliver"]):
        done = subprocess.run(
            [str(BIN / "dancu"), *command, "-v0"], env=live_web.env, capture_output=True, text=True, timeout=300,
            check=True,
        )  # fmt: skip
        followers += done.stderr
    time.sleep(0.5)  # the web server's last lines reach its log
    lines = {
        "web": (live_web.var_dir / "web.log").read_text(errors="replace").splitlines(),
        "gateway": gateway_log.read_text(errors="replace").splitlines(),
        "followers": followers.splitlines(),
    }
    needles = _needles(live_web)
    assert len(needles) > 300
    leaks = [
        f"{source}: {what} in {line[:300]}"
        for source, text in lines.items()
        for line in text
        for needle, what in needles.items()
        if needle in line or needle.casefold() in line.casefold()
    ]
    assert leaks == []
    records = [json.loads(line) for line in lines["web"] if line.startswith("{")]
    assert any(r.get("role") == "web" and r.get("request_id") and r.get("event") == "request" for r in records)
    requests = [r for r in records if r.get("event") == "request"]
    assert {"route", "status", "ms", "method"} <= requests[-1].keys()
    gateway_records = [json.loads(line) for line in lines["gateway"] if line.startswith("{")]
    assert all(r["role"] == "gateway" for r in gateway_records)
    # Only granian's own start-up lines are not JSON (its master process logs before dancu is loaded).
    stray = [line for text in lines.values() for line in text if line.strip() and not line.startswith("{")]
    assert all(re.match(r"^\[(INFO|WARNING|ERROR)\] ", line) for line in stray), stray[:5]
