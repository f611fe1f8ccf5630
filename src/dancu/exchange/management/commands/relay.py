"""``dancu relay [--once] [--batch N]``: publish the event log to NATS JetStream (the internal stream
``DANCU_EVENTS``) and each subscribing system's deliveries (``DANCU_DELIVERIES``), in order, each message once;
``NATS_URL``, ``DANCU_NATS_USER`` and ``DANCU_NATS_PASSWORD`` say where and as whom (docs/operator.md)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.events.relay import NatsOptions
from dancu.exchange.nats.relay import run


class Command(BaseCommand):
    help = "Relay the event log and the NATS deliveries to NATS JetStream (until stopped, or once with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Publish what is there now, then stop.")
        parser.add_argument("--batch", type=int, default=2000, help="Messages per batch of acknowledgements.")

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._run(options))

    async def _run(self, options: dict[str, Any]) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        nats_options = NatsOptions.from_environment()
        relays = await run(nats_options, follow=not options["once"], stop=stop, batch_size=options["batch"])
        if options["verbosity"]:
            for relay in relays:
                self.stdout.write(
                    f"{relay.stream.name}: {relay.stats.published} published, {relay.stats.duplicates} duplicates, "
                    f"position {relay.stats.position[0]}"
                )
