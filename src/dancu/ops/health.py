"""Liveness, readiness and the followers' lag for the web side, answered in front of Django (docs/operator.md,
"Health").

``dancu.wsgi`` wraps the Django application in :class:`HealthEndpoints`, so that a load balancer's or systemd's probe
is answered whatever the ``Host`` header (``ALLOWED_HOSTS`` does not apply), without a session, and never logged:

- ``GET /healthz``: the worker answers (liveness: restart the process only when this fails);
- ``GET /readyz``: 200 when the registry's database answers a query, else 503 with ``database_unreachable``
  (readiness: take the node out of rotation);
- ``GET /metrics``: Prometheus text: the event log's head and, for each follower (every consumer offset, and the
  gateway's projector), its offset and ``dancu_follower_lag_events`` (events behind the head). Keep ``/metrics``
  off the public side at the proxy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, connections
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def database_ready(using: str = "default") -> bool:
    """Whether the registry's database answers ``SELECT 1`` now (the connection is closed afterwards)."""
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except (DatabaseError, OSError):
        return False
    finally:
        connection.close()


def readiness(using: str = "default") -> tuple[bool, list[str]]:
    reasons = [] if database_ready(using) else ["database_unreachable"]
    return not reasons, reasons


def follower_offsets(using: str = "default") -> tuple[int, dict[str, int]]:
    """``(head, {follower: offset})``: the event log's last sequence and each follower's offset (every consumer
    offset row, and ``projector``: the gateway projection's offset when its file exists)."""
    from dancu.events.models import ConsumerOffset, Event

    head = Event.objects.using(using).order_by("-sequence").values_list("sequence", flat=True).first() or 0
    offsets = dict(ConsumerOffset.objects.using(using).values_list("consumer", "sequence"))
    path = Path(settings.DANCU_GATEWAY_PROJECTION)
    if path.exists():
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'offset'").fetchone()
            finally:
                db.close()
            offsets["projector"] = int(row[0]) if row else 0
        except (sqlite3.Error, ValueError):
            pass
    return head, offsets


class _FollowerCollector:
    def __init__(self, using: str) -> None:
        self.using = using

    def collect(self) -> Iterator[GaugeMetricFamily]:
        head, offsets = follower_offsets(self.using)
        yield GaugeMetricFamily("dancu_event_log_head", "Last sequence of the registry's event log", value=head)
        offset = GaugeMetricFamily("dancu_follower_offset", "Last event applied by each follower", labels=["follower"])
        lag = GaugeMetricFamily(
            "dancu_follower_lag_events", "Events of the log each follower has not applied yet", labels=["follower"]
        )
        for name, value in sorted(offsets.items()):
            offset.add_metric([name], value)
            lag.add_metric([name], max(0, head - value))
        yield offset
        yield lag


def app_collectors(using: str) -> list[Any]:
    """Each installed app's own gauges: the ``collector(using)`` of its ``metrics`` module, found through the app
    registry (ops names no domain app; the insights app's: lookups, refusals and overdue dossiers)."""
    import importlib
    import importlib.util

    from django.apps import apps

    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.metrics"
        if config.name.startswith("dancu.") and importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            if hasattr(module, "collector"):
                found.append(module.collector(using))
    return found


def metrics_text(using: str = "default") -> bytes:
    registry = CollectorRegistry()
    registry.register(_FollowerCollector(using))  # type: ignore[arg-type]
    for collector in app_collectors(using):
        registry.register(collector)
    try:
        return bytes(generate_latest(registry))
    finally:
        connections[using].close()


class HealthEndpoints:
    """WSGI middleware: ``/healthz``, ``/readyz`` and ``/metrics`` (GET) answered here, everything else by ``app``."""

    def __init__(self, app: WSGIApp, using: str = "default") -> None:
        self.app = app
        self.using = using

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and path in ("/healthz", "/readyz", "/metrics"):
            if path == "/healthz":
                return _answer(start_response, "200 OK", orjson.dumps({"alive": True}))
            if path == "/readyz":
                ready, reasons = readiness(self.using)
                status = "200 OK" if ready else "503 Service Unavailable"
                return _answer(start_response, status, orjson.dumps({"ready": ready, "reasons": reasons}))
            try:
                return _answer(start_response, "200 OK", metrics_text(self.using), CONTENT_TYPE_LATEST)
            except (DatabaseError, OSError):
                body = orjson.dumps({"ready": False, "reasons": ["database_unreachable"]})
                return _answer(start_response, "503 Service Unavailable", body)
        return self.app(environ, start_response)


def _answer(start_response: StartResponse, status: str, body: bytes, kind: str = "application/json") -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
    return [body]
