"""Gateway settings from the environment (the gateway does not read Django's settings)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GatewayConfig:
    projection: Path
    ledger: Path
    state: Path
    keys_dir: Path
    issuer: str  # public base URL of the gateway, e.g. https://gateway.example.vn
    token_ttl: int = 300
    assertion_max_ttl: int = 300
    max_body: int = 64 * 1024
    max_batch_body: int = 1024 * 1024
    max_batch_items: int = 1000
    workers: int = 1  # rates are shared between worker processes: each enforces rate / workers
    config_refresh_seconds: float = 1.0
    # Readiness (GET /readyz): not ready while the projection is this many events behind the registry's log, or its
    # projector last ran this many seconds ago.
    ready_max_lag_events: int = 10_000
    ready_max_age_seconds: float = 300.0

    @classmethod
    def from_env(cls) -> GatewayConfig:
        var = Path(os.environ.get("DANCU_VAR_DIR", Path.cwd() / "var")).resolve()
        return cls(
            projection=Path(os.environ.get("DANCU_GATEWAY_PROJECTION", var / "gateway-projection.sqlite3")),
            ledger=Path(os.environ.get("DANCU_LEDGER", var / "ledger.sqlite3")),
            state=Path(os.environ.get("DANCU_GATEWAY_STATE", var / "gateway-state.sqlite3")),
            keys_dir=Path(os.environ.get("DANCU_KEYS_DIR", var / "keys")),
            issuer=os.environ.get("DANCU_GATEWAY_ISSUER", "http://127.0.0.1:8001").rstrip("/"),
            token_ttl=int(os.environ.get("DANCU_GATEWAY_TOKEN_TTL", "300")),
            workers=int(os.environ.get("DANCU_GATEWAY_WORKERS", "1")),
            ready_max_lag_events=int(os.environ.get("DANCU_READY_MAX_LAG_EVENTS", "10000")),
            ready_max_age_seconds=float(os.environ.get("DANCU_READY_MAX_AGE_SECONDS", "300")),
        )
