"""``dancu issue_cards --synthetic``: give synthetic people their identity cards (demo and benchmarks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.cards.services import issue_synthetic_cards


class Command(BaseCommand):
    help = "Issue identity cards with synthetic issue dates to living people of card age who hold none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--synthetic", action="store_true", help="Required: the dates are invented.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["synthetic"]:
            raise CommandError(
                "Only synthetic issuance exists here: pass --synthetic (cards come from the card issue)."
            )
        count = issue_synthetic_cards(seed=options["seed"])
        if options["verbosity"]:
            self.stdout.write(f"{count} cards issued")
