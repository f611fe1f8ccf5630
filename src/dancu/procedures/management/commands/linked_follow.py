"""``dancu linked_follow [--follow]``: start downstream dossiers of linked groups, and close the accounts and cards
of the deceased, from the event log (resumes from its offset)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.procedures.linked import follow


class Command(BaseCommand):
    help = "Apply new events to the linked procedure groups (once, or every second with --follow)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            applied = follow()
            if options["verbosity"] > 1 or (applied and options["verbosity"] and not options["follow"]):
                self.stdout.write(f"{applied} events applied")
            if not options["follow"]:
                return
            time.sleep(options["interval"])
