"""Online services benchmarks on a fresh SQLite registry of one province (built in a temporary directory):

1. dossier submissions per second: linked birth-group declarations (validation against the registry, a 200 KB
   birth certificate checked and stored, a case with three dossiers, re-use records, notification) called through
   the domain service in one process, one transaction each;
2. a simulated week of the province: births and deaths declared at random times over seven days (some after 15:00,
   some at the weekend), officers of each agency working 08:00-17:00 on working days with realistic handling times
   and a daily capacity; reports the share of cases and dossiers finished within their legal deadline and the wall
   time the week took. The clock is simulated by replacing django.utils.timezone.now in this process only.

Usage: .venv/bin/python bench/services_bench.py [--people 20000] [--submissions 300] [--births 600] [--deaths 150]
       [--src DIR]   (another source tree, e.g. `git archive COMMIT src | tar -x -C /tmp/base`, side by side)
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup(var: Path, people: int, src: Path = ROOT / "src") -> None:
    os.environ.update(DANCU_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="dancu.settings")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(src))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_geo", verbosity=0)
    call_command("synth", people=people, province="01", seed=11, verbosity=0)
    call_command("load_catalogue", verbosity=0)


def accounts_for(persons: list[Any]) -> list[Any]:
    from django.contrib.auth.models import User

    from dancu.accounts.models import Account

    users = User.objects.bulk_create(User(username=f"bench:{p.pk}", password="!") for p in persons)
    return Account.objects.bulk_create(
        Account(user=u, person=p, phone=f"+8491{p.pk % 10_000_000:07d}") for u, p in zip(users, persons, strict=True)
    )


def mothers(count: int, offset: int = 0) -> list[Any]:
    from dancu.registry.models import Person

    today = date.today()
    return list(
        Person.objects.filter(
            sex="F", status="living", household__isnull=False, eid_account__isnull=True,
            birth_date__gt=today.replace(year=today.year - 40), birth_date__lt=today.replace(year=today.year - 19),
        ).order_by("pk")[offset : offset + count]
    )  # fmt: skip


CERTIFICATE = b"%PDF-1.7\n" + os.urandom(200_000)


GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Khang", "Lan", "Linh", "Minh", "Nam", "Ngọc",
         "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy"]  # fmt: skip
MIDDLE = ["Văn", "Thị", "Minh", "Gia", "Bảo", "Ngọc", "Đức", "Thanh", "Hoàng", "Khánh"]


def declare(account: Any, n: int, born: date) -> Any:
    from dancu.procedures import linked
    from dancu.procedures.attachments import Upload

    # Names as varied as a province's newborns (the duplicate check reads open cases with the same name and date).
    name = f"Nguyễn {MIDDLE[n % len(MIDDLE)]} {GIVEN[(n // len(MIDDLE)) % len(GIVEN)]}"
    return linked.declare_birth(
        account, child_full_name=name, child_sex="M", child_birth_date=born,
        child_birth_commune=account.person.household.commune.code, requester_relationship="mother",
        birth_certificate=Upload("birth_certificate", "application/pdf", CERTIFICATE),
    )  # fmt: skip


def bench_submissions(count: int) -> float:
    accounts = accounts_for(mothers(count))
    born = date.today() - timedelta(days=3)
    started = time.perf_counter()
    for n, account in enumerate(accounts):
        declare(account, n, born)
    elapsed = time.perf_counter() - started
    print(f"submissions: {len(accounts)} birth-group declarations in {elapsed:.2f} s = {len(accounts) / elapsed:.1f}/s")
    return len(accounts) / elapsed


# --- the simulated week ---------------------------------------------------------------------------------------------

HANDLING_MINUTES = {  # mean time an officer spends on one dossier
    "birth-registration": 15, "permanent-residence-registration": 20, "health-insurance-under-6": 10,
    "death-registration": 15, "permanent-residence-removal": 10, "funeral-allowance": 25, "survivor-benefit": 30,
}  # fmt: skip
OFFICERS = {"commune_civil_status": 3, "commune_police": 3, "social_insurance": 2}


def simulate_week(births: int, deaths: int, *, skip_mothers: int, seed: int = 5) -> dict[str, Any]:
    from django.utils import timezone as dj_timezone

    from dancu.core import workdays
    from dancu.events.services import follow_all
    from dancu.procedures import linked
    from dancu.procedures.attachments import Upload
    from dancu.procedures.models import Case, Dossier, Status
    from dancu.procedures.workflow import OPEN
    from dancu.registry.models import Person

    rng = random.Random(seed)
    monday = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)
    start = datetime(monday.year, monday.month, monday.day, 0, 0, tzinfo=workdays.VIETNAM)
    clock = {"now": start}
    real_now = dj_timezone.now
    dj_timezone.now = lambda: clock["now"].astimezone(UTC)  # type: ignore[assignment]
    try:
        birth_accounts = accounts_for(mothers(births, offset=skip_mothers))
        relatives = accounts_for(
            list(Person.objects.filter(status="living", eid_account__isnull=True, household__isnull=False,
                                       birth_date__lt=date(1990, 1, 1)).order_by("-pk")[:deaths])
        )  # fmt: skip
        elders = list(
            Person.objects.filter(status="living", household__isnull=False, birth_date__lt=date(1950, 1, 1),
                                  eid_account__isnull=True, permanent_residences__valid_to__isnull=True)
            .order_by("pk")[:deaths]
        )  # fmt: skip
        events: list[tuple[datetime, int, str, Any]] = []
        serial = 0
        for account in birth_accounts:
            at = start + timedelta(minutes=rng.randrange(7 * 24 * 60))
            events.append((at, serial := serial + 1, "birth", account))
        for account, elder in zip(relatives, elders, strict=False):
            at = start + timedelta(minutes=rng.randrange(7 * 24 * 60))
            events.append((at, serial := serial + 1, "death", (account, elder)))
        heapq.heapify(events)
        # Officers: each agency's free time; they work 08:00-17:00 on working days.
        free = {agency: [start] * count for agency, count in OFFICERS.items()}

        def next_work_minute(at: datetime) -> datetime:
            local = at.astimezone(workdays.VIETNAM)
            while True:
                if workdays.is_working_day(local.date()) and 8 <= local.hour < 17:
                    return local
                local = (local + timedelta(hours=1)).replace(minute=0) if local.hour < 17 else (
                    datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), workdays.VIETNAM)
                    + timedelta(hours=8)
                )  # fmt: skip

        declared = refused = 0
        end = start + timedelta(days=21)  # officers keep working after the week until the backlog is done
        while True:
            # Declarations due before the next officer action happen first.
            soonest_officer = min(min(times) for times in free.values())
            if events and events[0][0] <= soonest_officer:
                at, _, kind, payload = heapq.heappop(events)
                clock["now"] = at
                try:
                    if kind == "birth":
                        declare(payload, serial, at.date() - timedelta(days=rng.randrange(1, 30)))
                    else:
                        account, elder = payload
                        linked.declare_death(
                            account, deceased_pin=elder.pin, death_date=at.date() - timedelta(days=1),
                            death_place="Tại nhà", requester_relationship="con", procedures=[linked.FUNERAL],
                            death_notice=Upload("death_notice", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 5000),
                            bank_account="0011001234567",
                        )  # fmt: skip
                    declared += 1
                except Exception:  # a refused declaration is part of a week
                    refused += 1
                continue
            agency = min(free, key=lambda a: min(free[a]))
            slot = min(range(len(free[agency])), key=lambda i: free[agency][i])
            when = next_work_minute(free[agency][slot])
            if when > end:
                break
            clock["now"] = when
            follow_all()
            dossier = (
                Dossier.objects.select_related("procedure")
                .filter(procedure__agency=agency, status__in=OPEN, received_at__lte=when.astimezone(UTC))
                .order_by("due_on", "received_at")
                .first()
            )
            if dossier is None:
                upcoming = [e[0] for e in events]
                if not upcoming and not Dossier.objects.filter(status__in=[*OPEN, Status.WAITING]).exists():
                    break
                free[agency][slot] = when + timedelta(minutes=15)  # nothing to do: look again later
                continue
            minutes = max(3, int(rng.expovariate(1 / HANDLING_MINUTES[dossier.procedure.code])))
            clock["now"] = when + timedelta(minutes=minutes)
            if rng.random() < 0.03:
                linked.reject(dossier.pk, official=f"{agency}-{slot}", reason="Thông tin không khớp giấy tờ")
            else:
                linked.decide(dossier, official=f"{agency}-{slot}")
            free[agency][slot] = clock["now"]
        follow_all()
        cases = list(Case.objects.filter(created_at__gte=start))
        dossiers = list(Dossier.objects.filter(case__in=cases, finished_on__isnull=False, due_on__isnull=False))
        on_time_cases = sum(1 for c in cases if c.finished_on and c.finished_on <= c.due_on)
        on_time_dossiers = sum(1 for d in dossiers if d.finished_on <= d.due_on)
        return {
            "declared": declared, "refused": refused, "cases": len(cases),
            "cases_finished": sum(1 for c in cases if c.finished_on),
            "cases_on_time": on_time_cases / max(len(cases), 1),
            "dossiers_finished": len(dossiers), "dossiers_on_time": on_time_dossiers / max(len(dossiers), 1),
        }  # fmt: skip
    finally:
        dj_timezone.now = real_now  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--births", type=int, default=600)
    parser.add_argument("--deaths", type=int, default=150)
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src",
        help="the source tree to measure (e.g. an earlier commit's, from git archive), for side-by-side runs",
    )  # fmt: skip
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="dancu-services-bench-"))
    started = time.perf_counter()
    setup(var, args.people, args.src)
    import dancu

    print(f"source: {Path(dancu.__file__).parent.parent}")
    print(f"setup ({args.people} people) {time.perf_counter() - started:.1f} s in {var}")
    bench_submissions(args.submissions)
    started = time.perf_counter()
    week = simulate_week(args.births, args.deaths, skip_mothers=args.submissions)
    print(f"simulated week in {time.perf_counter() - started:.1f} s wall time: {week}")


if __name__ == "__main__":
    main()
