"""Life-event subscriptions (đăng ký nhận sự kiện) as grants: requested for a purpose, checked against what that
purpose may receive, approved, suspended or disabled by an operator; their signing secrets and rotation; replay,
redrive and health. The fan-out is in :mod:`dancu.exchange.consumers`, the webhook worker in
:mod:`dancu.exchange.webhooks`."""

from __future__ import annotations

import base64
import ipaddress
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from dancu.core.crypto import Keyring, SecretBox
from dancu.core.errors import DomainError, NotFound
from dancu.events.models import ConsumerOffset, Event
from dancu.events.services import get_offset, last_sequence, read_events
from dancu.exchange.access import AccessChannel, record_access
from dancu.exchange.choices import (
    DeliveryStatus,
    SigningScheme,
    SubscriptionChannel,
    SubscriptionStatus,
    SystemStatus,
)
from dancu.exchange.lifeevents import (
    EVENT_TYPES,
    LifeEvent,
    fields_of,
    matches,
    people_in,
    pseudonym_of,
    sent_fields,
    shape,
    to_life_events,
)
from dancu.exchange.lifeevents.contract import INTERNAL
from dancu.exchange.models import (
    AccessRecord,
    ConnectedSystem,
    Delivery,
    Purpose,
    SigningSecret,
    SubjectPseudonym,
    Subscription,
)

#: The fan-out consumer's name in the consumer offsets (``exchange.consumers``).
FANOUT_CONSUMER = "exchange.lifeevents"
#: How long a rotated-out secret keeps signing beside the new one, by default.
ROTATION_OVERLAP = timedelta(days=3)


# --- secrets ---------------------------------------------------------------------------------------------------------


@cache
def _box() -> SecretBox:
    return SecretBox(Path(settings.DANCU_KEYS_DIR) / "webhook-secrets.json")


def _associated(subscription_id: int) -> bytes:
    return b"webhook-secret\0" + str(subscription_id).encode()


def _new_secret(subscription: Subscription, scheme: str) -> tuple[SigningSecret, str]:
    """A new signing secret; returns it and what the receiver needs (``whsec_`` secret or ``whpk_`` public key)."""
    if scheme == SigningScheme.HMAC:
        material = os.urandom(32)
        given = "whsec_" + base64.b64encode(material).decode()
        public = ""
    elif scheme == SigningScheme.ED25519:
        private = Ed25519PrivateKey.generate()
        material = private.private_bytes_raw()
        public = "whpk_" + base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
        given = public
    else:
        raise DomainError("signing_invalid", "Signing is 'v1a' (Ed25519) or 'v1' (HMAC-SHA256).", field="signing")
    secret = SigningSecret.objects.create(
        subscription=subscription,
        scheme=scheme,
        sealed=_box().seal(_associated(subscription.pk), material),
        public_key=public,
    )
    return secret, given


def secret_material(secret: SigningSecret) -> bytes:
    """The raw HMAC secret or Ed25519 private key of a signing secret (for the webhook worker only)."""
    return _box().open(_associated(secret.subscription_id), bytes(secret.sealed))


def signing_secrets(subscription_id: int, *, now: datetime | None = None) -> list[SigningSecret]:
    """The secrets that sign now: all not yet retired (two during a rotation's overlap)."""
    now = now or timezone.now()
    return list(
        SigningSecret.objects.filter(subscription_id=subscription_id)
        .filter(Q(retires_at__isnull=True) | Q(retires_at__gt=now))
        .order_by("-created_at")
    )


@transaction.atomic
def rotate_secret(
    subscription: Subscription, *, scheme: str | None = None, overlap: timedelta = ROTATION_OVERLAP
) -> str:
    """A new signing secret; the current ones keep signing beside it for ``overlap`` (the receiver accepts either
    while it switches). Returns what the receiver needs."""
    current = signing_secrets(subscription.pk)
    scheme = scheme or (current[0].scheme if current else SigningScheme.ED25519)
    retires = timezone.now() + overlap
    SigningSecret.objects.filter(pk__in=[s.pk for s in current]).update(retires_at=retires)
    return _new_secret(subscription, scheme)[1]


# --- requesting and approving ----------------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str) -> str:
    """An https URL (loopback http only where the installation allows it: the demo and tests)."""
    url = (url or "").strip()
    if not url:
        raise DomainError("endpoint_missing", "A webhook subscription needs an endpoint URL.", field="endpoint_url")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        raise DomainError("endpoint_invalid", "The endpoint is not a valid URL.", field="endpoint_url") from None
    if not host or parts.username or parts.password or len(url) > 500:
        raise DomainError(
            "endpoint_invalid", "The endpoint is an https URL with a host and no credentials.", field="endpoint_url"
        )
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _is_loopback(host) and settings.DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP:
        return url
    raise DomainError("endpoint_not_https", "Webhook endpoints must use https.", field="endpoint_url")


def _codes(values: list[str] | None, field: str, size: int) -> list[str]:
    codes = sorted({str(v).strip() for v in values or ()})
    if any(len(c) != size or not c.isdigit() for c in codes):
        message = (
            "Province codes have %(size)d digits." if field == "provinces" else "Commune codes have %(size)d digits."
        )
        raise DomainError(f"{field}_invalid", message, field=field, params={"size": size})
    return codes


def check_grant(purpose: Purpose, event_types: list[str], fields: list[str]) -> tuple[list[str], list[str]]:
    """Event types and fields known to the contract and granted for the purpose (refused otherwise, with a code)."""
    types = sorted(set(event_types or ()))
    if not types:
        raise DomainError("event_types_missing", "Name at least one life-event type.", field="event_types")
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise DomainError(
            "event_type_unknown",
            "Unknown life-event types: %(types)s.",
            field="event_types",
            params={"types": ", ".join(unknown)},
        )
    refused = [t for t in types if t not in purpose.event_types]
    if refused:
        raise DomainError(
            "event_type_not_granted",
            "Not granted for the purpose %(purpose)s: %(refused)s.",
            field="event_types",
            params={"purpose": purpose.code, "refused": ", ".join(refused)},
        )
    names = sorted(set(fields or ()))
    unknown = [f for f in names if f not in fields_of(types)]
    if unknown:
        raise DomainError(
            "field_unknown",
            "Not a field of these event types: %(fields)s.",
            field="fields",
            params={"fields": ", ".join(unknown)},
        )
    refused = [f for f in names if f not in purpose.event_fields]
    if refused:
        raise DomainError(
            "field_not_granted",
            "Not granted for the purpose %(purpose)s: %(refused)s.",
            field="fields",
            params={"purpose": purpose.code, "refused": ", ".join(refused)},
        )
    return types, names


@dataclass(frozen=True)
class Requested:
    subscription: Subscription
    #: What the receiver needs to verify signatures: ``whsec_...`` (v1) or ``whpk_...`` (v1a); empty for NATS.
    verification_key: str


@transaction.atomic
def request_subscription(
    system: ConnectedSystem,
    *,
    purpose: str,
    name: str,
    event_types: list[str],
    fields: list[str] | None = None,
    provinces: list[str] | None = None,
    communes: list[str] | None = None,
    channel: str = SubscriptionChannel.WEBHOOK,
    endpoint_url: str = "",
    signing: str = SigningScheme.ED25519,
) -> Requested:
    """A connected system asks to receive life events for a purpose; the subscription waits for an operator."""
    try:
        purpose_row = Purpose.objects.get(code=purpose)
    except Purpose.DoesNotExist:
        raise DomainError("purpose_unknown", "No purpose with this code.", field="purpose") from None
    types, names = check_grant(purpose_row, event_types, fields or [])
    if channel not in SubscriptionChannel.values:
        raise DomainError("channel_invalid", "The channel is 'webhook' or 'nats'.", field="channel")
    url = check_endpoint(endpoint_url) if channel == SubscriptionChannel.WEBHOOK else ""
    if signing not in SigningScheme.values:
        raise DomainError("signing_invalid", "Signing is 'v1a' (Ed25519) or 'v1' (HMAC-SHA256).", field="signing")
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        raise DomainError("name_invalid", "The name is 1-64 letters, digits, '-' or '_'.", field="name")
    if Subscription.objects.filter(system=system, name=name).exists():
        raise DomainError("subscription_exists", "The system has a subscription with this name.", status=409)
    subscription = Subscription.objects.create(
        system=system,
        purpose=purpose_row,
        name=name,
        event_types=types,
        fields=names,
        provinces=_codes(provinces, "provinces", 2),
        communes=_codes(communes, "communes", 5),
        channel=channel,
        endpoint_url=url,
    )
    key = _new_secret(subscription, signing)[1] if channel == SubscriptionChannel.WEBHOOK else ""
    return Requested(subscription, key)


def get_subscription(subscription_id: int) -> Subscription:
    row = Subscription.objects.select_related("system", "purpose").filter(pk=subscription_id).first()
    if row is None:
        raise NotFound("subscription_not_found", "No subscription with this id.")
    return row


@transaction.atomic
def approve_subscription(subscription: Subscription, *, by: str) -> Subscription:
    """An operator approves (or resumes) a subscription: it receives the events recorded from now on (earlier ones
    by :func:`replay`). The grant is checked again against the purpose as it is today."""
    subscription = Subscription.objects.select_for_update().select_related("system", "purpose").get(pk=subscription.pk)
    if subscription.system.status != SystemStatus.APPROVED:
        raise DomainError("system_not_approved", "The connected system is not approved.", status=409)
    check_grant(subscription.purpose, subscription.event_types, subscription.fields)
    if subscription.approved_at is None:
        subscription.start_sequence = last_sequence()
        subscription.approved_at = timezone.now()
        subscription.approved_by = by[:150]
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.status_reason = ""
    subscription.save()
    return subscription


@transaction.atomic
def set_subscription_status(subscription: Subscription, status: str, *, reason: str = "", by: str = "") -> Subscription:
    """Suspend or disable (nothing is delivered meanwhile; what waits stays waiting), or resume to active."""
    if status == SubscriptionStatus.ACTIVE:
        return approve_subscription(subscription, by=by)
    if status not in (SubscriptionStatus.SUSPENDED, SubscriptionStatus.DISABLED):
        raise DomainError("status_invalid", "The status is active, suspended or disabled.", field="status")
    Subscription.objects.filter(pk=subscription.pk).update(
        status=status, status_reason=reason[:200], updated_at=timezone.now()
    )
    subscription.refresh_from_db()
    return subscription


# --- fan-out ---------------------------------------------------------------------------------------------------------


def deliverable(subscription: Subscription) -> bool:
    """Active, and its system approved: a suspended system receives nothing."""
    return subscription.status == SubscriptionStatus.ACTIVE and subscription.system.status == SystemStatus.APPROVED


def release(life_event: LifeEvent, subscription: Subscription, *, now: datetime | None = None) -> Delivery | None:
    """Release one life event to one subscription (see :func:`release_many`); the delivery, or ``None`` if it was
    released before (or the subscription is a NATS one)."""
    made = release_many([(life_event, subscription)], now=now)
    return made[0] if made else None


@cache
def _keyring(directory: str) -> Keyring:
    return Keyring(Path(directory))


def release_many(pairs: list[tuple[LifeEvent, Subscription]], *, now: datetime | None = None) -> list[Delivery]:
    """Release life events to subscriptions, in the caller's transaction: each shaped payload as a delivery (webhook
    subscriptions) and an access record for every person whose data it carries, written in bulk. Idempotent: a
    (subscription, event) released before is skipped, its access records included. Returns the new deliveries."""
    if not pairs:
        return []
    now = now or timezone.now()
    done = set(
        Delivery.objects.filter(
            event_id__in={e.event_id for e, _ in pairs}, subscription_id__in={s.pk for _, s in pairs}
        ).values_list("subscription_id", "event_id")
    )
    keys = _keyring(str(settings.DANCU_KEYS_DIR))
    deliveries: list[Delivery] = []
    records: list[AccessRecord] = []
    pseudonyms: dict[tuple[int, str], uuid.UUID] = {}
    for life_event, subscription in pairs:
        event_uuid = uuid.UUID(life_event.event_id)
        if (subscription.pk, event_uuid) in done:
            continue
        done.add((subscription.pk, event_uuid))
        client_id = subscription.system.client_id
        if subscription.channel == SubscriptionChannel.WEBHOOK:
            deliveries.append(
                Delivery(
                    subscription=subscription,
                    event_id=event_uuid,
                    sequence=life_event.sequence,
                    event_type=life_event.type,
                    person_key=pseudonym_of(client_id, life_event.pin),
                    payload=shape(life_event, subscription),
                    recorded_at=datetime.fromisoformat(life_event.recorded_at),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        elif "pin" not in subscription.fields:  # a NATS message names its subject by this pseudonym: resolvable
            pseudonyms.setdefault((subscription.pk, pseudonym_of(client_id, life_event.pin)), event_uuid)
        fields = sorted(sent_fields(life_event, subscription))
        purpose = (subscription.purpose.name or subscription.purpose.code)[:300]
        for pin in people_in(life_event, subscription):
            records.append(
                AccessRecord(
                    pin_hmac=keys.pin_hmac(pin).hex(),
                    time=now,
                    channel=AccessChannel.LIFE_EVENT,
                    organisation=subscription.system.organisation[:200],
                    actor=client_id[:200],
                    purpose=purpose,
                    fields=fields if pin == life_event.pin else ["event", "relation"],
                    reference=f"{life_event.type}:{life_event.event_id}"[:100],
                )
            )
    _insert(Delivery, deliveries)
    _insert(AccessRecord, records)
    _keep_pseudonyms(pseudonyms)
    return deliveries


def _keep_pseudonyms(pseudonyms: dict[tuple[int, str], uuid.UUID]) -> None:
    """The subjects' pseudonyms released to NATS subscriptions, each with the first event that carried it (what
    resolves it); one already kept is left as it is. Plain tuples, no model instances: this is the fan-out's path."""
    if not pseudonyms:
        return
    native = connection.features.has_native_uuid_field
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(SubjectPseudonym._meta.db_table)} "
        f"({quote('subscription_id')}, {quote('pseudonym')}, {quote('event_id')}) VALUES (%s, %s, %s) "
        "ON CONFLICT DO NOTHING"
    )
    rows = [(pk, name, event if native else event.hex) for (pk, name), event in pseudonyms.items()]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _insert(model: type[Delivery] | type[AccessRecord], rows: list[Any]) -> None:
    """INSERT many rows with one prepared statement (Django's bulk_create spends most of its time building SQL)."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    values = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def active_subscriptions() -> list[Subscription]:
    return [
        s
        for s in Subscription.objects.select_related("system", "purpose").filter(status=SubscriptionStatus.ACTIVE)
        if deliverable(s)
    ]


def fan_out(records: list[Any], subscriptions: list[Subscription] | None = None) -> int:
    """Release these internal events to every active subscription they match; how many were released."""
    subscriptions = active_subscriptions() if subscriptions is None else subscriptions
    if not subscriptions:
        return 0
    wanted = {t for s in subscriptions for t in s.event_types}
    relevant = [r for r in records if INTERNAL.get(r.type, ("",))[0] in wanted]
    pairs = [(e, s) for e in to_life_events(relevant) for s in subscriptions if matches(e, s)]
    before = len(pairs)
    made = release_many(pairs)
    webhooks = sum(1 for _, s in pairs if s.channel == SubscriptionChannel.WEBHOOK)
    return len(made) + (before - webhooks)


# --- operating -------------------------------------------------------------------------------------------------------


@transaction.atomic
def redrive(subscription: Subscription, *, event_ids: list[str] | None = None) -> int:
    """Send dead letters again from the first try (all of the subscription's, or these events'); how many."""
    rows = Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.DEAD)
    if event_ids:
        rows = rows.filter(event_id__in=event_ids)
    return rows.update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="", last_status=None
    )


@transaction.atomic
def replay(subscription: Subscription, *, after_sequence: int | None = None, since: datetime | None = None) -> int:
    """Deliver again the events after a sequence, or recorded since a time: those sent before are queued again with
    the same webhook-id (the receiver may de-duplicate), those never released to this subscription (recorded before
    its start or while it was suspended) are released now, with their access records. Returns how many deliveries
    were queued. NATS subscriptions replay from their own JetStream consumer."""
    if (after_sequence is None) == (since is None):
        raise DomainError("replay_invalid", "Replay from a sequence or from a time, not both.", field="after")
    subscription = get_subscription(subscription.pk)
    if subscription.channel != SubscriptionChannel.WEBHOOK:
        raise DomainError("replay_webhook_only", "A NATS subscription replays from its JetStream consumer.")
    if after_sequence is None:
        first = Event.objects.filter(recorded_at__gte=since).aggregate(m=Min("sequence"))["m"]
        after_sequence = (first - 1) if first is not None else last_sequence()
    if after_sequence < 0:
        raise DomainError("replay_invalid", "The sequence is zero or more.", field="after")
    # Hold the fan-out's offset: what it has read is ours to fill in, what it has not it will release itself.
    offset, _ = ConsumerOffset.objects.select_for_update().get_or_create(consumer=FANOUT_CONSUMER)
    now = timezone.now()
    queued = (
        Delivery.objects.filter(subscription=subscription, sequence__gt=after_sequence)
        .exclude(status=DeliveryStatus.PENDING)
        .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error="", last_status=None)
    )
    subscription.start_sequence = after_sequence  # in memory only: what matches() lets through here
    batch: list[Any] = []
    for record in read_events(after_sequence):
        if record.sequence > offset.sequence:
            break
        batch.append(record)
        if len(batch) == 1000:
            queued += fan_out(batch, [subscription])
            batch = []
    queued += fan_out(batch, [subscription])
    return queued


def health(subscription: Subscription) -> dict[str, Any]:
    """Lag, last delivery and failures of one subscription (for the agency and the operator)."""
    rows = Delivery.objects.filter(subscription=subscription)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    pending = rows.filter(status=DeliveryStatus.PENDING)
    oldest = pending.aggregate(m=Min("recorded_at"))["m"]
    last = rows.filter(status=DeliveryStatus.DELIVERED).aggregate(m=Max("delivered_at"))["m"]
    retrying = pending.filter(attempts__gt=0).count()
    fanned = get_offset(FANOUT_CONSUMER)
    now = timezone.now()
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "status": subscription.status,
        "status_reason": subscription.status_reason,
        "channel": subscription.channel,
        "pending": counts.get(DeliveryStatus.PENDING, 0),
        "delivered": counts.get(DeliveryStatus.DELIVERED, 0),
        "dead": counts.get(DeliveryStatus.DEAD, 0),
        "retrying": retrying,
        "lag_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        "events_not_fanned_out": max(0, last_sequence() - fanned),
        "last_delivered_at": last,
    }


def resolve_pseudonym(subscription: Subscription, pseudonym: str, *, actor: str = "") -> str:
    """The PIN behind a pseudonym this subscription received as an event's subject (a recorded access: the
    person sees the lookup). Only pseudonyms of events released to the subscription resolve: by webhook (its
    deliveries) or over NATS (the subjects the fan-out released to it)."""
    row = (
        Delivery.objects.filter(subscription=subscription, person_key=pseudonym)
        .values_list("event_id", flat=True)
        .first()
    ) or (
        SubjectPseudonym.objects.filter(subscription=subscription, pseudonym=pseudonym)
        .values_list("event_id", flat=True)
        .first()
    )
    pin = Event.objects.filter(event_id=row).values_list("pin", flat=True).first() if row else None
    if not pin:
        raise NotFound("pseudonym_unknown", "No event of this subscription has this pseudonym.")
    record_access(
        pin,
        channel=AccessChannel.LIFE_EVENT,
        organisation=subscription.system.organisation,
        actor=actor or subscription.system.client_id,
        purpose=subscription.purpose.name or subscription.purpose.code,
        fields=["pin"],
        reference=f"pseudonym:{subscription.pk}",
    )
    return pin
