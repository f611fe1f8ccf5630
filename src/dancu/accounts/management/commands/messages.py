"""``dancu messages deliver [--follow] | status | purge [--days 90]``: the outbox of SMS and e-mail to citizens
(accounts/messaging.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count
from django.utils import timezone

from dancu.accounts import messaging
from dancu.accounts.models import MessageStatus, OutboundMessage
from dancu.core.processes import stop_on_signals


class Command(BaseCommand):
    help = (
        "deliver: retry the pending messages that are due (once, or every --interval seconds with --follow; run one "
        "such process per deployment). status: how many are pending, failed, sent in the last 24 hours. purge: delete "
        "the records of messages sent more than --days days ago (their text is already erased)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deliver", "status", "purge"])
        parser.add_argument("--days", type=int, default=90, help="purge: keep this many days of sent messages")
        parser.add_argument("--follow", action="store_true")
        parser.add_argument("--interval", type=float, default=10.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "purge":
            before = timezone.now() - timedelta(days=max(options["days"], 1))
            deleted, _ = OutboundMessage.objects.filter(status=MessageStatus.SENT, sent_at__lt=before).delete()
            self.stdout.write(f"{deleted} sent messages older than {options['days']} days deleted")
            return
        if options["action"] == "status":
            by_status = OutboundMessage.objects.values("status").annotate(n=Count("id")).order_by()
            counts = {row["status"]: row["n"] for row in by_status}
            day_ago = timezone.now() - timedelta(days=1)
            sent = OutboundMessage.objects.filter(status=MessageStatus.SENT, sent_at__gte=day_ago).count()
            self.stdout.write(
                f"pending {counts.get(MessageStatus.PENDING, 0)}\tfailed {counts.get(MessageStatus.FAILED, 0)}\t"
                f"sent in the last 24 h {sent}"
            )
            for row in (
                OutboundMessage.objects.filter(status__in=[MessageStatus.PENDING, MessageStatus.FAILED])
                .exclude(error="")
                .values("channel", "error")
                .annotate(n=Count("id"))
                .order_by("-n")[:10]
            ):
                self.stdout.write(f"  {row['channel']}\t{row['error']}\t{row['n']}")
            return
        # SIGTERM / Ctrl-C: the messages already claimed are sent (or released for a retry), then exit status 0.
        stop = stop_on_signals()
        while not stop.is_set():
            delivered, failed = messaging.deliver_due()
            if delivered or failed or options["verbosity"] > 1:
                self.stdout.write(f"{delivered} delivered, {failed} failed again")
            if not options["follow"]:
                return
            stop.wait(options["interval"])
