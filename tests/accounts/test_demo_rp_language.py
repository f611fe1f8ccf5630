"""The demo relying party's page is in one language at a time: Vietnamese by default, English after its switch (a
language cookie of its own), signed out, signed in and after a failed sign-in. Served here through its own URL
configuration, as ``dancu demo_rp`` serves it; the browser walk (tests/portal/test_languages_browser.py) goes through
the real server and provider."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.signing import get_cookie_signer
from django.test import Client

from dancu.accounts import demo_rp
from dancu.core import base64url
from tests.language import assert_english, assert_vietnamese

pytestmark = pytest.mark.django_db

CLAIMS = {"sub": "3f1c9a", "acr": "urn:dancu:eid:level1", "amr": ["pwd"], "name": "Đỗ Thị Lan"}
USERINFO = {"sub": "3f1c9a", "name": "Đỗ Thị Lan", "address": {"formatted": "Số 5 ngõ 12, phường Ba Đình, Hà Nội"}}
DATA = ["Đỗ Thị Lan", "Số 5 ngõ 12, phường Ba Đình, Hà Nội"]


@pytest.fixture
def rp(settings: Any, tmp_path: Any) -> Client:
    settings.VAR_DIR = tmp_path
    settings.ROOT_URLCONF = "dancu.accounts.demo_rp"
    settings.LANGUAGE_COOKIE_NAME = "demo_rp_language"
    (tmp_path / "demo-rp.json").write_text(
        json.dumps({"client_id": "demo-rp", "client_secret": "s", "provider": "http://127.0.0.1:1", "base_url": "x"})
    )
    return Client()


def _signed_in(client: Client) -> None:
    token = ".".join([base64url.encode(b"{}"), base64url.encode(json.dumps(CLAIMS).encode()), "sig"])
    user = demo_rp._pack({"userinfo": USERINFO, "id_token_raw": token})
    client.cookies[demo_rp.USER_COOKIE] = get_cookie_signer(salt=demo_rp.USER_COOKIE + demo_rp.SALT).sign(user)


def _pages(client: Client) -> list[str]:
    pages = [client.get("/").content.decode(), client.get("/?error=access_denied").content.decode()]
    _signed_in(client)
    pages.append(client.get("/").content.decode())
    return pages


def test_vietnamese_by_default(rp: Client) -> None:
    signed_out, failed, signed_in = _pages(rp)
    assert '<html lang="vi">' in signed_out and "Đăng nhập bằng tài khoản định danh điện tử" in signed_out
    assert "Đăng nhập không hoàn tất" in failed
    assert "Đã đăng nhập" in signed_in and "Đỗ Thị Lan" in signed_in and 'id="rp-acr"' in signed_in
    for page in (signed_out, failed, signed_in):
        assert_vietnamese(page, data=DATA)


def test_english_after_the_switch_and_back(rp: Client) -> None:
    page = rp.get("/").content.decode()
    assert 'name="language" value="en"' in page
    switched = rp.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302 and switched.cookies["demo_rp_language"].value == "en"
    signed_out, failed, signed_in = _pages(rp)
    assert '<html lang="en">' in signed_out and "Sign in with your e-ID account" in signed_out
    assert "Sign-in did not complete" in failed
    assert "Signed in:" in signed_in and "Đỗ Thị Lan" in signed_in
    for page in (signed_out, failed, signed_in):
        assert_english(page, data=DATA)
    rp.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert_vietnamese(rp.get("/").content.decode(), data=DATA)


def test_the_style_is_served_by_the_relying_party_itself(rp: Client) -> None:
    css = rp.get("/rp.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert "overflow-wrap:anywhere" in css.content.decode()
