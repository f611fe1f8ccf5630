"""The back office's "any word of the name" search on PostgreSQL, with the trigram index ``person_name_trgm``
(registry/0004) and without it, side by side on the same registry.

Builds a fresh PostgreSQL database (``--database``, dropped first: never point it at data you keep) with
``dancu synth`` of ``--people`` people of Hà Nội, then for each search runs what the home page runs for a national
official (``officials.search_people`` paged 25 at a time: the count of matches, then the first page) ``--runs``
times with the index, and again inside a transaction that drops the index and is rolled back; prints the median of
each and their ratio as a Markdown table.

Usage: .venv/bin/python bench/name_search_bench.py [--people 200000] [--runs 15] [--database dancu_name_bench]
       [--reuse]   (measure the database an earlier run built)  [--src DIR]   (another source tree, e.g.
       `git archive COMMIT src | tar -x -C /tmp/base`, then `--reuse --src /tmp/base/src`, side by side)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEARCHES = ("khang", "phung", "hoang minh", "hong", "nguyen thi")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database", default="dancu_name_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--reuse", action="store_true", help="measure the registry a previous run built")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="another source tree, side by side")
    args = parser.parse_args()

    if not args.reuse:
        subprocess.run(["dropdb", "-h", args.host, "-U", "postgres", "--if-exists", args.database], check=True)
        subprocess.run(["createdb", "-h", args.host, "-U", "postgres", args.database], check=True)
    os.environ.update(
        DATABASE_URL=f"postgres://postgres@{args.host}:5432/{args.database}",
        DANCU_VAR_DIR=tempfile.mkdtemp(prefix="name-bench-"),
        DJANGO_SETTINGS_MODULE="dancu.settings",
    )
    sys.path.insert(0, str(args.src))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.paginator import Paginator
    from django.db import connection, transaction

    from dancu.accounts.services import officials
    from dancu.registry.models import Person

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not args.reuse:
        call_command("load_geo", verbosity=0)
        call_command("synth", people=args.people, province="01", seed=15, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_person")
    print(f"registry: {Person.objects.count():,} people, built in {time.perf_counter() - started:.0f} s")

    def search(name: str) -> tuple[float, int]:
        begin = time.perf_counter()
        page = Paginator(officials.search_people(officials.NATIONAL, name=name), 25).get_page(1)
        list(page)
        return (time.perf_counter() - begin) * 1000, page.paginator.count

    def median(name: str) -> tuple[float, int]:
        search(name)  # warm the cache
        runs = [search(name) for _ in range(args.runs)]
        return statistics.median(ms for ms, _ in runs), runs[0][1]

    rows = []
    for name in SEARCHES:
        indexed, found = median(name)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX person_name_trgm")
            without, _ = median(name)
            transaction.set_rollback(True)
        rows.append((name, found, without, indexed))
    print(f"\n{args.people:,} people, median of {args.runs} runs (count of matches + first page of 25), ms\n")
    print("| search | matches | without the trigram index | with it | ratio |")
    print("|---|---|---|---|---|")
    for name, found, without, indexed in rows:
        print(f"| `{name}` | {found:,} | {without:.1f} | {indexed:.1f} | {without / indexed:.1f}x |")


if __name__ == "__main__":
    main()
