"""``dancu simulate [--days 365] [--until YYYY-MM-DD] [--seed S]``: a year of activity on the synthetic population,
through the real services on a simulated clock (:mod:`dancu.synth.activity`), for the scoreboard of a demo."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.synth.activity import AlreadySimulated, Simulation


class Command(BaseCommand):
    help = "Simulate days of activity (accounts, sign-ins, dossiers, decisions, births, cards, gateway calls)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365, help="How many days, ending --until (default 365).")
        parser.add_argument("--until", type=dt.date.fromisoformat, help="The last day (default today).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--scale", type=float, help="Volume as for this many times 50,000 people (default: the registry's size)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 3 * 366:
            raise CommandError("days_invalid: --days must be between 1 and 1098")
        started = time.perf_counter()
        try:
            report = Simulation(
                days=days, until=options["until"] or timezone.localdate(), seed=options["seed"], scale=options["scale"]
            ).run()
        except AlreadySimulated:
            # make demo runs again on the same registry: the year is there already, nothing to add.
            if options["verbosity"]:
                self.stdout.write("simulated activity already recorded: nothing added")
            return
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        if options["verbosity"]:
            counts = ", ".join(f"{name} {n}" for name, n in sorted(report.counts.items()))
            self.stdout.write(f"simulated {report.days} days in {time.perf_counter() - started:.0f} s: {counts}")
