"""``dancu attachments gc [--hours 24] [--dry-run] | check``: the file store of dossier attachments
(procedures/attachments.py)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.errors import DomainError
from dancu.procedures import attachments
from dancu.procedures.models import Attachment


class Command(BaseCommand):
    help = (
        "gc: delete stored files that no attachment row references and that are older than --hours (files of "
        "declarations that were refused or rolled back). check: read every stored attachment and compare it with "
        "its digest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["gc", "check"])
        parser.add_argument("--hours", type=float, default=24.0)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            damaged = 0
            rows = Attachment.objects.exclude(stored="").only("pk", "stored", "sha256", "content")
            for row in rows.iterator(chunk_size=500):
                try:
                    attachments.read(row)
                except DomainError:
                    damaged += 1
                    self.stdout.write(f"damaged: attachment {row.pk} ({row.stored})")
            self.stdout.write(f"{damaged} damaged")
            if damaged:
                raise CommandError(f"{damaged} attachments are missing or altered")
            return
        # With DANCU_ATTACHMENT_STORE=database the file store holds only the files kept for declarations that came
        # back with errors (attachments.hold), and any file stored before the switch (its row still names it).
        store = attachments.store() or attachments.FileStore(attachments.files_root())
        if not isinstance(store, attachments.FileStore):
            raise CommandError("gc works on the file store (DANCU_ATTACHMENT_STORE=files or database)")
        cutoff = time.time() - options["hours"] * 3600
        candidates = {name: mtime for name, mtime in store.names() if mtime < cutoff}
        names = list(candidates)
        referenced: set[str] = set()
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            referenced.update(Attachment.objects.filter(stored__in=chunk).values_list("stored", flat=True))
        removed = 0
        for name in candidates.keys() - referenced:
            if options["dry_run"] or store.delete(name, older_than=cutoff):
                removed += 1
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{verb} {removed} unreferenced files older than {options['hours']:g} h")
