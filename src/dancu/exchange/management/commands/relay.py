"""``dancu relay [--once] [--batch N]``: publish the event log to NATS JetStream (the internal stream
``DANCU_EVENTS``) and each subscribing system's deliveries (``DANCU_DELIVERIES``), in order, each message once;
``NATS_URL``, ``DANCU_NATS_USER`` and ``DANCU_NATS_PASSWORD`` say where and as whom (docs/operator.md). SIGTERM or
Ctrl-C stops it after the batch under way (acknowledged and its offset committed), exit status 0
(:mod:`dancu.core.processes`)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.core.processes import STOP, stop_on_signals
from dancu.events.relay import NatsOptions
from dancu.exchange.nats.relay import run


class Command(BaseCommand):
    help = "Relay the event log and the NATS deliveries to NATS JetStream (until stopped, or once with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Publish what is there now, then stop.")
        parser.add_argument("--batch", type=int, default=2000, help="Messages per batch of acknowledgements.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["once"]:  # --once ends by itself (and a kill loses nothing: see dancu.events.relay)
            stop_on_signals()
        asyncio.run(self._run(options))

    async def _run(self, options: dict[str, Any]) -> None:
        stop = asyncio.Event()
        watch = asyncio.create_task(_watch_stop(stop))
        nats_options = NatsOptions.from_environment()
        if options["verbosity"] > 1:
            self.stdout.write(f"relaying to {nats_options.url}" + ("" if options["once"] else " until stopped"))
            self.stdout.flush()
        try:
            relays = await run(nats_options, follow=not options["once"], stop=stop, batch_size=options["batch"])
        finally:
            watch.cancel()
        if options["verbosity"]:
            for relay in relays:
                self.stdout.write(
                    f"{relay.stream.name}: {relay.stats.published} published, {relay.stats.duplicates} duplicates, "
                    f"position {relay.stats.position[0]}"
                )


async def _watch_stop(stop: asyncio.Event, every: float = 0.1) -> None:
    """Pass the process's stop request (set by the signal handler, which cannot wake the event loop) to the relays."""
    while not STOP.is_set():
        await asyncio.sleep(every)
    stop.set()
