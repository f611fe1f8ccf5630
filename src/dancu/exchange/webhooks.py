"""Signed webhooks for life events (Standard Webhooks): signing, one HTTP attempt, and the delivery worker.

Each delivery is POSTed as JSON with ``webhook-id`` (the event id: a receiver de-duplicates on it),
``webhook-timestamp`` and ``webhook-signature`` (``v1,<HMAC-SHA256>`` and/or ``v1a,<Ed25519>`` over
``id.timestamp.body``, one per signing secret while a rotation overlaps). A 2xx answer delivers it; anything else,
a timeout or a refused connection is retried on :data:`RETRY_SCHEDULE` (about three days), then it is a dead letter
an operator or the agency can redrive; 410 Gone disables the subscription. One person's events reach one endpoint in
order (the next waits until the previous is delivered or dead); different people's go in parallel.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import urllib3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram

from dancu.exchange.choices import DeliveryStatus, SigningScheme, SubscriptionStatus, SystemStatus
from dancu.exchange.models import Delivery, Subscription
from dancu.exchange.subscriptions import secret_material, signing_secrets

log = logging.getLogger(__name__)

#: Waits before each retry after the first attempt (published in docs/integrators.md): 5 s, 5 min, 30 min, 2 h, 5 h,
#: 10 h, 14 h, 20 h, 20 h — ten attempts over about 71 hours, then a dead letter.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=20),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
#: A claimed delivery is not claimed again for this long beyond the request timeout (a worker that died mid-send).
LEASE_MARGIN = timedelta(seconds=30)
USER_AGENT = "dancu-webhooks/1"

DELIVERIES = Counter(
    "dancu_lifeevent_deliveries", "Webhook attempts by subscription and outcome", ["subscription", "outcome"]
)
DELIVERY_LATENCY = Histogram(
    "dancu_lifeevent_delivery_latency_seconds",
    "From the event's recording to its delivery",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600, 86400),
)
LAG = Gauge("dancu_lifeevent_lag_seconds", "Age of the oldest waiting delivery, by subscription", ["subscription"])
WAITING = Gauge("dancu_lifeevent_waiting", "Deliveries waiting (first try or retry), by subscription", ["subscription"])
DEAD = Gauge("dancu_lifeevent_dead_letters", "Dead letters, by subscription", ["subscription"])


# --- signing ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """The secrets that sign one subscription's webhooks now (one, or two during a rotation)."""

    keys: tuple[tuple[str, Any], ...]

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        content = f"{msg_id}.{timestamp}.".encode() + body
        parts = []
        for scheme, key in self.keys:
            if scheme == SigningScheme.HMAC:
                digest = hmac.new(key, content, hashlib.sha256).digest()
            else:
                digest = key.sign(content)
            parts.append(f"{scheme},{base64.b64encode(digest).decode()}")
        return " ".join(parts)


def signer_for(subscription_id: int) -> Signer:
    keys: list[tuple[str, Any]] = []
    for secret in signing_secrets(subscription_id):
        material = secret_material(secret)
        key = Ed25519PrivateKey.from_private_bytes(material) if secret.scheme == SigningScheme.ED25519 else material
        keys.append((secret.scheme, key))
    return Signer(tuple(keys))


# --- one attempt -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    ok: bool
    status: int | None
    error: str
    finished: datetime


def post(
    pool: urllib3.PoolManager, url: str, body: bytes, headers: dict[str, str], *, timeout: float, cap: int
) -> tuple[int | None, str]:
    """POST once; the HTTP status (None if none came) and an error code ('' on 2xx). At most ``cap`` bytes of the
    answer are read; a longer answer's connection is dropped."""
    try:
        response = pool.request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
            retries=False,
            redirect=False,
            preload_content=False,
        )
    except urllib3.exceptions.NewConnectionError:  # before TimeoutError: urllib3 makes it a subclass of it
        return None, "connection_refused"
    except urllib3.exceptions.TimeoutError:
        return None, "timeout"
    except urllib3.exceptions.SSLError:
        return None, "tls_error"
    except urllib3.exceptions.HTTPError:
        return None, "connection_error"
    try:
        data = response.read(cap + 1, decode_content=False)
        if len(data) > cap:
            response.close()
        else:
            response.release_conn()
    except urllib3.exceptions.HTTPError:
        response.close()
        return response.status, "response_unreadable" if 200 <= response.status < 300 else f"http_{response.status}"
    if 200 <= response.status < 300:
        return response.status, ""
    return response.status, f"http_{response.status}"


# --- the worker ------------------------------------------------------------------------------------------------------

_DUE_SQL = """
SELECT d.id, d.subscription_id, d.event_id, d.payload, d.attempts, d.recorded_at
FROM exchange_delivery d
JOIN exchange_subscription s ON s.id = d.subscription_id
JOIN exchange_connectedsystem c ON c.id = s.system_id
WHERE d.status = %s AND d.next_attempt_at <= %s AND s.status = %s AND c.status = %s
  AND NOT EXISTS (
    SELECT 1 FROM exchange_delivery e
    WHERE e.subscription_id = d.subscription_id AND e.person_key = d.person_key AND e.status = %s
      AND e.sequence < d.sequence)
ORDER BY d.next_attempt_at, d.id
LIMIT %s
"""


@dataclass
class Due:
    id: int
    subscription_id: int
    event_id: str
    body: bytes
    attempts: int
    recorded_at: datetime


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def claim_due(limit: int, *, now: datetime | None = None, lease: timedelta | None = None) -> list[Due]:
    """The deliveries due now that are the first waiting of their person at their subscription, leased to this
    worker (not claimed again until the lease ends, should the worker die mid-send)."""
    now = now or timezone.now()
    lease = lease or timedelta(seconds=settings.DANCU_WEBHOOK_TIMEOUT) + LEASE_MARGIN
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _DUE_SQL,
                [DeliveryStatus.PENDING, now, SubscriptionStatus.ACTIVE, SystemStatus.APPROVED,
                 DeliveryStatus.PENDING, limit],
            )  # fmt: skip
            rows = cursor.fetchall()
        if not rows:
            return []
        Delivery.objects.filter(pk__in=[r[0] for r in rows]).update(next_attempt_at=now + lease)
    due = []
    for pk, sub, event_id, payload, attempts, recorded in rows:
        body = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        due.append(Due(pk, sub, str(uuid.UUID(str(event_id))), body, attempts, _as_datetime(recorded)))
    return due


class Deliverer:
    """Sends due deliveries with a pool of threads (different people in parallel) and records the outcomes."""

    def __init__(self, *, workers: int | None = None, timeout: float | None = None, cap: int | None = None) -> None:
        self.workers = workers or settings.DANCU_WEBHOOK_WORKERS
        self.timeout = timeout if timeout is not None else settings.DANCU_WEBHOOK_TIMEOUT
        self.cap = cap if cap is not None else settings.DANCU_WEBHOOK_MAX_RESPONSE
        self.pool = urllib3.PoolManager(num_pools=64, maxsize=self.workers, block=False)
        self.executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="webhook")
        self._subscriptions: dict[int, tuple[float, Subscription, Signer]] = {}

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.pool.clear()

    def _subscription(self, subscription_id: int) -> tuple[Subscription, Signer]:
        cached = self._subscriptions.get(subscription_id)
        if cached is None or time.monotonic() - cached[0] > 5.0:
            subscription = Subscription.objects.select_related("system").get(pk=subscription_id)
            cached = (time.monotonic(), subscription, signer_for(subscription_id))
            self._subscriptions[subscription_id] = cached
        return cached[1], cached[2]

    def _send(self, due: Due, url: str, signer: Signer) -> Outcome:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": due.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signer.sign(due.event_id, timestamp, due.body),
        }
        status, error = post(self.pool, url, due.body, headers, timeout=self.timeout, cap=self.cap)
        return Outcome(due.id, not error, status, error, timezone.now())

    def run_once(self, limit: int = 500) -> tuple[int, int]:
        """One round: claim what is due, send it, record the outcomes; (delivered, failed)."""
        due = claim_due(limit)
        if not due:
            return 0, 0
        jobs = []
        for item in due:
            subscription, signer = self._subscription(item.subscription_id)
            jobs.append((item, subscription, self.executor.submit(self._send, item, subscription.endpoint_url, signer)))
        outcomes = [(item, subscription, future.result()) for item, subscription, future in jobs]
        return record_outcomes(outcomes)


def record_outcomes(outcomes: Iterable[tuple[Due, Subscription, Outcome]]) -> tuple[int, int]:
    """Write what the attempts gave: delivered (with its latency), retry later, dead after the last try; a 410
    disables the subscription."""
    delivered_rows: list[Delivery] = []
    failed_rows: list[Delivery] = []
    gone: set[int] = set()
    for due, subscription, outcome in outcomes:
        attempts = due.attempts + 1
        label = subscription.name
        if outcome.ok:
            latency = max(0.0, (outcome.finished - due.recorded_at).total_seconds())
            delivered_rows.append(
                Delivery(
                    pk=due.id,
                    status=DeliveryStatus.DELIVERED,
                    attempts=attempts,
                    delivered_at=outcome.finished,
                    latency_ms=min(int(latency * 1000), 2**31 - 1),
                    last_status=outcome.status,
                    last_error="",
                    next_attempt_at=None,
                )
            )
            DELIVERIES.labels(label, "delivered").inc()
            DELIVERY_LATENCY.observe(latency)
            continue
        DELIVERIES.labels(label, outcome.error).inc()
        row = Delivery(pk=due.id, attempts=attempts, last_status=outcome.status, last_error=outcome.error)
        if outcome.status == 410:
            gone.add(subscription.pk)
            row.status, row.next_attempt_at = DeliveryStatus.PENDING, outcome.finished
        elif attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = DeliveryStatus.DEAD, None
        else:
            row.status, row.next_attempt_at = DeliveryStatus.PENDING, outcome.finished + RETRY_SCHEDULE[attempts - 1]
        failed_rows.append(row)
    with transaction.atomic():
        if delivered_rows:
            Delivery.objects.bulk_update(
                delivered_rows,
                ["status", "attempts", "delivered_at", "latency_ms", "last_status", "last_error", "next_attempt_at"],
                batch_size=500,
            )
        if failed_rows:
            Delivery.objects.bulk_update(
                failed_rows, ["status", "attempts", "last_status", "last_error", "next_attempt_at"], batch_size=500
            )
        if gone:
            Subscription.objects.filter(pk__in=gone, status=SubscriptionStatus.ACTIVE).update(
                status=SubscriptionStatus.DISABLED, status_reason="endpoint_gone", updated_at=timezone.now()
            )
    return len(delivered_rows), len(failed_rows)


def update_gauges() -> None:
    """Lag, waiting and dead letters per subscription, for the metrics."""
    now = timezone.now()
    for subscription in Subscription.objects.all():
        rows = Delivery.objects.filter(subscription=subscription)
        oldest = (
            rows.filter(status=DeliveryStatus.PENDING).order_by("recorded_at").values_list("recorded_at", flat=True)
        )
        first = oldest.first()
        LAG.labels(subscription.name).set((now - first).total_seconds() if first else 0.0)
        WAITING.labels(subscription.name).set(rows.filter(status=DeliveryStatus.PENDING).count())
        DEAD.labels(subscription.name).set(rows.filter(status=DeliveryStatus.DEAD).count())


class StopFlag:
    """Set by SIGTERM or SIGINT: the worker finishes its current round (outcomes and offset written), then stops."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.event.set())

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> None:
        self.event.wait(seconds)


def run(
    *,
    follow: bool,
    interval: float = 0.2,
    fan_out: Callable[[], int] | None = None,
    stop: StopFlag | None = None,
    deliverer: Deliverer | None = None,
    gauges_every: float = 10.0,
) -> tuple[int, int]:
    """Fan out new events (``fan_out``), deliver what is due; once, or until stopped with ``follow``."""
    stop = stop or StopFlag()
    deliverer = deliverer or Deliverer()
    totals = [0, 0]
    last_gauges = 0.0
    try:
        while not stop.stopped:
            if fan_out is not None:
                fan_out()
            delivered, failed = deliverer.run_once()
            totals[0] += delivered
            totals[1] += failed
            if time.monotonic() - last_gauges > gauges_every:
                update_gauges()
                last_gauges = time.monotonic()
            if not follow:
                if delivered or failed:
                    continue  # once: until nothing more is due now
                break
            if not (delivered or failed):
                stop.wait(interval)
    finally:
        deliverer.close()
    return totals[0], totals[1]
