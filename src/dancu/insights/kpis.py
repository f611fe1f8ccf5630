"""The programme's indicators (DOMAIN.md §11), computed from the roll-ups for an area, a period and an agency.

Every figure says what it was computed from; a ratio whose denominator is zero, a period without data and an area
without a population figure are ``no_data`` / ``not_applicable``, never a division error."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from dancu.core import workdays
from dancu.insights.models import CommunePopulation, DailyCount, DailyLookup, MonthlyCount

#: Births a year per 1,000 people when the settings give none (GSO's estimate for 2023, 14.1‰ → set per country).
DEFAULT_CRUDE_BIRTH_RATE = Decimal("14.1")
NO_DATA = "no_data"
NOT_APPLICABLE = "not_applicable"
#: Windows of birth-registration completeness (OpenCRVS): days -> the buckets registered within them.
COMPLETENESS_WINDOWS = {60: ("60d",), 365: ("60d", "1y"), 1825: ("60d", "1y", "5y")}


@dataclass(frozen=True)
class Scope:
    """The area figures are about: the country (both ``None``), a province, or a commune (with its province)."""

    province: str | None = None
    commune: str | None = None

    @property
    def level(self) -> str:
        return "commune" if self.commune else "province" if self.province else "national"

    def filter(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        if self.commune:
            return rows.filter(commune=self.commune)
        if self.province:
            return rows.filter(province=self.province)
        return rows

    @property
    def child_field(self) -> str | None:
        """The column of the next level down (drill-down), ``None`` for a commune."""
        return {"national": "province", "province": "commune"}.get(self.level)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  #: inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Figure:
    """One indicator's value, or why there is none (``reason``)."""

    value: Decimal | None = None
    numerator: int = 0
    denominator: int = 0
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Indicator:
    code: str
    title: Any
    definition: Any
    national: Any  #: the reports' latest figure, as they state it
    unit: str  #: "percent", "count", "per_day", "days"
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    by_agency: bool = True  #: computed from dossiers (an agency filter applies)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "online_submission", _("Dossiers submitted online"),
        _("Dossiers submitted online by the citizen / all dossiers submitted (online and at the counter)."),
        _("47.8% provinces, 49.4% ministries (April 2024)"), "percent",
        ("submitted_online",), ("submitted_online", "submitted_counter"),
    ),
    Indicator(
        "online_payment", _("Fees paid online"),
        _("Dossiers received whose fee was paid online / dossiers received with a fee."),
        _("43.11% provinces, 24.11% ministries"), "percent", ("paid_online",), ("with_fee",),
    ),
    Indicator(
        "digitisation", _("Dossiers and results digitised"),
        _("Dossiers decided whose papers or result are held as electronic files / dossiers decided."),
        _("29.74% provinces, 25.66% ministries"), "percent", ("digitised",), ("processed",),
    ),
    Indicator(
        "e_results", _("Electronic results with legal value"),
        _("Results issued as signed electronic documents (re-usable) / results issued."),
        _("34.85% provinces, 25.68% ministries"), "percent", ("e_results",), ("results_issued",),
    ),
    Indicator(
        "reuse", _("Re-use of digitised data"),
        _("Dossiers received that re-used data already held (registry, earlier results) / dossiers received."),
        _("10.35% provinces, 1.13% ministries"), "percent", ("reused",), ("received",),
    ),
    Indicator(
        "accounts_registered", _("e-ID accounts registered"),
        _("e-ID accounts registered in the period."), _("75.16 million profiles received"), "count",
        ("accounts_registered",), by_agency=False,
    ),
    Indicator(
        "accounts_activated", _("e-ID accounts activated (level 2)"),
        _("Accounts raised to level 2 by an official in the period."), _("53.88 million activated"), "count",
        ("accounts_activated",), by_agency=False,
    ),
    Indicator(
        "sign_ins", _("Sign-ins a day"), _("Successful e-ID sign-ins / days in the period."),
        _("about 150,000 a day"), "per_day", ("sign_ins",), by_agency=False,
    ),
    Indicator(
        "cards_issued", _("Chip identity cards issued"), _("Identity cards issued in the period (by issue date)."),
        _("86 million"), "count", ("cards_issued",), by_agency=False,
    ),
)  # fmt: skip
BY_CODE = {indicator.code: indicator for indicator in INDICATORS}


def _quantize(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def compute(indicator: Indicator, totals: dict[str, int], period: Period, agency: str = "") -> Figure:
    """One indicator from a dict of metric totals."""
    if agency and not indicator.by_agency:
        return Figure(reason=NOT_APPLICABLE)
    numerator = sum(totals.get(m, 0) for m in indicator.numerator)
    if indicator.unit == "percent":
        denominator = sum(totals.get(m, 0) for m in indicator.denominator)
        if not denominator:
            return Figure(numerator=numerator, reason=NO_DATA)
        return Figure(_quantize(Decimal(100 * numerator) / denominator), numerator, denominator)
    if indicator.unit == "per_day":
        if not numerator:
            return Figure(reason=NO_DATA)
        return Figure(_quantize(Decimal(numerator) / period.days, "0.1"), numerator, period.days)
    if not numerator:
        return Figure(reason=NO_DATA)
    return Figure(Decimal(numerator), numerator)


def _counts(scope: Scope, period: Period, agency: str = "") -> QuerySet[DailyCount]:
    rows = scope.filter(DailyCount.objects.filter(day__gte=period.start, day__lte=period.end))
    return rows.filter(agency=agency) if agency else rows


def totals(scope: Scope, period: Period, agency: str = "") -> dict[str, int]:
    """Each metric's total (and ``metric:detail`` for split ones) in the area and period."""
    found: dict[str, int] = defaultdict(int)
    for metric, detail, value in (
        _counts(scope, period, agency).values_list("metric", "detail").annotate(total=Sum("value")).order_by()
    ):
        found[metric] += value
        if detail:
            found[f"{metric}:{detail}"] += value
    return dict(found)


def scoreboard(scope: Scope, period: Period, agency: str = "") -> dict[str, Figure]:
    """Every indicator of :data:`INDICATORS` for the area, period and agency."""
    found = totals(scope, period, agency)
    # Accounts, sign-ins and cards are not by agency: with an agency picked they are not applicable.
    return {i.code: compute(i, found, period, agency) for i in INDICATORS}


def trend(scope: Scope, period: Period, agency: str = "") -> dict[str, list[tuple[str, Figure]]]:
    """Each indicator month by month over the period: ``{code: [("2026-01", figure), ...]}``."""
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        _counts(scope, period, agency)
        .annotate(month=TruncMonth("day"))
        .values_list("month", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for month, metric, value in rows:
        by_month[f"{month:%Y-%m}"][metric] += value
    months = _months(period)
    result: dict[str, list[tuple[str, Figure]]] = {}
    for indicator in INDICATORS:
        series = []
        for label, start, end in months:
            days = Period(start, end)
            series.append((label, compute(indicator, by_month.get(label, {}), days, agency)))
        result[indicator.code] = series
    return result


def _months(period: Period) -> list[tuple[str, dt.date, dt.date]]:
    months = []
    day = period.start.replace(day=1)
    while day <= period.end:
        following = (day + dt.timedelta(days=32)).replace(day=1)
        months.append((f"{day:%Y-%m}", max(day, period.start), min(following - dt.timedelta(days=1), period.end)))
        day = following
    return months


def breakdown(scope: Scope, period: Period, agency: str = "") -> list[tuple[str, dict[str, Figure]]]:
    """Drill-down: the indicators of each province (country) or commune (province) with any count in the period."""
    child = scope.child_field
    if child is None:
        return []
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = _counts(scope, period, agency).values_list(child, "metric").annotate(total=Sum("value")).order_by()
    for code, metric, value in rows:
        per[code][metric] += value
    return [(code, {i.code: compute(i, per[code], period, agency) for i in INDICATORS}) for code in sorted(per) if code]


@dataclass
class Overview:
    """Everything the scoreboard page shows from the daily counts, read in one query (totals, months, children)."""

    totals: dict[str, int]
    board: dict[str, Figure]
    trend: dict[str, list[tuple[str, Figure]]]
    breakdown: list[tuple[str, dict[str, Figure]]]


def _month_rows(scope: Scope, period: Period, agency: str, child: str) -> Iterator[tuple[str, str, str, str, int]]:
    """``(month label, child code, metric, detail, total)``: whole months from the monthly roll-up, the period's
    partial first and last months from the daily one (no date function per row on either database)."""
    whole, partial = [], []
    for label, start, end in _months(period):
        first = start.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        (whole if (start, end) == (first, last) else partial).append((label, start, end))
    if whole:
        rows = scope.filter(MonthlyCount.objects.filter(month__in=[dt.date.fromisoformat(f"{w[0]}-01") for w in whole]))
        rows = rows.filter(agency=agency) if agency else rows
        for month, code, metric, detail, value in (
            rows.values_list("month", child, "metric", "detail").annotate(total=Sum("value")).order_by()
        ):
            yield f"{month:%Y-%m}", code, metric, detail, value
    for label, start, end in partial:
        days = _counts(scope, Period(start, end), agency).values_list(child, "metric", "detail")
        for code, metric, detail, value in days.annotate(total=Sum("value")).order_by():
            yield label, code, metric, detail, value


def overview(scope: Scope, period: Period, agency: str = "") -> Overview:
    """:func:`totals`, :func:`scoreboard`, :func:`trend` and :func:`breakdown` in one pass, from the monthly roll-up
    for whole months (a test checks it against the daily one)."""
    child = scope.child_field or "commune"
    found: dict[str, int] = defaultdict(int)
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, code, metric, detail, value in _month_rows(scope, period, agency, child):
        found[metric] += value
        if detail:
            found[f"{metric}:{detail}"] += value
        by_month[month][metric] += value
        per[code][metric] += value
    months = _months(period)
    trend = {
        i.code: [
            (label, compute(i, by_month.get(label, {}), Period(start, end), agency)) for label, start, end in months
        ]
        for i in INDICATORS
    }
    breakdown = (
        [(code, {i.code: compute(i, per[code], period, agency) for i in INDICATORS}) for code in sorted(per) if code]
        if scope.child_field
        else []
    )
    totals_ = dict(found)
    return Overview(totals_, {i.code: compute(i, totals_, period, agency) for i in INDICATORS}, trend, breakdown)


# --- birth-registration completeness -----------------------------------------------------------------------------


def crude_birth_rate() -> Decimal:
    return Decimal(str(getattr(settings, "DANCU_CRUDE_BIRTH_RATE", DEFAULT_CRUDE_BIRTH_RATE)))


def population(scope: Scope) -> int | None:
    """Living people of the area as last counted; ``None`` when no commune of it has a figure."""
    rows = CommunePopulation.objects.all()
    if scope.commune:
        rows = rows.filter(commune=scope.commune)
    elif scope.province:
        rows = rows.filter(province=scope.province)
    total = rows.aggregate(n=Sum("people"))["n"]
    return int(total) if total else None


def completeness(scope: Scope, period: Period, found: dict[str, int] | None = None) -> dict[int, Figure]:
    """Registrations within 60 days, 1 year and 5 years / expected births (crude birth rate x population / 1000 x
    the period's share of a year), as OpenCRVS computes it; ``not_applicable`` without a population figure."""
    found = totals(scope, period) if found is None else found
    people = population(scope)
    result: dict[int, Figure] = {}
    for window, buckets in COMPLETENESS_WINDOWS.items():
        registered = sum(found.get(f"births_registered:{b}", 0) for b in buckets)
        if not people:
            result[window] = Figure(numerator=registered, reason=NOT_APPLICABLE)
            continue
        expected = crude_birth_rate() * people / 1000 * Decimal(period.days) / 365
        if expected <= 0:
            result[window] = Figure(numerator=registered, reason=NOT_APPLICABLE)
            continue
        value = _quantize(Decimal(100 * registered) / expected)
        result[window] = Figure(value, registered, int(expected.to_integral_value(ROUND_HALF_UP)),
                                extra={"expected": _quantize(expected, "0.1"), "population": people})  # fmt: skip
    return result


# --- linked groups ------------------------------------------------------------------------------------------------

#: The reports' targets: 21 working days before the linked procedures, 4 after.
LINKED_TARGETS = (4, 21)


def linked_durations(scope: Scope, period: Period) -> list[int]:
    """Working days from receipt to the last result of each linked case finished in the period, in the area."""
    from dancu.procedures.models import Case, Dossier

    cases = Case.objects.filter(finished_on__gte=period.start, finished_on__lte=period.end)
    if scope.level != "national":
        dossiers = Dossier.objects.filter(case_id=OuterRef("pk"))
        dossiers = (
            dossiers.filter(commune=scope.commune)
            if scope.commune
            else dossiers.filter(commune__in=_province_communes(scope.province or ""))
        )
        cases = cases.filter(Exists(dossiers))
    return sorted(
        workdays.working_days_between(workdays.receipt_day(received), finished)
        for received, finished in cases.values_list("received_at", "finished_on")
    )


def _province_communes(province: str) -> list[str]:
    from dancu.geo.models import Commune

    return list(Commune.objects.filter(era="current", province__code=province).values_list("code", flat=True))


def linked_summary(durations: list[int]) -> Figure:
    """The median, and how many cases took at most 4, 5 to 21, and more than 21 working days."""
    if not durations:
        return Figure(reason=NO_DATA)
    n = len(durations)
    middle = n // 2
    median = Decimal(durations[middle]) if n % 2 else Decimal(durations[middle - 1] + durations[middle]) / 2
    low, high = LINKED_TARGETS
    return Figure(
        _quantize(median, "0.1"),
        numerator=sum(1 for d in durations if d <= low),
        denominator=n,
        extra={
            "within_4": sum(1 for d in durations if d <= low),
            "within_21": sum(1 for d in durations if low < d <= high),
            "over_21": sum(1 for d in durations if d > high),
            "histogram": [[days, durations.count(days)] for days in sorted(set(durations))],
        },
    )


# --- the gateway --------------------------------------------------------------------------------------------------

LOOKUP_OPERATIONS = ("verify", "verify_batch", "lookup")


def lookups(period: Period) -> dict[str, Any]:
    """The gateway's calls in the period: by month and system kind, by purpose, and refusals by code."""
    rows = DailyLookup.objects.filter(day__gte=period.start, day__lte=period.end, operation__in=LOOKUP_OPERATIONS)
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, kind, value in (
        rows.annotate(month=TruncMonth("day")).values_list("month", "system_kind").annotate(t=Sum("value")).order_by()
    ):
        by_month[f"{month:%Y-%m}"][kind or "other"] += value
    by_purpose = dict(rows.values_list("purpose").annotate(t=Sum("value")).order_by("-t", "purpose"))
    refusals: dict[str, int] = defaultdict(int)
    for outcome, value in rows.filter(outcome__startswith="refused").values_list("outcome").annotate(t=Sum("value")):
        refusals[outcome.partition(":")[2] or "refused"] += value
    total = sum(sum(kinds.values()) for kinds in by_month.values())
    return {
        "total": total,
        "refused": sum(refusals.values()),
        "by_month": {month: dict(kinds) for month, kinds in sorted(by_month.items())},
        "by_purpose": by_purpose,
        "refusals": dict(sorted(refusals.items(), key=lambda item: (-item[1], item[0]))),
        "months": [label for label, _s, _e in _months(period)],
    }
