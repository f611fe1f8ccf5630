"""A purpose of processing has a Vietnamese and an English name: the seeded ones get both (and rows seeded before
get the English one, by the migration and by ``ensure_reference_data``); every page showing a purpose to a person
shows the name in the page's language ("who accessed my data", the consent page, the admin)."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import translation

from dancu.exchange import services
from dancu.exchange.access import AccessChannel, pin_hmac_hex, record_access
from dancu.exchange.models import Purpose
from dancu.gateway.ledger import Ledger, LedgerEntry
from tests import factories
from tests.language import assert_english, assert_vietnamese

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
KYC_VI, KYC_EN = "Định danh khách hàng ngân hàng (eKYC)", "Bank customer identification (eKYC)"
SOCIAL_VI, SOCIAL_EN = "Chi trả chế độ bảo hiểm xã hội", "Social-insurance benefit payments"


def test_every_seeded_purpose_has_both_names() -> None:
    services.ensure_reference_data()
    seeded = Purpose.objects.filter(code__in=[code for code, _name, _basis in services.DEFAULT_PURPOSES])
    assert seeded.count() == len(services.DEFAULT_PURPOSES)
    for purpose in seeded:
        assert purpose.name and purpose.name_en and purpose.name != purpose.name_en
        assert_english(purpose.name_en)
        with translation.override("en"):
            assert purpose.display_name == purpose.name_en
        with translation.override("vi"):
            assert purpose.display_name == purpose.name


def test_rows_seeded_without_an_english_name_get_it_and_an_edited_one_is_kept() -> None:
    services.ensure_reference_data()
    Purpose.objects.filter(code="kyc-banking").update(name_en="")
    Purpose.objects.filter(code="social-insurance").update(name_en="Pension and benefits")
    importlib.import_module("dancu.exchange.migrations.0009_purpose_english_names").fill(apps, None)
    assert Purpose.objects.get(code="kyc-banking").name_en == KYC_EN
    Purpose.objects.filter(code="kyc-banking").update(name_en="")
    services.ensure_reference_data()
    assert Purpose.objects.get(code="kyc-banking").name_en == KYC_EN
    assert Purpose.objects.get(code="social-insurance").name_en == "Pension and benefits"


def test_a_purpose_without_an_english_name_shows_the_vietnamese_one() -> None:
    purpose = factories.purpose(name="Thống kê dân số")
    with translation.override("en"):
        assert purpose.display_name == "Thống kê dân số"


@pytest.fixture
def ledger(settings: Any, tmp_path: Path) -> Ledger:
    settings.DANCU_LEDGER = str(tmp_path / "ledger.sqlite3")
    return Ledger(Path(settings.DANCU_LEDGER), signing_key=Ed25519PrivateKey.generate(), key_id="k")


def test_who_accessed_my_data_names_the_purpose_in_the_page_s_language(ledger: Ledger, client: Client) -> None:
    account = factories.account()
    pin = account.person.pin
    system = factories.connected_system("demo-bank")
    ledger.append_batch(
        [LedgerEntry("2026-12-01T01:00:00.000Z", system.client_id, "kyc-banking", "verify", pin_hmac_hex(pin),
                     ("full_name",), "found", "r1")]
    )  # fmt: skip
    record_access(pin, channel=AccessChannel.LIFE_EVENT, organisation="Bảo hiểm xã hội Việt Nam",
                  purpose="social-insurance", fields=["full_name"], time=START + dt.timedelta(hours=1))  # fmt: skip
    client.post("/portal/dang-nhap/", {"pin": pin, "password": factories.PASSWORD})
    data = [account.person.full_name, system.organisation, "Bảo hiểm xã hội Việt Nam"]
    vietnamese = client.get("/portal/lich-su-truy-cap/").content.decode()
    assert KYC_VI in vietnamese and SOCIAL_VI in vietnamese
    assert KYC_EN not in vietnamese and SOCIAL_EN not in vietnamese
    assert_vietnamese(vietnamese, data=data)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/portal/lich-su-truy-cap/").content.decode()
    assert KYC_EN in english and SOCIAL_EN in english
    assert KYC_VI not in english and SOCIAL_VI not in english
    assert_english(english, data=data)


def test_the_consent_page_names_the_purpose_in_the_page_s_language(client: Client) -> None:
    account = factories.account()
    system = factories.connected_system("demo-bank")
    factories.grant(system, Purpose.objects.get(code="kyc-banking"), fields=("full_name", "ethnicity"))
    client.post("/portal/dang-nhap/", {"pin": account.person.pin, "password": factories.PASSWORD})
    data = [account.person.full_name, system.organisation, system.name]
    vietnamese = client.get("/portal/dong-y/").content.decode()
    assert KYC_VI in vietnamese and KYC_EN not in vietnamese
    assert_vietnamese(vietnamese, data=data)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/portal/dong-y/").content.decode()
    assert KYC_EN in english and KYC_VI not in english
    assert_english(english, data=data)  # the legal basis, a Vietnamese title, is marked lang="vi"


def test_the_admin_lists_both_names(admin_client: Client) -> None:
    services.ensure_reference_data()
    page = admin_client.get("/admin/exchange/purpose/").content.decode()
    assert KYC_VI in page and KYC_EN in page
    assert "Tên tiếng Anh" in page
