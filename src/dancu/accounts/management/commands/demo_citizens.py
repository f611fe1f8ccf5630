"""``dancu demo_citizens``: demo e-ID accounts and the demo relying party (see accounts/demo.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.accounts.demo import citizens_file, ensure_demo_citizens


class Command(BaseCommand):
    help = "Create the demo citizens' accounts (passwords into var/demo-citizens.json) and the demo RP client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the web server answers")
        parser.add_argument(
            "--rp-url", default="http://127.0.0.1:8002", help="Where `dancu demo_rp` serves the demo relying party"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_demo_citizens(provider_url=options["url"], rp_url=options["rp_url"])
        if options["verbosity"]:
            self.stdout.write(f"demo citizens in {citizens_file()}")
