"""``dancu insights follow [--follow] [--interval S] | rebuild | population``: keep the scoreboard's roll-ups.

``follow`` reads what is new in each source (the event log, the dossiers' status changes, the accounts' security
events, the gateway's access ledger) from its own offset, once or every ``--interval`` seconds; SIGTERM or Ctrl-C
stops it after the batch being applied, its offset committed, exit status 0 (:mod:`dancu.core.processes`).
``rebuild`` throws the roll-ups away and reads every source from the start. ``population`` counts the communes'
living people again (the denominator of birth-registration completeness)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.core.processes import stop_on_signals
from dancu.insights import rollups


class Command(BaseCommand):
    help = "Keep the scoreboard's roll-ups: follow the sources, rebuild them, or count the population again."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        follow = sub.add_parser("follow", help="Apply what is new in every source.")
        follow.add_argument("--follow", action="store_true", help="Keep running.")
        follow.add_argument("--interval", type=float, default=2.0, help="Seconds between runs with --follow.")
        sub.add_parser("rebuild", help="Empty the roll-ups and read every source again.")
        sub.add_parser("population", help="Count the communes' living people again.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            started = time.perf_counter()
            applied = rollups.rebuild()
            self._report(applied, f" in {time.perf_counter() - started:.1f} s", options)
            return
        if action == "population":
            communes = rollups.count_population()
            if options["verbosity"]:
                self.stdout.write(f"population counted in {communes} communes")
            return
        stop = stop_on_signals()
        while not stop.is_set():
            applied = rollups.follow_all()
            if not options["follow"]:
                self._report(applied, "", options)
                return
            stop.wait(options["interval"])

    def _report(self, applied: dict[str, int], suffix: str, options: dict[str, Any]) -> None:
        if options["verbosity"]:
            self.stdout.write(", ".join(f"{source}: {n}" for source, n in applied.items()) + suffix)
