"""A real web server (granian, WSGI) over its own SQLite registry with the demo citizens and relying party: what
outside clients (Authlib, a browser) talk to."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent


@dataclass
class LiveWeb:
    url: str
    var_dir: Path
    citizens: dict[str, Any]
    env: dict[str, str]
    officials: dict[str, str] | None = None

    def dancu(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "dancu"), *args], env=self.env, capture_output=True, text=True, timeout=120, check=True
        )
        return done.stdout

    def outbox(self, to: str) -> list[dict[str, str]]:
        path = self.var_dir / "outbox.jsonl"
        if not path.exists():
            return []
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [r for r in rows if r["to"] == to]

    def gateway(self, path: str, body: dict[str, Any], scope: str = "kyc-banking") -> Any:
        """Call the real gateway app (in this process) over the live server's projection and ledger, as the demo
        bank: what a connected system's access looks like in the citizen's history."""
        import uuid

        from joserfc import jwt
        from joserfc.jwk import OKPKey
        from starlette.testclient import TestClient

        from dancu.gateway.app import create_app
        from dancu.gateway.config import GatewayConfig

        config = GatewayConfig(
            projection=self.var_dir / "gateway-projection.sqlite3",
            ledger=self.var_dir / "ledger.sqlite3",
            state=self.var_dir / "gateway-state.sqlite3",
            keys_dir=self.var_dir / "keys",
            issuer="http://testserver",
            config_refresh_seconds=0.05,
        )
        key = OKPKey.import_key(json.loads((self.var_dir / "demo-client" / "demo-bank.private.jwk.json").read_text()))
        now = int(time.time())
        claims = {
            "iss": "demo-bank", "sub": "demo-bank", "aud": "http://testserver/oauth/token", "iat": now,
            "exp": now + 60, "jti": uuid.uuid4().hex,
        }  # fmt: skip
        assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
        with TestClient(create_app(config)) as client:
            token = client.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion,
                    "scope": scope,
                },
            ).json()["access_token"]
            return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"}).json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveWeb]:
    var_dir = tmp_path_factory.mktemp("live-web")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    # DANCU_DEMO: the site as make demo serves it, with the simulated payment provider's checkout mounted.
    env.update(DANCU_VAR_DIR=str(var_dir), DANCU_SECURE_COOKIES="0", DANCU_MESSAGE_SENDER="file", DANCU_DEMO="1")
    # Every log line the server writes, unredacted, into web.log: tests/ops/test_logs.py scans it for personal data.
    env.update(DANCU_LOG_LEVEL="INFO", DANCU_LOG_SCRUB="0")
    web = LiveWeb(url=url, var_dir=var_dir, citizens={}, env=env)
    web.dancu("migrate", "--no-input", "-v0")
    web.dancu("load_geo", "-v0")
    web.dancu("synth", "--people", "300", "--province", "01", "--seed", "3", "-v0")
    web.dancu("load_catalogue", "-v0")
    web.dancu("demo_citizens", "--url", url, "-v0")
    web.dancu("demo_officials", "-v0")
    web.dancu("demo_gateway", "-v0")
    web.dancu("project", "--rebuild", "-v0")
    web.dancu("collectstatic", "--no-input", "-v0")
    web.citizens = json.loads((var_dir / "demo-citizens.json").read_text())
    web.officials = json.loads((var_dir / "demo-officials.json").read_text())
    log = (var_dir / "web.log").open("ab")
    server = subprocess.Popen(
        [
            str(BIN / "dancu-serve"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--blocking-threads", "4", "--log-level", "warning", "--static-path-route", "/static",
            "--static-path-mount", str(var_dir / "static"), "dancu.wsgi:application",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 90  # a busy machine starts it slowly
    while True:
        try:
            with urllib.request.urlopen(f"{url}/o/.well-known/openid-configuration", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait(10)
                log.close()
                raise RuntimeError(
                    "the web server did not start: " + (var_dir / "web.log").read_text()[-2000:]
                ) from None
            time.sleep(0.2)
    yield web
    server.terminate()
    server.wait(10)
    log.close()


@dataclass
class RelyingParty:
    url: str
    client_id: str


@pytest.fixture(scope="module")
def demo_rp(live_web: LiveWeb) -> Iterator[RelyingParty]:
    """The demo relying party registered for, and served on, a free loopback port of its own."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    live_web.dancu("demo_citizens", "--url", live_web.url, "--rp-url", url, "-v0")
    server = subprocess.Popen(
        [str(BIN / "dancu"), "demo_rp", "--port", str(port), "-v0"],
        env=live_web.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:  # ready means a real 200 from the RP's home page, not merely an open port
        try:
            with urllib.request.urlopen(f"{url}/", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("the demo RP did not start: " + (server.stderr.read() or b"").decode()[-2000:])
        time.sleep(0.2)
    yield RelyingParty(url=url, client_id="demo-rp")
    server.terminate()
    server.wait(10)
    if server.stderr is not None:
        server.stderr.close()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (no browser download), one per test module: Playwright's sync
    API keeps an event loop running while it is open, which later tests' ``asyncio.run`` would trip over."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def sign_in(page: Any, pin: str, password: str) -> None:
    """The portal's sign-in form, filled and sent as a citizen would."""
    page.goto("/portal/dang-nhap/")
    page.get_by_label("Số định danh cá nhân").fill(pin)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
