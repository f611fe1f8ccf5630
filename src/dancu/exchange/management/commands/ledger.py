"""``dancu ledger verify``: prove the access ledger's hash chain and signed checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.crypto import Keyring
from dancu.gateway.ledger import verify_ledger


class Command(BaseCommand):
    help = "Verify the access ledger: names the first entry that was edited, deleted or reordered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--file", type=Path, default=None, help="Ledger file (default DANCU_LEDGER).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"] or Path(settings.DANCU_LEDGER)
        if not path.exists():
            raise CommandError(f"ledger_missing: {path} does not exist.")
        keys = Keyring(Path(settings.DANCU_KEYS_DIR), create=False)
        report = verify_ledger(path, keys.ledger_public_keys())
        if not report.ok:
            raise CommandError(f"ledger_tampered: {report.problem}")
        self.stdout.write(
            f"Ledger intact: {report.entries:,} entries, {report.checkpoints:,} signed checkpoints verified."
        )
