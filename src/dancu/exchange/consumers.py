"""What the exchange app does when registry events arrive: each life event is released to the active subscriptions
it matches — a webhook delivery (the shaped payload) and an access record for every person whose data it carries,
in the transaction that moves this consumer's offset. Read by sequence from its own offset (``dancu follow``, and
the webhook worker before each round); a subscription receives an event once (unique per subscription and event)."""

from __future__ import annotations

from django.db import transaction

from dancu.events.models import ConsumerOffset
from dancu.events.services import read_events
from dancu.exchange.subscriptions import FANOUT_CONSUMER, active_subscriptions, fan_out

CONSUMER = FANOUT_CONSUMER


def follow(*, batch_size: int = 1000) -> int:
    """Release new events to the subscriptions, batch by batch; returns how many events were read."""
    read = 0
    while True:
        with transaction.atomic():
            offset, _ = ConsumerOffset.objects.select_for_update().get_or_create(consumer=CONSUMER)
            batch = list(read_events(offset.sequence, limit=batch_size, batch_size=batch_size))
            if not batch:
                return read
            fan_out(batch, active_subscriptions())
            offset.sequence = batch[-1].sequence
            offset.save(update_fields=["sequence", "updated_at"])
            read += len(batch)
