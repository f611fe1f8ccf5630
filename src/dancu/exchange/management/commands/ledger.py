"""``dancu ledger verify``: prove the access ledger's hash chain and signed checkpoints, and with ``--witness`` that
no entry or checkpoint the witness vouches for was removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.crypto import Keyring
from dancu.gateway.ledger import verify_ledger


class Command(BaseCommand):
    help = (
        "Verify the access ledger: names the first entry that was edited, deleted or reordered; with --witness, also "
        "a truncation or a deleted checkpoint that the witness's signed statements reveal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--file", type=Path, default=None, help="Ledger file (default DANCU_LEDGER).")
        parser.add_argument(
            "--witness", type=Path, default=None,
            help="Witness file of the ledger's signed statements (the gateway writes <ledger>.witness.jsonl unless "
            "DANCU_LEDGER_WITNESS says otherwise); keep a copy away from the node.",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"] or Path(settings.DANCU_LEDGER)
        if not path.exists():
            raise CommandError(f"ledger_missing: {path} does not exist.")
        witness = options["witness"]
        if witness is not None and not witness.is_file():
            raise CommandError(f"witness_missing: {witness} is not a file.")
        keys = Keyring(Path(settings.DANCU_KEYS_DIR), create=False)
        report = verify_ledger(path, keys.ledger_public_keys(), witness=witness)
        if not report.ok:
            raise CommandError(f"ledger_tampered: {report.problem}")
        self.stdout.write(
            f"Ledger intact: {report.entries:,} entries, {report.checkpoints:,} signed checkpoints verified."
        )
        if witness is None:
            self.stdout.write(f"Not covered: {report.coverage}.")
            return
        vouched = f"up to entry {report.witnessed:,} (signed {report.witnessed_at})" if report.witnessed else "none"
        self.stdout.write(f"Witness: {report.statements:,} signed statements agree; the last entry vouched for: "
                          f"{vouched}; {report.coverage}.")  # fmt: skip
