"""The life-event processes stop cleanly (dancu.core.processes): ``dancu relay``, ``dancu subscriptions deliver
--follow`` and ``dancu demo_subscriber`` each exit with status 0 within 10 s of SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.nats import NatsServer

BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def registry_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A registry of its own (SQLite in a temporary var/) with the demo subscriber registered."""
    var_dir = tmp_path_factory.mktemp("lifeevent-stops")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL", "NATS_"))}
    env.update(DANCU_VAR_DIR=str(var_dir), DANCU_DEMO="1")
    for args in (
        ("migrate", "--no-input", "-v0"),
        ("load_geo", "-v0"),
        ("demo_subscriber", "--setup", "--url", f"http://127.0.0.1:{_free_port()}/hooks", "-v0"),
    ):
        subprocess.run([str(BIN / "dancu"), *args], env=env, capture_output=True, timeout=300, check=True)
    return env


def _stops_on_sigterm(command: list[str], env: dict[str, str], ready: str) -> None:
    process = subprocess.Popen(
        [str(BIN / "dancu"), *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 90  # a command starts slowly on a busy machine
        line = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if ready in line or not line:
                break
        assert ready in line, line
        time.sleep(0.5)  # into its loop (or serving)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_subscriptions_deliver_follow_exits_0_within_10_s_of_sigterm(registry_env: dict[str, str]) -> None:
    _stops_on_sigterm(
        ["subscriptions", "-v2", "deliver", "--follow", "--interval", "1"], registry_env, "delivering webhooks"
    )


def test_demo_subscriber_exits_0_within_10_s_of_sigterm(registry_env: dict[str, str]) -> None:
    _stops_on_sigterm(["demo_subscriber", "-v1"], registry_env, "demo social-insurance fund on")


@pytest.mark.nats
def test_relay_exits_0_within_10_s_of_sigterm(
    registry_env: dict[str, str], nats_server: Callable[..., NatsServer]
) -> None:
    server = nats_server()
    login = server.login("relay")
    env = {**registry_env, "NATS_URL": server.url, "DANCU_NATS_USER": login["user"]}
    env["DANCU_NATS_PASSWORD"] = login["password"]
    _stops_on_sigterm(["relay", "-v2"], env, "relaying to")
