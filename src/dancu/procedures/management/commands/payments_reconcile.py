"""``dancu payments_reconcile [--date YYYY-MM-DD]``: our payments against the provider's settlements for a day."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dancu.procedures.payments import reconcile


class Command(BaseCommand):
    help = "Compare the day's paid and refunded payments with the payment provider's settlement records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile(options["date"] or timezone.localdate())
        self.stdout.write(json.dumps(report, indent=2))
        if any(report.values()):
            raise CommandError("differences found")
