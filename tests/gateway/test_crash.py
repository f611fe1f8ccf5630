"""kill -9 of the gateway under load: no acknowledged request is missing from the ledger, and the ledger proves.

The gateway runs as its own granian process group; eight client threads verify as fast as they can; the process
group is killed with SIGKILL mid-load. Every request that got a 200 must have its entry in the ledger."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dancu.core.crypto import Keyring
from dancu.gateway.ledger import Ledger, read_entries_for, verify_ledger
from tests.fixtures.gateway import Setup

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_gateway(gateway: Setup, **extra_env: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The gateway of ``gateway``'s files served by granian with two workers, in its own process group; yields its
    port and process."""
    port = _free_port()
    config = gateway.config
    env = os.environ | {
        "DANCU_GATEWAY_PROJECTION": str(config.projection), "DANCU_LEDGER": str(config.ledger),
        "DANCU_GATEWAY_STATE": str(config.state), "DANCU_KEYS_DIR": str(config.keys_dir),
        "DANCU_GATEWAY_ISSUER": "http://testserver", "DANCU_GATEWAY_WORKERS": "2", **extra_env,
    }  # fmt: skip
    granian = Path(sys.executable).parent / "dancu-serve"
    server = subprocess.Popen(
        [str(granian), "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--log-level", "error", "dancu.gateway.app:app_factory"],
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)  # granian, a separate process, is not listening yet
        yield port, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(20)


def test_kill_9_under_load_loses_no_acknowledged_request(gateway: Setup) -> None:
    token = gateway.token()  # same keys and issuer: valid for the server too
    body = json.dumps({"pin": gateway.people["living"].pin, "purpose": "kyc-banking", "sex": "F"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    acknowledged: list[str] = []
    stop, enough = threading.Event(), threading.Event()
    # Small runs, so that the per-person index is being written while the gateway is killed.
    with running_gateway(gateway, DANCU_LEDGER_RUN_KEYS="64") as (port, server):

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            while not stop.is_set():
                try:
                    conn.request("POST", "/v1/verify", body, headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    time.sleep(0.01)  # back off before reconnecting to a worker that is restarting or killed
                    continue
                if response.status == 200:
                    acknowledged.append(json.loads(data)["request_id"])
                    if len(acknowledged) >= 300:
                        enough.set()
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        enough.wait(30)
        os.killpg(server.pid, signal.SIGKILL)  # mid-load, no chance to flush anything
        server.wait(20)
        stop.set()
        for thread in threads:
            thread.join(10)
    assert len(acknowledged) >= 300
    with sqlite3.connect(gateway.config.ledger) as db:
        recorded = {row[0] for row in db.execute("SELECT request_id FROM entries")}
    assert [rid for rid in acknowledged if rid not in recorded] == []
    report = verify_ledger(gateway.config.ledger, Keyring(gateway.config.keys_dir).ledger_public_keys())
    assert report.ok, report.problem
    # The person's own view (the citizen portal's query) holds every acknowledged call, runs and tail together,
    # right after the crash and once the index has caught up.
    pin_h = Keyring(gateway.config.keys_dir).pin_hmac(gateway.people["living"].pin).hex()
    mine = {entry.request_id for entry in read_entries_for(gateway.config.ledger, pin_h, limit=1_000_000)}
    assert [rid for rid in acknowledged if rid not in mine] == []
    with Ledger(gateway.config.ledger, signing_key=None) as ledger:
        ledger.index_people(run_keys=64, final=True)
        assert {entry.request_id for entry in ledger.entries_for(pin_h, limit=1_000_000)} == mine
    assert verify_ledger(gateway.config.ledger, Keyring(gateway.config.keys_dir).ledger_public_keys()).ok


def test_metrics_sum_every_worker(gateway: Setup, tmp_path: Path) -> None:
    """With two workers and PROMETHEUS_MULTIPROC_DIR, every scrape counts every worker's requests."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    token = gateway.token()
    body = json.dumps({"pin": gateway.people["living"].pin, "purpose": "kyc-banking", "sex": "F"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with running_gateway(gateway, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as (port, _server):
        for _ in range(40):  # a new connection each time, so that both workers take some
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/v1/verify", body, headers)
            assert conn.getresponse().status == 200
            conn.close()
        for _ in range(5):  # whichever worker answers the scrape
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
            conn.close()
            found = re.search(r'dancu_gateway_requests_total\{operation="verify",outcome="found"\} ([\d.]+)', text)
            assert found is not None
            assert float(found.group(1)) == 40.0
