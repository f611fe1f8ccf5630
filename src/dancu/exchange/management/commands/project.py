"""``dancu project [--rebuild] [--follow]``: keep the gateway's projection in step with the event log. SIGTERM or
Ctrl-C stops it after the current page, exit status 0 (:mod:`dancu.core.processes`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from dancu.core.processes import stop_on_signals
from dancu.exchange.projector import Projector


class Command(BaseCommand):
    help = "Project the registry into the gateway's projection file (incremental from its offset, or --rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Rebuild from nothing.")
        parser.add_argument("--follow", action="store_true", help="Keep running, applying new events.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between runs with --follow.")
        parser.add_argument("--status", action="store_true", help="Print offset and lag, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        projector = Projector()
        # SIGTERM / Ctrl-C: the page being projected commits with its offset, then the process exits 0.
        stop = stop_on_signals()
        try:
            if options["status"]:
                self.stdout.write(f"offset {projector.offset()}, lag {projector.lag()} events")
                return
            if options["rebuild"] or projector.offset() == 0:
                report = projector.rebuild()
                self.stdout.write(
                    f"Projection rebuilt: {report.people:,} people, offset {report.offset}, {report.seconds:.1f} s."
                )
            while not stop.is_set():
                report = projector.catch_up()
                projector.export_config()
                if (report.events and options["verbosity"] >= 1) or options["verbosity"] > 1:
                    self.stdout.write(
                        f"Applied {report.events:,} events ({report.people:,} people), offset {report.offset}."
                    )
                if not options["follow"]:
                    return
                close_old_connections()
                stop.wait(options["interval"])
        finally:
            projector.close()
