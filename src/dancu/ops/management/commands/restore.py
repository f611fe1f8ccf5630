"""``dancu restore DIR``: bring a back-up made by ``dancu backup`` up on an empty machine (dancu/ops/backup.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore DIR (made by `dancu backup`) into this process's database and var directory, which must be empty; "
        "every file is checked against the manifest first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            manifest = restore(options["directory"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"]:
            self.stdout.write(
                f"Restored: event log head {manifest['event_log_head']}, ledger head {manifest['ledger_head']}, "
                f"{time.monotonic() - started:.1f} s. Next: dancu ledger verify, dancu attachments check, then start "
                "the processes."
            )
