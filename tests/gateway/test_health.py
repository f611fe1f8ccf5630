"""Liveness and readiness (gateway/health.py): ready when it can serve truthfully, and each reason it cannot."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from typing import Any

from dancu.gateway.worker import Gateway
from tests.fixtures.gateway import Setup


def _ready(gateway: Setup) -> Any:
    worker: Gateway = gateway.client.app.state.gateway  # type: ignore[attr-defined]
    worker.readiness_cache = None  # each check anew (a result is reused for a second)
    return gateway.client.get("/readyz")


def _projection_meta(gateway: Setup, key: str, value: str) -> None:
    with sqlite3.connect(gateway.config.projection) as db:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def test_alive_and_ready(gateway: Setup) -> None:
    assert gateway.client.get("/healthz").json() == {"alive": True}
    response = _ready(gateway)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True and body["reasons"] == []
    assert body["projection_lag_events"] == 0


def test_not_ready_while_the_projection_lags(gateway: Setup) -> None:
    with sqlite3.connect(gateway.config.projection) as db:
        offset = int(db.execute("SELECT value FROM meta WHERE key = 'offset'").fetchone()[0])
    _projection_meta(gateway, "log_sequence", str(offset + gateway.config.ready_max_lag_events + 1))
    response = _ready(gateway)
    assert response.status_code == 503
    assert response.json()["reasons"] == ["projection_lagging"]
    assert response.json()["projection_lag_events"] == gateway.config.ready_max_lag_events + 1


def test_not_ready_when_the_projector_has_stopped(gateway: Setup) -> None:
    _projection_meta(gateway, "checked_at", "2026-01-01T00:00:00+00:00")
    response = _ready(gateway)
    assert response.status_code == 503
    assert response.json()["reasons"] == ["projection_stale"]


def test_not_ready_when_the_projection_cannot_be_read(gateway: Setup) -> None:
    with sqlite3.connect(gateway.config.projection) as db:
        db.execute("ALTER TABLE meta RENAME TO meta_elsewhere")
    response = _ready(gateway)
    assert response.status_code == 503
    assert response.json()["reasons"] == ["projection_unreadable"]


def test_not_ready_while_the_ledger_cannot_be_written(gateway: Setup) -> None:
    lock = os.open(f"{gateway.config.ledger}.write.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a writer elsewhere holding the ledger's turn
        response = _ready(gateway)
    finally:
        os.close(lock)
    assert response.status_code == 503
    assert response.json()["reasons"] == ["ledger_unwritable"]
    assert _ready(gateway).status_code == 200  # back once the turn is free


def test_not_ready_after_a_failed_write_until_one_succeeds(gateway: Setup) -> None:
    worker: Gateway = gateway.client.app.state.gateway  # type: ignore[attr-defined]
    worker.ledger.failing = True  # what AsyncLedger sets when a batch could not be written
    assert _ready(gateway).json()["reasons"] == ["ledger_unwritable"]
    assert (
        gateway.call("/v1/verify", {"pin": gateway.people["living"].pin, "purpose": "kyc-banking"}).status_code == 200
    )
    assert _ready(gateway).status_code == 200
