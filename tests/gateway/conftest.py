"""A gateway over a projection of the test registry, with the demo bank as the calling system."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey
from starlette.testclient import TestClient

from dancu.core.crypto import Keyring
from dancu.gateway.app import create_app
from dancu.gateway.config import GatewayConfig
from dancu.registry import services
from tests import factories

ISSUER = "http://testserver"


@dataclass
class Setup:
    client: TestClient
    key: OKPKey
    config: GatewayConfig
    people: dict[str, Any]

    def assertion(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": "demo-bank", "sub": "demo-bank", "aud": f"{ISSUER}/oauth/token", "iat": now, "exp": now + 60,
            "jti": uuid.uuid4().hex,
        }  # fmt: skip
        claims.update(overrides)
        return jwt.encode({"alg": "Ed25519", "kid": self.key.kid}, claims, self.key, algorithms=["Ed25519"])

    def token(self, scope: str = "kyc-banking") -> str:
        response = self.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion(),
                "scope": scope,
            },
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def refresh(self) -> None:
        """Re-read the configuration and keys now, as the gateway's background refresh does, on its event loop's
        thread (where the refresh and the handlers run)."""
        self.client.portal.call(self.client.app.state.gateway.refresh)  # type: ignore[attr-defined,union-attr]

    def call(self, path: str, body: Any, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return self.client.post(path, json=body, headers=headers)


@pytest.fixture
def gateway(db: None, tmp_path: Path, settings: Any) -> Iterator[Setup]:
    settings.VAR_DIR = tmp_path
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    settings.DANCU_GATEWAY_PROJECTION = str(tmp_path / "projection.sqlite3")
    settings.DANCU_LEDGER = str(tmp_path / "ledger.sqlite3")
    living = factories.person(full_name="Đặng Thị Ánh", sex="F", birth_date=date(1991, 7, 9), residence="00004")
    old = factories.person(full_name="Lê Văn Cả", birth_date=date(1931, 1, 1), birth_date_precision="year")
    services.record_death(pin=old.pin, death_date=date(2020, 2, 2), actor="t")
    from dancu.exchange.demo import demo_key_path, ensure_demo_system
    from dancu.exchange.projector import project

    ensure_demo_system()
    project(rebuild=True)
    Keyring(tmp_path / "keys")  # created by the projector
    config = GatewayConfig(
        projection=tmp_path / "projection.sqlite3",
        ledger=tmp_path / "ledger.sqlite3",
        state=tmp_path / "state.sqlite3",
        keys_dir=tmp_path / "keys",
        issuer=ISSUER,
        config_refresh_seconds=0.05,
    )
    key = OKPKey.import_key(json.loads(demo_key_path().read_text()))
    with TestClient(create_app(config)) as client:
        yield Setup(client, key, config, {"living": living, "deceased": old})


@pytest.fixture
def live_gateway(gateway: Setup) -> Iterator[str]:
    """The same gateway served over real HTTP by uvicorn on a free loopback port; yields its base URL."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(gateway.config), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
