"""Open data (dữ liệu mở): the roll-ups as monthly counts per province, for anyone, as X-Road Metrics publishes its
figures: aggregates only, every cell below :data:`SUPPRESS_BELOW` withheld (``None``: a count that small could point
at a person in a small commune or month), and only months that ended at least ``DANCU_OPEN_DATA_DELAY_DAYS`` ago."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dancu.insights.models import DailyCount, DailyLookup

SUPPRESS_BELOW = 10
LOOKUPS = ("verify", "verify_batch", "lookup")
DEFAULT_DELAY_DAYS = 30
MONTHS = 12
#: What is published, in this order, with a label for the page.
METRICS = {
    "submitted_online": _("Dossiers submitted online"),
    "submitted_counter": _("Dossiers submitted at the counter"),
    "results_issued": _("Results issued"),
    "e_results": _("Electronic results"),
    "births_registered": _("Births registered"),
    "cards_issued": _("Identity cards issued"),
    "accounts_registered": _("e-ID accounts registered"),
    "sign_ins": _("Sign-ins"),
}


def delay_days() -> int:
    return int(getattr(settings, "DANCU_OPEN_DATA_DELAY_DAYS", DEFAULT_DELAY_DAYS))


def published_through(today: dt.date | None = None) -> dt.date:
    """The last day published: the end of the last month that ended at least the delay before today."""
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=delay_days())
    if (cutoff + dt.timedelta(days=1)).month != cutoff.month:
        return cutoff  # the cut-off is a month's last day: that month is complete
    return cutoff.replace(day=1) - dt.timedelta(days=1)


def suppress(value: int) -> int | None:
    return value if value >= SUPPRESS_BELOW else None


def dataset(province: str = "", today: dt.date | None = None) -> dict[str, Any]:
    """The published months (at most :data:`MONTHS`), each metric's count per month for the country or a province,
    and the gateway's requests per month and system kind (country only)."""
    end = published_through(today)
    index = end.year * 12 + end.month - 1 - (MONTHS - 1)
    start = dt.date(index // 12, index % 12 + 1, 1)
    rows = DailyCount.objects.filter(day__gte=start, day__lte=end, metric__in=list(METRICS))
    if province:
        rows = rows.filter(province=province)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, metric, value in (
        rows.annotate(month=TruncMonth("day")).values_list("month", "metric").annotate(t=Sum("value")).order_by()
    ):
        counts[f"{month:%Y-%m}"][metric] += value
    months = []
    day = start
    while day <= end:
        months.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    gateway: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not province:
        calls = DailyLookup.objects.filter(day__gte=start, day__lte=end, operation__in=LOOKUPS)
        by_kind = calls.annotate(month=TruncMonth("day")).values_list("month", "system_kind")
        for month, kind, value in by_kind.annotate(t=Sum("value")).order_by():
            gateway[f"{month:%Y-%m}"][kind or "other"] += value
    return {
        "area": province or "national",
        "published_through": end.isoformat(),
        "delay_days": delay_days(),
        "suppressed_below": SUPPRESS_BELOW,
        "months": months,
        "metrics": list(METRICS),
        "counts": {m: {k: suppress(counts[m].get(k, 0)) for k in METRICS} for m in months},
        "gateway": {m: {k: suppress(v) for k, v in sorted(gateway[m].items())} for m in months if gateway.get(m)},
    }
