"""``dancu subscriptions ...``: life-event subscriptions (grants) and their webhooks, for operators.

dancu subscriptions list
dancu subscriptions request CLIENT_ID NAME --purpose P --types T ... [--fields F ...] [--provinces 01 ...]
                            [--communes 00004 ...] [--channel webhook|nats] [--url URL] [--signing v1a|v1]
dancu subscriptions approve ID | suspend ID [--reason R] | resume ID | disable ID [--reason R]
dancu subscriptions rotate ID [--signing v1a|v1] [--overlap-hours 72]
dancu subscriptions lag [ID]           health: waiting, retrying, dead, lag, last delivery
dancu subscriptions redrive ID [--event EVENT_ID ...]
dancu subscriptions replay ID (--after SEQUENCE | --since ISO-TIME)
dancu subscriptions tail ID [-n 20] [--follow]
dancu subscriptions deliver [--follow] [--interval S] [--metrics-port P]
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.core.processes import Stop, stop_on_signals
from dancu.exchange import services, subscriptions, webhooks
from dancu.exchange.models import Delivery, Subscription


class Command(BaseCommand):
    help = "Life-event subscriptions: request, approve, suspend, rotate secrets, lag, redrive, replay, tail, deliver."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Every subscription with its status and health.")
        request = sub.add_parser("request", help="A system asks for life events (pending until approved).")
        request.add_argument("client_id")
        request.add_argument("name")
        request.add_argument("--purpose", required=True)
        request.add_argument("--types", nargs="+", required=True, metavar="TYPE")
        request.add_argument("--fields", nargs="*", default=[])
        request.add_argument("--provinces", nargs="*", default=[])
        request.add_argument("--communes", nargs="*", default=[])
        request.add_argument("--channel", default="webhook")
        request.add_argument("--url", default="")
        request.add_argument("--signing", default="v1a")
        for action in ("approve", "resume", "suspend", "disable"):
            one = sub.add_parser(action)
            one.add_argument("id", type=int)
            one.add_argument("--reason", default="")
        rotate = sub.add_parser("rotate", help="A new signing secret; the old one signs beside it for the overlap.")
        rotate.add_argument("id", type=int)
        rotate.add_argument("--signing", default=None)
        rotate.add_argument("--overlap-hours", type=float, default=72.0)
        lag = sub.add_parser("lag", help="Waiting, retrying and dead deliveries, lag, last delivery.")
        lag.add_argument("id", type=int, nargs="?")
        redrive = sub.add_parser("redrive", help="Send dead letters again from the first try.")
        redrive.add_argument("id", type=int)
        redrive.add_argument("--event", nargs="*", default=None, metavar="EVENT_ID")
        replay = sub.add_parser("replay", help="Deliver again the events after a sequence or since a time.")
        replay.add_argument("id", type=int)
        since = replay.add_mutually_exclusive_group(required=True)
        since.add_argument("--after", type=int, metavar="SEQUENCE")
        since.add_argument("--since", metavar="ISO-TIME")
        tail = sub.add_parser("tail", help="The latest deliveries (no personal data: ids, status, attempts).")
        tail.add_argument("id", type=int)
        tail.add_argument("-n", type=int, default=20)
        tail.add_argument("--follow", action="store_true")
        deliver = sub.add_parser("deliver", help="Fan out new events and send the due webhooks.")
        deliver.add_argument("--follow", action="store_true", help="Keep running; SIGTERM stops after the round.")
        deliver.add_argument("--interval", type=float, default=0.2, help="Seconds between idle rounds.")
        deliver.add_argument("--metrics-port", type=int, default=0, help="Serve Prometheus metrics on this port.")
        deliver.add_argument("--no-fan-out", action="store_true", help="Only send (dancu follow fans out).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

    def _handle(self, options: dict[str, Any]) -> None:
        action = options["action"]
        services.ensure_reference_data()
        if action == "list":
            for s in Subscription.objects.select_related("system", "purpose"):
                health = subscriptions.health(s)
                self.stdout.write(
                    f"{s.pk:>4} {s.system.client_id}/{s.name:<20} {s.status:<9} {s.channel:<7} {s.purpose.code:<18} "
                    f"{','.join(s.event_types)}  waiting {health['pending']} dead {health['dead']}"
                )
            return
        if action == "request":
            requested = subscriptions.request_subscription(
                services.get_system(options["client_id"]), purpose=options["purpose"], name=options["name"],
                event_types=options["types"], fields=options["fields"], provinces=options["provinces"],
                communes=options["communes"], channel=options["channel"], endpoint_url=options["url"],
                signing=options["signing"],
            )  # fmt: skip
            self.stdout.write(f"Subscription {requested.subscription.pk} requested (pending: approve it).")
            if requested.verification_key:
                self.stdout.write(f"Verification key for the receiver: {requested.verification_key}")
            return
        if action == "deliver":
            self._deliver(options)
            return
        if action == "lag":
            rows = (
                [subscriptions.get_subscription(options["id"])]
                if options["id"]
                else list(Subscription.objects.select_related("system"))
            )
            for s in rows:
                h = subscriptions.health(s)
                last = timezone.localtime(h["last_delivered_at"]).isoformat() if h["last_delivered_at"] else "-"
                self.stdout.write(
                    f"{s.pk:>4} {s.system.client_id}/{s.name}: {h['status']}; waiting {h['pending']} (retrying "
                    f"{h['retrying']}), dead {h['dead']}, delivered {h['delivered']}, lag {h['lag_seconds']} s, "
                    f"last delivery {last}, events not yet fanned out {h['events_not_fanned_out']}"
                )
            return
        subscription = subscriptions.get_subscription(options["id"])
        if action in ("approve", "resume"):
            subscriptions.approve_subscription(subscription, by="cli")
        elif action in ("suspend", "disable"):
            status = "suspended" if action == "suspend" else "disabled"
            subscriptions.set_subscription_status(subscription, status, reason=options["reason"], by="cli")
        elif action == "rotate":
            key = subscriptions.rotate_secret(
                subscription, scheme=options["signing"], overlap=timedelta(hours=options["overlap_hours"])
            )
            self.stdout.write(f"New verification key for the receiver: {key}")
        elif action == "redrive":
            count = subscriptions.redrive(subscription, event_ids=options["event"])
            self.stdout.write(f"{count} dead letters queued again")
        elif action == "replay":
            since = _parse_time(options["since"]) if options["since"] else None
            count = subscriptions.replay(subscription, after_sequence=options["after"], since=since)
            self.stdout.write(f"{count} deliveries queued")
        elif action == "tail":
            self._tail(subscription, options["n"], options["follow"])
            return
        subscription.refresh_from_db()
        self.stdout.write(
            f"{subscription.pk} {subscription.system.client_id}/{subscription.name}: {subscription.status}"
        )

    def _tail(self, subscription: Subscription, n: int, follow: bool) -> None:
        rows = list(Delivery.objects.filter(subscription=subscription).order_by("-sequence")[: max(1, n)])[::-1]
        seen = rows[-1].sequence if rows else 0
        while True:
            for d in rows:
                self.stdout.write(
                    f"#{d.sequence} {d.event_type:<28} {d.event_id} {d.status:<9} attempts {d.attempts} "
                    f"{d.last_error or ''} {f'{d.latency_ms} ms' if d.latency_ms is not None else ''}".rstrip()
                )
            if not follow:
                return
            time.sleep(1.0)
            rows = list(Delivery.objects.filter(subscription=subscription, sequence__gt=seen).order_by("sequence"))
            seen = rows[-1].sequence if rows else seen

    def _deliver(self, options: dict[str, Any]) -> None:
        from dancu.exchange.consumers import follow as fan_out

        if options["metrics_port"]:
            from prometheus_client import start_http_server

            start_http_server(options["metrics_port"], addr="127.0.0.1")
        # --follow: SIGTERM / Ctrl-C lets the round under way finish (outcomes written), then the process exits 0
        # (dancu.core.processes). Several of these processes may run at once (dancu.exchange.webhooks).
        stop = stop_on_signals() if options["follow"] else Stop()
        if options["verbosity"] > 1:
            self.stdout.write("delivering webhooks" + (" until stopped" if options["follow"] else ""))
            self.stdout.flush()
        delivered, failed = webhooks.run(
            follow=options["follow"],
            interval=options["interval"],
            fan_out=None if options["no_fan_out"] else fan_out,
            stop=stop,
        )
        if options["verbosity"]:
            self.stdout.write(f"{delivered} delivered, {failed} failed")


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError("time_invalid", "The time is ISO 8601, e.g. 2026-12-01T08:00+07:00.", field="since") from None
    return value if value.tzinfo else timezone.make_aware(value)
