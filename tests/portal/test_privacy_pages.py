"""The privacy pages say what they mean: no consent ticked in advance; the Security page names data, levels and
devices in people's words."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from oauth2_provider.models import Application

from dancu.accounts.models import Account, ClientConsent
from dancu.exchange.models import Consent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(client: Client) -> Account:
    account = factories.account()
    client.post("/portal/dang-nhap/", {"pin": account.person.pin, "password": factories.PASSWORD})
    return account


def test_no_consent_box_is_ticked_in_advance_and_none_ticked_is_asked_again(client: Client, citizen: Account) -> None:
    system = factories.connected_system("demo-bank")
    factories.grant(system, fields=("full_name", "ethnicity", "religion"))
    page = client.get("/portal/dong-y/").content.decode()
    boxes = re.findall(r'<input[^>]*name="consent_fields"[^>]*>', page)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)
    assert "Dân tộc" in page and "Ethnicity" not in page
    refused = client.post("/portal/dong-y/", {"action": "grant", "system": "demo-bank"}, follow=True)
    assert "Đánh dấu dữ liệu bạn đồng ý cung cấp." in refused.content.decode()
    assert not Consent.objects.exists()
    client.post("/portal/dong-y/", {"action": "grant", "system": "demo-bank", "consent_fields": ["religion"]})
    assert Consent.objects.get().fields == ["religion"]


def _application() -> Application:
    return Application.objects.create(
        name="Cổng dịch vụ công (demo)", client_id="demo-rp-test", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE, redirect_uris="https://rp.example/cb",
        algorithm=Application.RS256_ALGORITHM,
    )  # fmt: skip


def test_the_consent_screen_lists_the_data_by_name(client: Client, citizen: Account) -> None:
    _application()
    query = {
        "response_type": "code", "client_id": "demo-rp-test", "redirect_uri": "https://rp.example/cb",
        "scope": "openid profile pin phone", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256", "state": "s", "nonce": "n",
    }  # fmt: skip
    page = client.get("/o/authorize/", query).content.decode()
    listed = re.search(r'<ul id="released-data">(.*?)</ul>', page, re.S)
    assert listed is not None
    names = re.findall(r"<li>([^<]+)</li>", listed.group(1))
    assert names[1:] == ["Số định danh cá nhân", "Họ, chữ đệm và tên", "Ngày sinh", "Giới tính", "Số điện thoại"]
    assert "Ai đã truy cập dữ liệu của tôi" in page


def test_the_security_page_names_data_and_levels(client: Client, citizen: Account) -> None:
    app = _application()
    ClientConsent.objects.create(account=citizen, application=app, scopes=["openid", "pin", "profile", "address"])
    page = client.get("/portal/bao-mat/").content.decode()
    assert '<span id="session-assurance">Mức 1</span>' in page
    assert "urn:dancu:eid" not in page
    assert "nhận: Số định danh cá nhân, Họ, chữ đệm và tên, Ngày sinh, Giới tính, Địa chỉ thường trú" in page
    assert "openid" not in page and "profile" not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/portal/bao-mat/").content.decode()
    assert '<span id="session-assurance">Level 1</span>' in english
    assert "receives: Personal ID number, Full name, Date of birth, Sex, Permanent address" in english
