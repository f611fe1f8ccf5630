"""The scoreboard's speed, on a registry made by ``make demo`` steps (``dancu synth`` + ``dancu simulate``) in DIR:

1. the roll-up consumer: each source read again from the start (``rollups.follow_events`` etc. after the offsets are
   reset), rows per second, next to the floor of the event log (``read_events`` alone, the same rows, nothing counted);
2. the full rebuild (``dancu insights rebuild``): wall time;
3. the scoreboard of a province-year: the back-office page (``/chi-so/?province=01``) rendered in process by Django's
   test client as a national official, median of R runs; first on the registry's own roll-ups, then with
   ``--dense``: the roll-ups of the province filled as a province of 1,000,000 people would fill them (every current
   commune, every day of the year, every metric and agency: about 1.8 million rows), in a copy of the registry.

Usage: .venv/bin/python bench/insights_bench.py --var-dir DIR [--runs 7] [--dense]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dense", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="insights-bench-"))
    shutil.copytree(args.var_dir, work, dirs_exist_ok=True)
    os.environ.update(DANCU_VAR_DIR=str(work), DJANGO_SETTINGS_MODULE="dancu.settings", DANCU_LOG_LEVEL="ERROR")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    from dancu.events.models import ConsumerOffset
    from dancu.events.services import read_events
    from dancu.insights import rollups
    from dancu.insights.models import DailyCount, SourceOffset

    print(f"load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    floor = sum(1 for _ in read_events(0, batch_size=20_000))
    floor_s = time.perf_counter() - started
    print(f"event log read alone: {floor:,} events in {floor_s:.2f} s = {floor / floor_s:,.0f}/s")
    DailyCount.objects.all().delete()
    ConsumerOffset.objects.filter(consumer=rollups.CONSUMER).delete()
    SourceOffset.objects.all().delete()
    for name, follow in (
        ("events", rollups.follow_events),
        ("transitions", rollups.follow_transitions),
        ("security_events", rollups.follow_security_events),
        ("ledger", rollups.follow_ledger),
    ):
        started = time.perf_counter()
        n = follow()
        took = time.perf_counter() - started
        extra = f" ({n / took / (floor / floor_s):.2f} of the floor)" if name == "events" else ""
        print(f"roll-up {name}: {n:,} rows in {took:.2f} s = {n / took:,.0f}/s{extra}")
    started = time.perf_counter()
    applied = rollups.rebuild()
    print(f"full rebuild: {sum(applied.values()):,} rows in {time.perf_counter() - started:.1f} s ({applied})")
    render(args.runs, "registry's own roll-ups")
    if args.dense:
        densify()
        render(args.runs, "dense province-year")
    shutil.rmtree(work)


def render(runs: int, label: str) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from dancu.insights.models import DailyCount

    user, _ = User.objects.get_or_create(username="bench-national", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get("/chi-so/", {"province": "01"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    rows = DailyCount.objects.filter(province="01").count()
    median = statistics.median(times[1:]) * 1000
    print(
        f"scoreboard province 01, a year ({label}, {rows:,} roll-up rows): median {median:.0f} ms, "
        f"min {min(times[1:]) * 1000:.0f} ms, first {times[0] * 1000:.0f} ms"
    )


def densify() -> None:
    """Every current commune of Hà Nội, every day of the last year, every metric (by agency where it is by agency)."""
    import datetime as dt
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from dancu.geo.models import Commune
    from dancu.insights.models import DailyCount, MonthlyCount

    communes = list(Commune.objects.filter(era="current", province__code="01").values_list("code", flat=True))
    agencies = ("commune_civil_status", "commune_police", "social_insurance", "provincial_justice")
    by_agency = ("submitted_online", "submitted_counter", "received", "reused", "with_fee", "paid_online", "processed",
                 "digitised", "results_issued", "e_results")  # fmt: skip
    plain = (("births_registered", "60d"), ("births_registered", "1y"), ("cards_issued", ""), ("deaths", ""),
             ("accounts_registered", ""), ("accounts_activated", ""), ("sign_ins", ""))  # fmt: skip
    today = timezone.localdate()
    rng = random.Random(1)
    DailyCount.objects.filter(province="01").delete()
    MonthlyCount.objects.filter(province="01").delete()
    table = DailyCount._meta.db_table
    monthly: dict[tuple[object, ...], int] = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for offset in range(365):
            day = today - dt.timedelta(days=offset)
            rows = []
            for commune in communes:
                rows += [(day, "01", commune, a, m, "", rng.randint(1, 40)) for a in agencies for m in by_agency]
                rows += [(day, "01", commune, "", m, d, rng.randint(1, 40)) for m, d in plain]
            cursor.executemany(
                f"INSERT INTO {table} (day, province, commune, agency, metric, detail, value) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
            for row_day, *key, value in rows:
                month_key = (row_day.replace(day=1), *key)
                monthly[month_key] = monthly.get(month_key, 0) + value
        cursor.executemany(
            f"INSERT INTO {MonthlyCount._meta.db_table} (month, province, commune, agency, metric, detail, value) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(*key, value) for key, value in monthly.items()],
        )
    print(f"dense province-year written in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
