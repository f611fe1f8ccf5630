"""The gateway's Prometheus metrics (``GET /metrics``)."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
#: In multi-process mode a gauge reports the most recent value written by a live worker.
_GAUGE_MODE: dict[str, Any] = {"multiprocess_mode": "livemostrecent"} if MULTIPROCESS else {}


class Metrics:
    """Prometheus metrics. With several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, cleared at
    start) so that a scrape, whichever worker answers it, sums every worker's counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, str], Any] = {}
        self._latency_children: dict[str, Any] = {}
        self.requests = Counter(
            "dancu_gateway_requests_total", "Calls by operation and outcome", ["operation", "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "dancu_gateway_request_seconds", "Latency by operation", ["operation"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
        )  # fmt: skip
        self.projection_offset = Gauge(
            "dancu_projection_offset", "Last event-log sequence in the projection", registry=self.registry,
            **_GAUGE_MODE,
        )  # fmt: skip
        self.projection_age = Gauge(
            "dancu_projection_age_seconds", "Seconds since the projector last ran", registry=self.registry,
            **_GAUGE_MODE,
        )  # fmt: skip
        self.projection_lag = Gauge(
            "dancu_projection_lag_events",
            "Events in the registry's log not yet in the projection, as of the projector's last run",
            registry=self.registry,
            **_GAUGE_MODE,
        )

    def count(self, operation: str, outcome: str) -> None:
        """Count one call (label children are looked up once: this runs on every request)."""
        child = self._children.get((operation, outcome))
        if child is None:
            child = self._children[(operation, outcome)] = self.requests.labels(operation, outcome)
        child.inc()

    def observe(self, operation: str, seconds: float) -> None:
        child = self._latency_children.get(operation)
        if child is None:
            child = self._latency_children[operation] = self.latency.labels(operation)
        child.observe(seconds)

    def exposition(self) -> bytes:
        if not MULTIPROCESS:
            return bytes(generate_latest(self.registry))
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
