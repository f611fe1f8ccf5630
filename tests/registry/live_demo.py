"""The demo as ``make demo`` builds it (synth seed 1 in province 01 as of DEMO_AS_OF, demo officials, the demo bank
and citizens), served by real processes on free ports: the web side (granian, WSGI, Django's CSRF checks as in
production) and the gateway (granian, ASGI). What the documented examples and schemathesis run against.

A smaller population than the demo's 50,000 is enough: synth draws chunk by chunk from (seed, chunk index), so the
first households, and the people the docs use, are the same whatever the population's size.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.live import _free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
DEMO_PEOPLE = "2000"


def makefile_variable(name: str) -> str:
    """A ``NAME ?= value`` of the Makefile, so that the test builds what ``make demo`` builds."""
    found = re.search(rf"^{name} \?= (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found, f"the Makefile defines no {name}"
    return found.group(1)


@dataclass
class LiveDemo:
    root: Path  #: the working directory of `make demo`: var/ is below it
    web: str
    gateway: str
    officials: dict[str, str]
    env: dict[str, str]


def _start(args: list[str], env: dict[str, str], url: str, log: Path) -> subprocess.Popen[bytes]:
    """Start a server and wait until it answers. Its output goes to a file: a pipe nobody reads fills up with the
    server's log lines (one per 4xx) and then blocks the server."""
    with log.open("wb") as output:
        server = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return server
        except urllib.error.HTTPError:
            return server  # it answers
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"{log.stem} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)


@pytest.fixture(scope="session")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    root = tmp_path_factory.mktemp("demo")
    var_dir = root / "var"
    web_port, gateway_port = _free_port(), _free_port()
    web, gateway = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{gateway_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    env.update(DANCU_VAR_DIR=str(var_dir), DANCU_DEMO="1", DANCU_SECURE_COOKIES="0")

    def dancu(*args: str) -> None:
        subprocess.run([str(BIN / "dancu"), *args], env=env, cwd=root, capture_output=True, timeout=300, check=True)

    dancu("migrate", "--no-input", "-v0")
    dancu("load_geo", "-v0")
    dancu(
        "synth", "--people", DEMO_PEOPLE, "--province", makefile_variable("DEMO_PROVINCE"),
        "--seed", makefile_variable("DEMO_SEED"), "--as-of", makefile_variable("DEMO_AS_OF"), "--no-progress", "-v0",
    )  # fmt: skip
    dancu("load_catalogue", "-v0")
    dancu("demo_gateway", "-v0")
    dancu("demo_citizens", "--url", web, "-v0")
    dancu("demo_officials", "-v0")
    officials = json.loads((var_dir / "demo-officials.json").read_text())
    servers = [
        _start(
            [
                str(BIN / "dancu-serve"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(web_port),
                "--workers", "1", "--blocking-threads", "4", "--log-level", "warning", "dancu.wsgi:application",
            ],
            env, f"{web}/api/openapi.json", root / "web.log",
        ),
        _start(
            [
                str(BIN / "dancu-serve"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                "--port", str(gateway_port), "--workers", "1", "--log-level", "warning",
                "dancu.gateway.app:app_factory",
            ],
            {**env, "DANCU_GATEWAY_ISSUER": gateway}, f"{gateway}/v1/health", root / "gateway.log",
        ),
    ]  # fmt: skip
    try:
        yield LiveDemo(root=root, web=web, gateway=gateway, officials=officials, env=env)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """Every fenced block of a Markdown text as (language, text), in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", markdown, re.MULTILINE | re.DOTALL)]


def examples(markdown: str, language: str = "sh") -> list[tuple[str, Any]]:
    """The ``curl`` examples of a page and the JSON answer shown right after each (None if there is none)."""
    blocks = fenced_blocks(markdown)
    found = []
    for i, (lang, text) in enumerate(blocks):
        if lang == language and "curl " in text:
            after = blocks[i + 1] if i + 1 < len(blocks) else None
            found.append((text, json.loads(after[1]) if after and after[0] == "json" else None))
    return found


ANY = "..."


def assert_shown(shown: Any, answer: Any, where: str = "answer") -> None:
    """The answer says what the docs show: every key shown is there with the value shown (the docs may leave keys
    out); ``"..."`` stands for a value that differs from call to call (request ids, timestamps)."""
    if shown == ANY:
        return
    if isinstance(shown, dict):
        assert isinstance(answer, dict), f"{where}: expected an object, got {answer!r}"
        for key, value in shown.items():
            assert key in answer, f"{where}: no {key!r} in {sorted(answer)}"
            assert_shown(value, answer[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(answer, list) and len(answer) == len(shown), f"{where}: expected {shown!r}, got {answer!r}"
        for i, (value, item) in enumerate(zip(shown, answer, strict=True)):
            assert_shown(value, item, f"{where}[{i}]")
    else:
        assert shown == answer, f"{where}: the docs show {shown!r}, the server answered {answer!r}"
