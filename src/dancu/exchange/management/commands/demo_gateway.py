"""``dancu demo_gateway``: the demo bank (keys generated on first run) with its grants, and a projection."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dancu.exchange.demo import DEMO_CLIENT_ID, ensure_demo_system
from dancu.exchange.projector import project


class Command(BaseCommand):
    help = "Create the demo connected system and project the registry for the gateway."

    def handle(self, *args: Any, **options: Any) -> None:
        _system, key_path = ensure_demo_system()
        report = project()
        self.stdout.write(
            f"Demo system {DEMO_CLIENT_ID} approved (private key {key_path}); projection at offset {report.offset}."
        )
