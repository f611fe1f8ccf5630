"""``dancu demo_officials``: roles and the three demo officials (passwords generated on first run, kept in var/)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dancu.backoffice.services import DEMO_OFFICIALS, credentials_file, ensure_demo_officials


class Command(BaseCommand):
    help = "Create the officials' roles and the demo accounts hotich, cutru, tracuu and vanhanh."

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_demo_officials()
        names = ", ".join(u for u, _n, _r in DEMO_OFFICIALS)
        self.stdout.write(f"Demo officials ready: {names} (passwords in {credentials_file()}).")
