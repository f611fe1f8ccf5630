"""Per-system deliveries over NATS: each life event shaped for each active NATS subscription it matches
(:func:`dancu.exchange.lifeevents.shape`: only the fields the grant allows), published on the system's own subjects
``dancu.deliver.<client_id>.<type>.<province>`` with ``Nats-Msg-Id`` = ``<event id>.<subscription id>``.

The messages go out in the event log's order (then by subscription), one stream for all systems, so one person's
events reach a system in the order they were recorded. The access records of these deliveries are written by the
fan-out (``exchange.consumers``) when it releases the event to the subscription, as for webhooks.
"""

from __future__ import annotations

import os

import orjson

from dancu.events.relay import (
    NO_PROVINCE,
    Batch,
    OutboxMessage,
    Position,
    Source,
    StreamSettings,
    canonical_uuid,
    subject_token,
)
from dancu.events.services import read_events
from dancu.exchange.choices import SubscriptionChannel, SubscriptionStatus, SystemStatus
from dancu.exchange.models import Subscription
from dancu.exchange.nats.config import DELIVERIES_STREAM, DELIVERIES_SUBJECT_PREFIX

OFFSET_NAME = f"nats:{DELIVERIES_STREAM}"


def deliveries_stream_settings() -> StreamSettings:
    return StreamSettings(
        name=DELIVERIES_STREAM,
        subjects=[f"{DELIVERIES_SUBJECT_PREFIX}.>"],
        duplicate_window=float(os.environ.get("DANCU_NATS_DUPLICATE_WINDOW", "600")),
        max_age_days=float(os.environ.get("DANCU_NATS_MAX_AGE_DAYS", "90")),
        replicas=int(os.environ.get("DANCU_NATS_REPLICAS", "1")),
    )


def delivery_subject(client_id: str, event_type: str, province: str | None) -> str:
    return (
        f"{DELIVERIES_SUBJECT_PREFIX}.{client_id}.{subject_token(event_type)}.{subject_token(province or NO_PROVINCE)}"
    )


def nats_subscriptions() -> list[Subscription]:
    """The subscriptions delivered over NATS now: active, of an approved system (a suspended one receives nothing)."""
    return list(
        Subscription.objects.select_related("system", "purpose")
        .filter(
            channel=SubscriptionChannel.NATS, status=SubscriptionStatus.ACTIVE, system__status=SystemStatus.APPROVED
        )
        .order_by("pk")
    )


class DeliverySource(Source):
    """The event log, as each active NATS subscription receives it (see the module's docstring)."""

    offset_name = OFFSET_NAME

    def read(self, after: Position, limit: int) -> Batch:
        from dancu.exchange.lifeevents import matches, shape, to_life_events

        # An event partly published (a crash between two of its subscriptions) is read again from its start.
        start = after[0] - 1 if after[1] else after[0]
        records = list(read_events(start, limit=limit, batch_size=limit))
        if not records:
            return Batch([], after)
        subscriptions = nats_subscriptions()
        wanted = {t for s in subscriptions for t in s.event_types}
        messages: list[OutboxMessage] = []
        dumps = orjson.dumps
        for event in to_life_events(records) if subscriptions else ():
            if event.type not in wanted:
                continue
            for subscription in subscriptions:
                key = (event.sequence, subscription.pk)
                if key <= after or not matches(event, subscription):
                    continue
                messages.append(
                    OutboxMessage(
                        key,
                        f"{canonical_uuid(event.event_id)}.{subscription.pk}",
                        delivery_subject(subscription.system.client_id, event.type, event.province),
                        dumps(shape(event, subscription)),
                        {"Dancu-Subscription": subscription.name},
                    )
                )
        return Batch(messages, (records[-1].sequence, 0))


def delivery_source() -> Source | None:
    """The ordered source of NATS deliveries."""
    return DeliverySource()


def relay_lag() -> dict[str, int]:
    """How far the NATS deliveries are behind the event log (for a NATS subscription's health): the last event
    published to DANCU_DELIVERIES (every subscription's messages for it acknowledged) and how many events follow."""
    from dancu.events.relay import get_offset
    from dancu.events.services import last_sequence

    published = get_offset(OFFSET_NAME)
    return {"published_up_to": published, "events_not_published": max(0, last_sequence() - published)}
