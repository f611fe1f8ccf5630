"""Open data: aggregates only, cells below 10 withheld, only months that ended at least the delay ago."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dancu.insights import opendata
from dancu.insights.models import DailyCount

pytestmark = pytest.mark.django_db


def _count(day: dt.date, metric: str, value: int, province: str = "01") -> None:
    DailyCount.objects.create(day=day, province=province, commune="00004", metric=metric, value=value)


def test_published_through_waits_for_the_delay(settings: object) -> None:
    assert opendata.published_through(dt.date(2026, 12, 5)) == dt.date(2026, 10, 31)
    assert opendata.published_through(dt.date(2026, 12, 31)) == dt.date(2026, 11, 30)


def test_small_cells_are_withheld_and_recent_months_not_published() -> None:
    today = dt.date(2026, 12, 5)
    _count(dt.date(2026, 10, 3), "submitted_online", 9)
    _count(dt.date(2026, 10, 4), "results_issued", 10)
    _count(dt.date(2026, 9, 1), "sign_ins", 25, province="79")
    _count(dt.date(2026, 11, 20), "cards_issued", 500)  # November is not published before 31 December - 30 days
    data = opendata.dataset(today=today)
    assert data["months"][-1] == "2026-10" and len(data["months"]) == 12
    assert data["counts"]["2026-10"]["submitted_online"] is None
    assert data["counts"]["2026-10"]["results_issued"] == 10
    assert data["counts"]["2026-09"]["sign_ins"] == 25
    assert "2026-11" not in data["counts"]
    assert opendata.dataset("01", today=today)["counts"]["2026-09"]["sign_ins"] is None  # Hồ Chí Minh City's


def test_the_page_and_json_answer_anyone() -> None:
    client = Client()
    assert client.get("/du-lieu-mo/").status_code == 200
    assert client.get("/du-lieu-mo/", {"province": "01"}).status_code == 200
    body = client.get("/du-lieu-mo/du-lieu.json").json()
    assert body["suppressed_below"] == 10 and body["area"] == "national"
    assert client.get("/du-lieu-mo/du-lieu.json", {"province": "x9"}).json()["error"] == "area_unknown"
