"""``dancu nats-config [--out FILE] [--port P] [--store DIR] [--system CLIENT_ID ...]``: write the nats-server
configuration (JetStream; the relay's user; the gateway nodes' user; a user per approved connected system that can
read only its own deliveries), with passwords from the credentials file (generated when missing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.exchange.choices import SystemStatus
from dancu.exchange.models import ConnectedSystem
from dancu.exchange.nats.config import CredentialStore, NatsConfigError, render, write_config


class Command(BaseCommand):
    help = "Write the nats-server configuration: JetStream, the relay, gateway nodes and each connected system."

    def add_arguments(self, parser: CommandParser) -> None:
        var = Path(settings.VAR_DIR) / "nats"
        parser.add_argument("--out", type=Path, default=var / "nats-server.conf", help="Where to write it.")
        parser.add_argument("--store", default=str(var / "jetstream"), help="JetStream's store directory.")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=4222, help="Client port.")
        parser.add_argument("--http-port", type=int, default=8222, help="Monitoring port (0: none).")
        parser.add_argument(
            "--system", nargs="*", metavar="CLIENT_ID", help="Only these systems (default: every approved system)."
        )
        parser.add_argument("--show-credentials", metavar="USER", help="Print one user's password and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        store = CredentialStore.default()
        if options["show_credentials"]:
            user = options["show_credentials"]
            if user not in store.data:
                raise CommandError(f"nats_user_unknown: no credentials for {user} (run dancu nats-config first)")
            self.stdout.write(store.get(user).password)
            return
        client_ids = options["system"]
        if client_ids is None:
            client_ids = list(
                ConnectedSystem.objects.filter(status=SystemStatus.APPROVED).values_list("client_id", flat=True)
            )
        try:
            text = render(
                store=store,
                client_ids=client_ids,
                port=options["port"],
                host=options["host"],
                store_dir=options["store"],
                http_port=options["http_port"] or None,
            )
        except NatsConfigError as error:
            raise CommandError(str(error)) from None
        store.save()
        write_config(options["out"], text)
        if options["verbosity"]:
            self.stdout.write(
                f"Wrote {options['out']} ({len(set(client_ids))} systems); credentials in {store.path} (mode 0600). "
                f"Start: nats-server -c {options['out']}"
            )
