"""``dancu offline_devices list|revoke <id>``: devices enrolled for the offline workspace (docs/operator.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.accounts.models import OfficerDevice
from dancu.accounts.services import devices
from dancu.core.errors import DomainError


class Command(BaseCommand):
    help = "List the devices enrolled for the offline workspace, or revoke one (its uploads are refused from then on)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "revoke"])
        parser.add_argument("device", nargs="?", help="the device's id (revoke)")
        parser.add_argument("--by", default="operator", help="who revokes it (recorded)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "revoke":
            if not options["device"]:
                raise CommandError("name the device to revoke")
            try:
                device = devices.revoke(options["device"], by=options["by"])
            except (DomainError, ValueError) as exc:
                raise CommandError(getattr(exc, "code", "device_unknown")) from None
            self.stdout.write(f"revoked\t{device.pk}")
            return
        for device in OfficerDevice.objects.select_related("user").order_by("enrolled_at"):
            state = f"revoked {device.revoked_at:%Y-%m-%d %H:%M}" if device.revoked_at else "active"
            self.stdout.write(f"{device.pk}\t{device.user.get_username()}\t{device.label}\t{state}")
