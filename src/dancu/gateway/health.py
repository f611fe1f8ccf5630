"""Liveness and readiness of a gateway worker, for load balancers and systemd (docs/operator.md, "Health").

- ``GET /healthz`` (liveness): the worker's event loop answers. Restart the process only when this fails.
- ``GET /readyz`` (readiness): 200 when the worker can serve truthfully, else 503 with the stable reasons:
  ``projection_unreadable`` (its database cannot be read), ``projection_lagging`` (more than
  ``DANCU_READY_MAX_LAG_EVENTS`` events of the registry's log not yet projected), ``projection_stale`` (the
  projector last ran more than ``DANCU_READY_MAX_AGE_SECONDS`` ago: it is not running), ``ledger_unwritable`` (an
  entry could not be written now: the last write failed, the file cannot be written, or its write turn has been
  held for more than two seconds). Take the node out of rotation while it is not ready; do not restart it for that.

A probe costs a few reads and one ``BEGIN IMMEDIATE``/``ROLLBACK`` on the ledger; its result is kept for a second,
so a load balancer probing often costs no more.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dancu.gateway import projection

if TYPE_CHECKING:
    from dancu.gateway.worker import Gateway

#: How long a readiness result is reused.
CACHE_SECONDS = 1.0
#: How long the ledger probe may wait for the write turn.
LEDGER_PROBE_SECONDS = 2.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reasons: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"ready": self.ready, "reasons": self.reasons, **self.details}


def projection_state(db: sqlite3.Connection) -> tuple[int, int, float | None]:
    """``(offset, lag_events, age_seconds)`` of a projection: events of the registry's log not yet in it (as of the
    projector's last run) and seconds since that run (None if it never ran)."""
    offset = int(projection.meta(db, "offset", "0"))
    lag = max(0, int(projection.meta(db, "log_sequence", "0") or 0) - offset)
    checked = projection.meta(db, "checked_at") or projection.meta(db, "updated_at")
    age = time.time() - datetime.fromisoformat(checked).timestamp() if checked else None
    return offset, lag, age


async def readiness(gateway: Gateway) -> Readiness:
    """Whether this worker can serve truthfully now (see the module's docstring), reused for :data:`CACHE_SECONDS`."""
    cached = gateway.readiness_cache
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        result: Readiness = cached[1]
        return result
    config = gateway.config
    reasons: list[str] = []
    details: dict[str, Any] = {}
    try:
        offset, lag, age = projection_state(gateway.db)
        details.update(projection_offset=offset, projection_lag_events=lag)
        if age is not None:
            details["projection_age_seconds"] = round(age, 1)
        if lag > config.ready_max_lag_events:
            reasons.append("projection_lagging")
        if age is None or age > config.ready_max_age_seconds:
            reasons.append("projection_stale")
    except (sqlite3.Error, ValueError):
        reasons.append("projection_unreadable")
    try:
        await gateway.ledger.probe(LEDGER_PROBE_SECONDS)
    except Exception:  # whatever stops a write stops the gateway from answering: not ready
        reasons.append("ledger_unwritable")
    result = Readiness(not reasons, reasons, details)
    gateway.readiness_cache = (time.monotonic(), result)
    return result
