"""``dancu load_catalogue``: the procedure catalogue from procedures/catalogue/procedures.json (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.procedures.catalogue import CATALOGUE, load_catalogue


class Command(BaseCommand):
    help = "Load or update the procedure catalogue (procedures and linked groups) from its data file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=CATALOGUE)

    def handle(self, *args: Any, **options: Any) -> None:
        procedures, groups = load_catalogue(options["file"])
        if options["verbosity"]:
            self.stdout.write(f"{procedures} procedures, {groups} linked groups")
