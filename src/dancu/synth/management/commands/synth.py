"""``dancu synth --people N [--province CODE] [--seed S]``: build a realistic synthetic population."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dancu.core.errors import DomainError
from dancu.synth.services import run_synth


class Command(BaseCommand):
    help = (
        "Build a synthetic population: households with consistent ages and parents, weighted names, ethnicity by "
        "province, PINs consistent with birth province, sex and year, residences in real communes, and history. "
        "Deterministic for a seed; interrupted runs resume when the same command is run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, required=True, help="How many people to build.")
        parser.add_argument("--province", help="Current province code (two digits, e.g. 01 Hà Nội); default all.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--chunk-size", type=int, default=5000, help="People per transaction (default 5000).")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="Reference 'today' (YYYY-MM-DD).")
        parser.add_argument(
            "--through-services", action="store_true", help="Call the domain services one by one (slow; checks)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        show = not options["no_progress"]
        with Progress(
            TextColumn("[bold]synth"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("people"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=not show,
        ) as bar:
            task = bar.add_task("synth", total=options["people"])

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                result = run_synth(
                    people=options["people"],
                    province=options["province"],
                    seed=options["seed"],
                    chunk_size=options["chunk_size"],
                    through_services=options["through_services"],
                    reference_date=options["as_of"],
                    progress=progress,
                )
            except DomainError as error:
                raise CommandError(f"{error.code}: {error.message}") from None
            except KeyboardInterrupt:
                raise CommandError(
                    "interrupted: every committed chunk is kept and no person is half-written; "
                    "run the same command again to resume."
                ) from None
        run = result.run
        elapsed = time.perf_counter() - started
        if result.people_added == 0:
            self.stdout.write(f"Nothing to do: {run.people_done:,} people of run {run.key} are already there.")
            return
        rate = result.people_added / elapsed if elapsed else 0.0
        self.stdout.write(
            f"{'Resumed and finished' if result.resumed else 'Built'} {result.people_added:,} people "
            f"({run.people_done:,} in run, {run.events_done:,} events) in {elapsed:.1f} s ({rate:,.0f} people/s)."
        )
