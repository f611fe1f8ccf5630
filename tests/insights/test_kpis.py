"""The roll-ups and each indicator computed from known activity, exactly; idempotent follow, rebuild, empty periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dancu.insights import kpis, rollups
from dancu.insights.models import DailyCount
from tests.insights.activity import COMMUNE, Activity, build_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db: Any, tmp_path: Path) -> Activity:
    return build_activity(tmp_path / "ledger.sqlite3")


def _period(activity: Activity) -> kpis.Period:
    return kpis.Period(activity.today - dt.timedelta(days=89), activity.today)


def test_each_indicator_from_known_activity(activity: Activity) -> None:
    rollups.rebuild(activity.ledger)
    period = _period(activity)
    for scope in (kpis.Scope(), kpis.Scope(province="01"), kpis.Scope(province="01", commune=COMMUNE)):
        board = kpis.scoreboard(scope, period)
        assert (board["online_submission"].numerator, board["online_submission"].denominator) == (5, 6)
        assert board["online_submission"].value == Decimal("83.33")
        assert (board["online_payment"].value, board["online_payment"].denominator) == (Decimal("50.00"), 2)
        assert (board["digitisation"].value, board["digitisation"].denominator) == (Decimal("50.00"), 2)
        assert (board["e_results"].value, board["e_results"].denominator) == (Decimal("100.00"), 1)
        assert (board["reuse"].numerator, board["reuse"].denominator) == (1, 6)
        assert board["reuse"].value == Decimal("16.67")
        assert board["accounts_registered"].value == 2
        assert board["accounts_activated"].value == 1
        assert board["sign_ins"].numerator == 3
        assert board["sign_ins"].value == Decimal("0.0")  # 3 in 90 days, to one decimal
        assert board["cards_issued"].value == 1

    scope = kpis.Scope(province="01", commune=COMMUNE)
    assert kpis.population(scope) == activity.people
    completeness = kpis.completeness(scope, period)
    expected = Decimal("14.1") * activity.people / 1000 * 90 / 365
    assert completeness[60].numerator == 1
    assert completeness[365].numerator == 1
    assert completeness[1825].numerator == 2
    assert completeness[60].value == (Decimal(100) / expected).quantize(Decimal("0.01"))

    durations = kpis.linked_durations(scope, kpis.Period(activity.today - dt.timedelta(days=120), activity.today))
    assert durations == activity.linked_days
    summary = kpis.linked_summary(durations)
    assert summary.value == Decimal("10.0")
    assert (summary.extra["within_4"], summary.extra["within_21"], summary.extra["over_21"]) == (1, 1, 1)

    calls = kpis.lookups(period)
    month = f"{activity.today:%Y-%m}"
    assert calls["total"] == 4  # the token call is not a lookup
    assert calls["by_month"][month] == {"bank": 4}
    assert calls["refusals"] == {"purpose_not_granted": 1}
    assert calls["by_purpose"] == {"kyc": 4}


def test_follow_is_idempotent_and_rebuild_gives_the_same(activity: Activity) -> None:
    first = rollups.follow_all(activity.ledger)
    assert first["transitions"] > 0 and first["ledger"] == 5
    counted = sorted(DailyCount.objects.values_list("day", "commune", "metric", "detail", "value"))
    assert rollups.follow_all(activity.ledger) == {"events": 0, "transitions": 0, "security_events": 0, "ledger": 0}
    rollups.rebuild(activity.ledger)
    assert sorted(DailyCount.objects.values_list("day", "commune", "metric", "detail", "value")) == counted


def test_agency_filter_and_empty_period(activity: Activity) -> None:
    rollups.rebuild(activity.ledger)
    empty = kpis.Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    board = kpis.scoreboard(kpis.Scope(), empty)
    assert {figure.reason for figure in board.values()} == {kpis.NO_DATA}
    assert kpis.lookups(empty)["total"] == 0
    assert kpis.linked_summary(kpis.linked_durations(kpis.Scope(), empty)).reason == kpis.NO_DATA
    by_agency = kpis.scoreboard(kpis.Scope(), _period(activity), agency="social_insurance")
    assert by_agency["cards_issued"].reason == kpis.NOT_APPLICABLE


def test_an_area_without_population_is_not_applicable(activity: Activity) -> None:
    rollups.rebuild(activity.ledger)
    far = kpis.Scope(province="79")
    result = kpis.completeness(far, _period(activity))
    assert {figure.reason for figure in result.values()} == {kpis.NOT_APPLICABLE}
    assert kpis.trend(far, _period(activity))["online_submission"][-1][1].reason == kpis.NO_DATA


def test_the_page_s_one_pass_agrees_with_each_function(activity: Activity) -> None:
    """The page reads whole months from the monthly roll-up and the edges from the daily one; the functions read
    the days: the same figures, for a period with ragged edges and for one of whole months."""
    rollups.rebuild(activity.ledger)
    this_month = activity.today.replace(day=1)
    whole = kpis.Period((this_month - dt.timedelta(days=70)).replace(day=1), this_month - dt.timedelta(days=1))
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    for scope, period, agency in [
        (scope, period, agency)
        for scope in (kpis.Scope(), kpis.Scope(province="01"), kpis.Scope(province="01", commune=COMMUNE))
        for period in (_period(activity), whole, kpis.Period(this_month, next_month - dt.timedelta(days=1)))
        for agency in ("", "commune_police")
    ]:
        seen = kpis.overview(scope, period, agency)
        assert seen.totals == kpis.totals(scope, period, agency)
        assert seen.board == kpis.scoreboard(scope, period, agency)
        assert seen.trend == kpis.trend(scope, period, agency)
        assert seen.breakdown == kpis.breakdown(scope, period, agency)
    assert (
        kpis.overview(kpis.Scope(), kpis.Period(this_month, next_month - dt.timedelta(days=1))).totals["received"] == 6
    )


def test_the_default_period_is_twelve_months_from_a_first_day() -> None:
    from dancu.insights.services import default_period

    assert default_period(dt.date(2026, 12, 5)) == kpis.Period(dt.date(2026, 1, 1), dt.date(2026, 12, 5))
    assert default_period(dt.date(2026, 1, 31)) == kpis.Period(dt.date(2025, 2, 1), dt.date(2026, 1, 31))
