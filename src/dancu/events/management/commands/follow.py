"""``dancu follow [--follow] [--interval S] [--only LABEL ...]``: run the apps' event consumers (each app's
``consumers.py``: procedures start waiting dossiers, accounts close the deceased's e-ID accounts, cards cancel their
cards), each from its own offset, in one process. SIGTERM or Ctrl-C stops it after the current batch, exit status 0
(:mod:`dancu.core.processes`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.processes import stop_on_signals
from dancu.events.services import app_consumers, follow_all


class Command(BaseCommand):
    help = "Apply new events to every app's event consumer (once, or every --interval seconds with --follow)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="Keep running, applying new events.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between runs with --follow.")
        parser.add_argument("--only", nargs="+", metavar="LABEL", help="Only these apps' consumers (app labels).")

    def handle(self, *args: Any, **options: Any) -> None:
        labels = options["only"]
        if labels and set(labels) - app_consumers().keys():
            known = ", ".join(sorted(app_consumers()))
            raise CommandError(f"consumer_unknown: no event consumer in {', '.join(labels)} (known: {known})")
        # SIGTERM / Ctrl-C: the batch being applied commits with its offset, then the process exits 0.
        stop = stop_on_signals()
        while not stop.is_set():
            applied = follow_all(labels)
            if options["verbosity"] > 1 or (any(applied.values()) and options["verbosity"] and not options["follow"]):
                self.stdout.write(", ".join(f"{label}: {count} events" for label, count in applied.items()))
            if not options["follow"]:
                return
            stop.wait(options["interval"])
