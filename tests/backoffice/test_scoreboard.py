"""The scoreboard page and its exports: figures of known activity, drill-down, the official's area, bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from dancu.insights import rollups
from tests import factories
from tests.insights.activity import COMMUNE, Activity, build_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db: Any, tmp_path: Path) -> Activity:
    return build_activity(tmp_path / "ledger.sqlite3")


def _client(role: str = "operator", area: str | None = None) -> Client:
    client = Client()
    client.force_login(factories.official(role=role, area=area, agency="population_registry" if area else None))
    return client


def test_the_national_scoreboard_shows_each_indicator_and_drills_down(activity: Activity) -> None:
    rollups.rebuild(activity.ledger)
    page = _client().get("/chi-so/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hồ sơ nộp trực tuyến" in html and "83,33%" in html
    assert 'href="?province=01&amp;start=' in html  # Hà Nội in the drill-down
    assert 'id="scoreboard-charts"' in html and "<script>" not in html
    province = _client().get("/chi-so/", {"province": "01"})
    assert f"commune={COMMUNE}" in province.content.decode()
    commune = _client().get("/chi-so/", {"province": "01", "commune": COMMUNE})
    assert commune.status_code == 200 and 'id="areas"' not in commune.content.decode()


def test_an_official_sees_only_their_area() -> None:
    leader = _client("leader", area="01")
    assert leader.get("/chi-so/").status_code == 200
    assert leader.get("/chi-so/", {"province": "79"}).status_code == 403
    assert leader.get("/chi-so/indicators.csv", {"province": "79"}).status_code == 403
    assert leader.get("/chi-so/", {"province": "01", "commune": COMMUNE}).status_code == 200
    commune = _client("leader", area=COMMUNE)
    assert commune.get("/chi-so/", {"province": "01"}).status_code == 403
    assert commune.get("/chi-so/", {"province": "01", "commune": "00007"}).status_code in (403, 404)
    assert _client("viewer").get("/chi-so/").status_code == 403  # no scoreboard permission
    anonymous = Client().get("/chi-so/")
    assert anonymous.status_code == 302


def test_bad_input_is_a_message_never_an_error() -> None:
    client = _client()
    reversed_period = client.get("/chi-so/", {"start": "2026-05-01", "end": "2026-01-01"})
    assert reversed_period.status_code == 200
    assert 'id="scoreboard-problems"' in reversed_period.content.decode()
    assert client.get("/chi-so/", {"start": "31/02/2026"}).status_code == 200
    assert client.get("/chi-so/", {"province": "99"}).status_code == 404
    assert client.get("/chi-so/", {"province": "x"}).status_code == 200  # a malformed code: the form says so
    assert client.get("/chi-so/nothing.csv").status_code == 404
    empty = client.get("/chi-so/", {"start": "2020-01-01", "end": "2020-02-01"})
    assert empty.status_code == 200 and "không có số liệu" in empty.content.decode()


def test_exports_csv_streamed_and_excel(activity: Activity) -> None:
    from openpyxl import load_workbook

    rollups.rebuild(activity.ledger)
    client = _client()
    response: Any = client.get("/chi-so/indicators.csv")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Chỉ số" and len(rows) == 10
    assert rows[1][1:4] == ["83,33%", "5", "6"]
    sheet = load_workbook(io.BytesIO(client.get("/chi-so/refusals.xlsx").content)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Mã", "Số lần từ chối"],
        ["purpose_not_granted", 1],
    ]
