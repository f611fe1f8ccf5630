"""``dancu import_people FILE.jsonl``: initial load of people through the domain services (resumable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.registry.importer import ImportReport, import_people


class Command(BaseCommand):
    help = (
        "Import people from JSON Lines (one person per line, see docs/operator.md). Each line is one transaction; "
        "lines already imported are skipped, so running the same file again resumes it. Refused lines go to "
        "FILE.rejects.jsonl with their line number and error code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--actor", default="import", help="Recorded as the actor of every event.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"file_not_found: {path} does not exist or is not a file.")

        def progress(report: ImportReport) -> None:
            self.stderr.write(f"  {report.lines:,} lines ...")

        try:
            report = import_people(path, actor=options["actor"], progress=progress)
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted: every imported person is whole; run the same command again to resume."
            ) from None
        rejects = path.with_suffix(path.suffix + ".rejects.jsonl")
        if report.rejected:
            rejects.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in report.rejected))
        self.stdout.write(
            f"{report.imported:,} imported, {report.skipped:,} already there, {len(report.rejected):,} refused."
        )
        if report.rejected:
            raise CommandError(f"lines_refused: {len(report.rejected):,} line(s) refused; see {rejects}.")
