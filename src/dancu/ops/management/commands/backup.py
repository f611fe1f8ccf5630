"""``dancu backup DIR``: a consistent back-up of everything a restore needs, while the system runs (dancu/ops/backup.py,
docs/operator.md "Back-up and restore")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the registry's database, the gateway's files, keys, attachments and outbox into DIR (empty)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["directory"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"]:
            size = sum(entry["size"] for entry in manifest["files"].values())
            self.stdout.write(
                f"Backed up to {options['directory']}: event log head {manifest['event_log_head']}, ledger head "
                f"{manifest['ledger_head']}, {len(manifest['files'])} files, {size / 1e6:,.1f} MB, "
                f"{manifest['seconds']} s."
            )
