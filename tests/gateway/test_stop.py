"""SIGTERM of the gateway under load: every worker gone within 10 s, exit status 0, every acknowledged request in
the ledger, and the ledger proves.

The signals are those an operator's stop delivers: Ctrl-C of ``make demo`` reaches every process of the terminal's
group (SIGINT), its trap then sends SIGTERM to the group, and granian's master forwards a SIGTERM to each worker;
systemd's default KillMode sends SIGTERM to every process of the unit as well. A granian worker used to hang on the
third (dancu.core.processes.granian_signals_once); the master exited 1 when a worker ended on the group's signal
before it asked, or -15 when a late signal reached it while it finalised (granian_master_clean_stop, in
``dancu-serve``)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dancu.core.crypto import Keyring
from dancu.gateway.ledger import verify_ledger
from tests.fixtures.gateway import Setup
from tests.gateway.test_crash import running_gateway

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_under_load_stops_within_10_s_and_keeps_every_acknowledged_call(gateway: Setup, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    token = gateway.token()
    body = json.dumps({"pin": gateway.people["living"].pin, "purpose": "kyc-banking", "sex": "F"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    acknowledged: list[str] = []
    refused: list[int] = []
    stop, enough = threading.Event(), threading.Event()
    with running_gateway(gateway, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as (port, server):

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
                    time.sleep(0.01)
                    continue
                if response.status == 200:
                    acknowledged.append(json.loads(data)["request_id"])
                    if len(acknowledged) >= 300:
                        enough.set()
                else:
                    refused.append(response.status)
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        assert enough.wait(30)
        started = time.monotonic()
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
        os.killpg(server.pid, signal.SIGTERM)  # make demo's trap
        time.sleep(0.05)
        os.killpg(server.pid, signal.SIGTERM)  # systemd's KillMode=control-group, or a second trap
        try:
            status = server.wait(10)
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
        deadline = started + 10
        while _group_alive(server.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # the workers, children of the master, end with it
        assert not _group_alive(server.pid), subprocess.run(
            ["ps", "-o", "pid,stat,cmd", "-g", str(server.pid)], capture_output=True, text=True
        ).stdout
        assert time.monotonic() - started < 10
        assert status == 0, status  # neither 1 (a worker's 'unexpected exit') nor -15 (a late signal at exit)
    assert len(acknowledged) >= 300
    assert set(refused) <= {503}  # a call that reached a stopping worker is refused, never answered unrecorded
    with sqlite3.connect(gateway.config.ledger) as db:
        recorded = {row[0] for row in db.execute("SELECT request_id FROM entries")}
    assert [rid for rid in acknowledged if rid not in recorded] == []
    report = verify_ledger(gateway.config.ledger, Keyring(gateway.config.keys_dir).ledger_public_keys())
    assert report.ok, report.problem
