"""``dancu demo_subscriber --setup --url URL`` then ``dancu demo_subscriber [--host H] [--port P]``: the demo
social-insurance fund that receives births and deaths by signed webhook (exchange/demo_subscriber.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.errors import DomainError
from dancu.core.processes import stop_on_signals
from dancu.exchange.demo_subscriber import config_path, ensure_demo_subscriber, serve


class Command(BaseCommand):
    help = "Register (--setup --url) or serve the demo social-insurance fund's webhook receiver and its page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--setup", action="store_true", help="Register the fund and its subscription.")
        parser.add_argument("--url", help="--setup: the receiver's endpoint, e.g. http://127.0.0.1:8003/hooks")
        parser.add_argument(
            "--nats", action="store_true", help="--setup: also a NATS subscription (for a demo with NATS_URL set)"
        )
        parser.add_argument("--host", help="Default: the host of the registered URL")
        parser.add_argument("--port", type=int, help="Default: the port of the registered URL")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["setup"]:
            if not options["url"]:
                raise CommandError("url_missing: --setup needs --url")
            try:
                subscription = ensure_demo_subscriber(options["url"], nats=options["nats"])
            except DomainError as error:
                raise CommandError(f"{error.code}: {error.message}") from None
            if options["verbosity"]:
                self.stdout.write(f"Demo subscriber: subscription {subscription.pk} -> {subscription.endpoint_url}")
            return
        if not config_path().exists():
            raise CommandError("demo_subscriber_not_set_up: run `dancu demo_subscriber --setup --url URL` first")
        import json

        registered = urlsplit(json.loads(config_path().read_text())["url"])
        host = options["host"] or registered.hostname or "127.0.0.1"
        port = options["port"] or registered.port or 8003
        stop = stop_on_signals()  # SIGTERM / Ctrl-C: the request under way is answered, then exit status 0
        if options["verbosity"]:
            self.stdout.write(f"demo social-insurance fund on http://{host}:{port}/")
            self.stdout.flush()
        serve(host, port, stop=stop)
