"""The person's "who accessed my data": the gateway's ledger and the access records in one timeline, newest first,
paged across both sources with nothing shown twice or skipped, in the reader's language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.test import Client
from django.utils import translation

from dancu.exchange.access import AccessChannel, pin_hmac_hex, record_access
from dancu.exchange.models import Purpose
from dancu.exchange.timeline import Cursor, access_timeline
from dancu.gateway.ledger import Ledger, LedgerEntry
from tests import factories

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def ledger(settings: Any, tmp_path: Path) -> Ledger:
    settings.DANCU_LEDGER = str(tmp_path / "ledger.sqlite3")
    return Ledger(Path(settings.DANCU_LEDGER), signing_key=Ed25519PrivateKey.generate(), key_id="k")


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _interleaved(ledger: Ledger, pin: str) -> list[str]:
    """Ten accesses alternating between the sources, a minute apart; their labels, newest first."""
    system = factories.connected_system("demo-bank")
    labels = []
    for minute in range(10):
        when = START + dt.timedelta(minutes=minute)
        if minute % 3 == 0:
            record_access(pin, channel=AccessChannel.SIGN_IN, organisation=f"rp {minute}", purpose="sign_in",
                          fields=["full_name", "pin"], reference="demo-rp", time=when)  # fmt: skip
        else:
            operation = "lookup" if minute % 2 else "verify"
            ledger.append_batch([LedgerEntry(_iso(when), system.client_id, "kyc-banking", operation,
                                             pin_hmac_hex(pin), ("full_name",), "found", f"r{minute}")])  # fmt: skip
        labels.append(f"{minute}")
    return labels[::-1]


def _minutes(accesses: list[Any]) -> list[str]:
    return [str(int((a.time - START).total_seconds() // 60)) for a in accesses]


def test_both_sources_newest_first_and_paged_without_gaps_or_repeats(ledger: Ledger) -> None:
    person = factories.person()
    want = _interleaved(ledger, person.pin)
    factories.person()  # someone else's data does not show
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = access_timeline(person.pin, cursor=cursor, limit=3)
        seen += _minutes(page.accesses)
        pages += 1
        if page.next is None:
            break
        cursor = Cursor.parse(str(page.next))  # through the URL's text
    assert seen == want
    assert pages == 4


def test_an_access_reads_in_people_s_words(ledger: Ledger) -> None:
    person = factories.person()
    _interleaved(ledger, person.pin)
    with translation.override("vi"):
        accesses = access_timeline(person.pin).accesses
        by_minute = dict(zip(_minutes(accesses), accesses, strict=True))
        assert by_minute["9"].kind_name == "Đăng nhập dịch vụ"
        assert by_minute["9"].data == ["Số định danh cá nhân", "Họ, chữ đệm và tên"]
        assert by_minute["9"].purpose_name == "Khi bạn đăng nhập"
        assert (by_minute["7"].kind_name, by_minute["8"].kind_name) == ("Tra cứu", "Xác thực thông tin")
        assert by_minute["7"].purpose_name == Purpose.objects.get(code="kyc-banking").name
        assert by_minute["7"].organisation == "Tổ chức demo-bank"
    with translation.override("en"):
        assert access_timeline(person.pin).accesses[0].data == ["Personal ID number", "Full name"]


def test_identical_accesses_in_a_row_are_one_line_with_a_count(ledger: Ledger) -> None:
    person = factories.person()
    for minute in range(4):
        record_access(person.pin, channel=AccessChannel.SIGN_IN, organisation="Cổng dịch vụ công", purpose="userinfo",
                      fields=["full_name"], reference="demo-rp", time=START + dt.timedelta(minutes=minute))  # fmt: skip
    (line,) = access_timeline(person.pin).accesses
    assert (line.count, line.time, line.earliest) == (4, START + dt.timedelta(minutes=3), START)


def test_a_cursor_from_a_url_is_never_an_error(ledger: Ledger) -> None:
    person, other = factories.person(), factories.person()
    theirs = record_access(other.pin, channel=AccessChannel.SIGN_IN, organisation="x")
    for text in ("", "abc", "1.2.3", ".", f".{theirs.pk}", "-5.x"):
        page = access_timeline(person.pin, cursor=Cursor.parse(text))
        assert page.accesses == []


def test_the_portal_page_shows_the_timeline(ledger: Ledger, client: Client) -> None:
    account = factories.account()
    _interleaved(ledger, account.person.pin)
    record_access(account.person.pin, channel=AccessChannel.BACK_OFFICE, organisation="UBND phường Ba Đình",
                  actor="Nguyễn Thị Hồng", purpose="dossier", reference="HS-001", fields=["dossier"],
                  time=START + dt.timedelta(hours=1))  # fmt: skip
    client.post("/portal/dang-nhap/", {"pin": account.person.pin, "password": factories.PASSWORD})
    page = client.get("/portal/lich-su-truy-cap/").content.decode()
    assert "Cán bộ xem hồ sơ" in page and "Cán bộ Nguyễn Thị Hồng" in page and "Xử lý hồ sơ số HS-001" in page
    assert "01/12/2026 09:00" in page  # Vietnam time, dd/mm/yyyy
    assert "full_name" not in page
    assert page.index("HS-001") < page.index("Tra cứu")  # newest first
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/portal/lich-su-truy-cap/").content.decode()
    assert "An official viewed your record" in english and "Handled dossier no. HS-001" in english
    assert "Personal ID number, Full name" in english and "Cán bộ xem hồ sơ" not in english
