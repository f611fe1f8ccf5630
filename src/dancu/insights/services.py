"""What the scoreboard's pages ask of the insights app: the area an official may look at, the period, and every
table of the scoreboard as headers and rows (the same rows the page shows and the exports write)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dancu.accounts.models import AreaLevel, Official
from dancu.core.errors import DomainError
from dancu.geo.models import Commune, Era, Province
from dancu.insights import kpis
from dancu.insights.kpis import Figure, Period, Scope

#: The longest period the scoreboard computes at once.
MAX_PERIOD_DAYS = 3 * 366
TABLES = ("indicators", "areas", "completeness", "lookups", "refusals")
TABLE_TITLES = {
    "indicators": gettext_lazy("Indicators"),
    "areas": gettext_lazy("By area"),
    "completeness": gettext_lazy("Birth-registration completeness"),
    "lookups": gettext_lazy("Gateway requests by month and system kind"),
    "refusals": gettext_lazy("Gateway refusals by code"),
}


def default_period(today: dt.date | None = None) -> Period:
    """The last twelve months up to today, from the first day of the eleventh month back (whole months read from
    the monthly roll-up; only the current month's days are read day by day)."""
    today = today or timezone.localdate()
    index = today.year * 12 + today.month - 1 - 11
    return Period(dt.date(index // 12, index % 12 + 1, 1), today)


def check_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise DomainError("period_reversed", _("The period ends before it starts."), field="end")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError("period_too_long", _("Choose a period of at most three years."), field="start")
    return Period(start, end)


def own_scope(official: Official) -> Scope:
    """The official's own area as a scope."""
    if official.level == AreaLevel.COMMUNE and official.commune is not None:
        return Scope(province=official.commune.province.code, commune=official.commune.code)
    if official.level == AreaLevel.PROVINCE and official.province is not None:
        return Scope(province=official.province.code)
    return Scope()


def scope_for(official: Official, province: str = "", commune: str = "") -> Scope:
    """The area asked for (a province, or a commune of it), if it is within the official's; their own area when
    none is asked for. ``area_unknown`` (404) for a code that is no current unit, ``area_out_of_scope`` (403) for an
    area outside the official's."""
    own = own_scope(official)
    if not province and not commune:
        return own
    if commune:
        unit = Commune.objects.filter(era=Era.CURRENT, code=commune).select_related("province").first()
        if unit is None or (province and unit.province.code != province):
            raise DomainError("area_unknown", _("There is no such commune."), status=404)
        wanted = Scope(province=unit.province.code, commune=unit.code)
    else:
        if not Province.objects.filter(era=Era.CURRENT, code=province).exists():
            raise DomainError("area_unknown", _("There is no such province."), status=404)
        wanted = Scope(province=province)
    inside = (
        own.level == "national"
        or (own.level == "province" and wanted.province == own.province)
        or (own.level == "commune" and wanted.commune == own.commune)
    )
    if not inside:
        raise DomainError("area_out_of_scope", _("This area is outside the one you work for."), status=403)
    return wanted


def area_name(scope: Scope) -> str:
    if scope.commune:
        unit = Commune.objects.filter(era=Era.CURRENT, code=scope.commune).values_list("name", flat=True).first()
        return unit or scope.commune
    if scope.province:
        name = Province.objects.filter(era=Era.CURRENT, code=scope.province).values_list("name", flat=True).first()
        return name or scope.province
    return _("Whole country")


def child_names(scope: Scope, codes: list[str]) -> dict[str, str]:
    if scope.level == "national":
        rows = Province.objects.filter(era=Era.CURRENT, code__in=codes).values_list("code", "name")
    else:
        rows = Commune.objects.filter(era=Era.CURRENT, code__in=codes).values_list("code", "name")
    return dict(rows)


def show(figure: Figure, unit: str) -> str:
    """A figure as text for a table cell and the exports: the value, or why there is none."""
    if figure.reason == kpis.NOT_APPLICABLE:
        return str(_("not applicable"))
    if figure.value is None:
        return str(_("no data"))
    places = -figure.value.as_tuple().exponent if isinstance(figure.value.as_tuple().exponent, int) else 0
    text = number_format(figure.value, decimal_pos=max(places, 0), force_grouping=True)
    return f"{text}%" if unit == "percent" else text


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def table(name: str, scope: Scope, period: Period, agency: str = "", seen: kpis.Overview | None = None) -> Table:
    """One of :data:`TABLES` for the area, period and agency (unknown names: ``table_unknown``, 404); ``seen``: the
    page's :func:`~dancu.insights.kpis.overview`, when it has read the counts already."""
    if name not in TABLES:
        raise DomainError("table_unknown", _("There is no such table."), status=404)
    title = str(TABLE_TITLES[name])
    if name == "indicators":
        board = kpis.scoreboard(scope, period, agency)
        return Table(title, [_("Indicator"), _("Value"), _("Numerator"), _("Denominator"), _("National figure")], [
            [str(i.title), show(board[i.code], i.unit), board[i.code].numerator, board[i.code].denominator,
             str(i.national)] for i in kpis.INDICATORS
        ])  # fmt: skip
    if name == "areas":
        rows = seen.breakdown if seen is not None else kpis.breakdown(scope, period, agency)
        names = child_names(scope, [code for code, _f in rows])
        return Table(title, [_("Code"), _("Area"), *[str(i.title) for i in kpis.INDICATORS]], [
            [code, names.get(code, code), *[show(figures[i.code], i.unit) for i in kpis.INDICATORS]]
            for code, figures in rows
        ])  # fmt: skip
    if name == "completeness":
        result = kpis.completeness(scope, period, seen.totals if seen is not None and not agency else None)
        return Table(title, [_("Registered within"), _("Registrations"), _("Expected births"), _("Completeness")], [
            [label, result[days].numerator, result[days].extra.get("expected", ""), show(result[days], "percent")]
            for days, label in ((60, _("60 days")), (365, _("1 year")), (1825, _("5 years")))
        ])  # fmt: skip
    calls = kpis.lookups(period)
    if name == "lookups":
        kinds = sorted({kind for month in calls["by_month"].values() for kind in month})
        return Table(title, [_("Month"), *kinds, _("Total")], [
            [month, *[calls["by_month"].get(month, {}).get(k, 0) for k in kinds],
             sum(calls["by_month"].get(month, {}).values())] for month in calls["months"]
        ])  # fmt: skip
    return Table(title, [_("Code"), _("Refusals")], [[code, n] for code, n in calls["refusals"].items()])


def csv_lines(data: Table) -> Iterator[list[Any]]:
    yield data.headers
    yield from data.rows


def as_number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
