"""Signed webhooks for life events (Standard Webhooks): signing, one HTTP attempt, and the delivery worker.

Each delivery is POSTed as JSON with ``webhook-id`` (the event id: a receiver de-duplicates on it),
``webhook-timestamp`` and ``webhook-signature`` (``v1,<HMAC-SHA256>`` and/or ``v1a,<Ed25519>`` over
``id.timestamp.body``, one per signing secret while a rotation overlaps). A 2xx answer delivers it; anything else,
a timeout or a refused connection is retried on :data:`RETRY_SCHEDULE` (about three days), then it is a dead letter
an operator or the agency can redrive; 410 Gone disables the subscription. One person's events reach one endpoint in
order (the next waits until the previous is delivered or dead); different people's go in parallel.

Several senders (``dancu subscriptions deliver --follow`` processes, or threads) may run at once:

- a sender **claims** the deliveries it sends in one transaction: on PostgreSQL the claiming ``SELECT`` locks its
  rows ``FOR UPDATE SKIP LOCKED`` (another sender skips them instead of waiting, or sending them too), and the claim
  sets ``next_attempt_at`` to the end of a **lease** (the request timeout plus :data:`LEASE_MARGIN`): until then no
  sender finds them due. On SQLite the claim runs under the database's single write lock (``IMMEDIATE``
  transactions), so senders claim one after the other (correct; they still send in parallel);
- the lease value is the claim's token: an outcome is written only where ``next_attempt_at`` still holds it, so a
  sender whose lease ran out (and whose deliveries another sender claimed again) cannot overwrite the newer outcome;
  and a claimed delivery whose lease would end before its attempt could time out is not sent at all (it is left to
  the next claim), so one delivery is never being sent by two senders at once;
- a person's next event is due only once the previous one is no longer pending (delivered or dead), whoever sends
  it: the claim's ``NOT EXISTS`` sees the previous one pending while it is leased, so order to one endpoint holds
  across senders.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
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

from dancu.core.processes import STOP, Stop
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
#: An outcome that is not one: the attempt was not made because the claim's lease was about to end.
LEASE_EXPIRED = "lease_expired"

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
#: PostgreSQL: lock the claimed rows, skipping those another sender is claiming (see the module's docstring).
_SKIP_LOCKED = " FOR UPDATE OF d SKIP LOCKED"
_LEASE_SQL = "UPDATE exchange_delivery SET next_attempt_at = %s WHERE id IN ({})"


@dataclass
class Due:
    id: int
    subscription_id: int
    event_id: str
    body: bytes
    attempts: int
    recorded_at: datetime
    #: The lease's end as stored (the claim's token: outcomes are written only where it is still there).
    lease: Any = None
    #: The lease's end on this process's monotonic clock (no attempt starts that could outlast it).
    lease_deadline: float = float("inf")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def claim_due(limit: int, *, now: datetime | None = None, lease: timedelta | None = None) -> list[Due]:
    """The deliveries due now that are the first waiting of their person at their subscription, leased to this
    sender (no other sender claims them until the lease ends, should this one die mid-send)."""
    now = now or timezone.now()
    lease = lease or timedelta(seconds=settings.DANCU_WEBHOOK_TIMEOUT) + LEASE_MARGIN
    deadline = time.monotonic() + lease.total_seconds()
    features = connection.features
    sql = _DUE_SQL
    if features.has_select_for_update_skip_locked and features.has_select_for_update_of:
        sql += _SKIP_LOCKED
    until = connection.ops.adapt_datetimefield_value(now + lease)  # stored and compared in the same form
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql,
            [DeliveryStatus.PENDING, now, SubscriptionStatus.ACTIVE, SystemStatus.APPROVED,
             DeliveryStatus.PENDING, limit],
        )  # fmt: skip
        rows = cursor.fetchall()
        if not rows:
            return []
        cursor.execute(_LEASE_SQL.format(", ".join(["%s"] * len(rows))), [until, *(r[0] for r in rows)])
    due = []
    for pk, sub, event_id, payload, attempts, recorded in rows:
        body = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        due.append(Due(pk, sub, str(uuid.UUID(str(event_id))), body, attempts, _as_datetime(recorded), until, deadline))
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
        if time.monotonic() + self.timeout >= due.lease_deadline:
            # Waited in the pool so long that the attempt could outlast the lease: another sender may claim it
            # then. Not sent; the lease runs out and the next claim sends it.
            return Outcome(due.id, False, None, LEASE_EXPIRED, timezone.now())
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


_DELIVERED_SQL = (
    "UPDATE exchange_delivery SET status = %s, attempts = %s, delivered_at = %s, latency_ms = %s, last_status = %s, "
    "last_error = '', next_attempt_at = NULL WHERE id = %s AND next_attempt_at = %s"
)
_FAILED_SQL = (
    "UPDATE exchange_delivery SET status = %s, attempts = %s, last_status = %s, last_error = %s, next_attempt_at = %s "
    "WHERE id = %s AND next_attempt_at = %s"
)


def record_outcomes(outcomes: Iterable[tuple[Due, Subscription, Outcome]]) -> tuple[int, int]:
    """Write what the attempts gave: delivered (with its latency), retry later, dead after the last try; a 410
    disables the subscription. One statement per kind, executed for all rows (Django's bulk_update builds a CASE
    per row and field: ten times slower here). A row is written only while it holds this claim's lease (``due.lease``);
    an attempt not made (:data:`LEASE_EXPIRED`) writes nothing."""
    delivered: list[tuple[Any, ...]] = []
    failed: list[tuple[Any, ...]] = []
    gone: set[int] = set()
    for due, subscription, outcome in outcomes:
        if outcome.error == LEASE_EXPIRED:
            continue
        attempts = due.attempts + 1
        label = subscription.name
        if outcome.ok:
            latency = max(0.0, (outcome.finished - due.recorded_at).total_seconds())
            ms = min(int(latency * 1000), 2**31 - 1)
            delivered.append(
                (DeliveryStatus.DELIVERED, attempts, outcome.finished, ms, outcome.status, due.id, due.lease)
            )
            DELIVERIES.labels(label, "delivered").inc()
            DELIVERY_LATENCY.observe(latency)
            continue
        DELIVERIES.labels(label, outcome.error).inc()
        if outcome.status == 410:
            gone.add(subscription.pk)
            status, next_at = DeliveryStatus.PENDING, outcome.finished
        elif attempts >= MAX_ATTEMPTS:
            status, next_at = DeliveryStatus.DEAD, None
        else:
            status, next_at = DeliveryStatus.PENDING, outcome.finished + RETRY_SCHEDULE[attempts - 1]
        failed.append((status, attempts, outcome.status, outcome.error, next_at, due.id, due.lease))
    with transaction.atomic(), connection.cursor() as cursor:
        if delivered:
            cursor.executemany(_DELIVERED_SQL, delivered)
        if failed:
            cursor.executemany(_FAILED_SQL, failed)
        if gone:
            Subscription.objects.filter(pk__in=gone, status=SubscriptionStatus.ACTIVE).update(
                status=SubscriptionStatus.DISABLED, status_reason="endpoint_gone", updated_at=timezone.now()
            )
    return len(delivered), len(failed)


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


def run(
    *,
    follow: bool,
    interval: float = 0.2,
    fan_out: Callable[[], int] | None = None,
    stop: Stop | None = None,
    deliverer: Deliverer | None = None,
    gauges_every: float = 10.0,
) -> tuple[int, int]:
    """Fan out new events (``fan_out``), deliver what is due; once, or until ``stop`` is set with ``follow`` (the
    process's :data:`~dancu.core.processes.STOP`, set by SIGTERM once ``stop_on_signals`` is installed: the round under
    way finishes and its outcomes are written, then it returns)."""
    stop = stop or STOP
    deliverer = deliverer or Deliverer()
    totals = [0, 0]
    last_gauges = 0.0
    try:
        while not stop.is_set():
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
