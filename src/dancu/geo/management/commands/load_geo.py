"""``dancu load_geo``: load current and legacy administrative units and the 2025 conversion table (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dancu.geo.services import load_administrative_units


class Command(BaseCommand):
    help = (
        "Load the 34 current provinces and 3,321 communes, the 63 legacy provinces with their districts and "
        "communes, and the old->new commune table."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_administrative_units()
        self.stdout.write(
            f"Administrative units: {report.provinces} provinces, {report.districts} districts, "
            f"{report.communes} communes, {report.successions} old->new links."
        )
