"""The demo's life-event path with its real processes: the demo social-insurance fund's receiver
(``dancu demo_subscriber``) and the webhook worker (``dancu subscriptions deliver --follow``) over one database; a
birth recorded by another process reaches the fund within seconds, signed, and the mother's access history says
the fund was notified; SIGTERM stops the worker cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.live import _free_port

BIN = Path(sys.executable).parent

BIRTH = """
from datetime import date
from dancu.core.pin import pin_prefix
from dancu.registry import services as r
mother = r.register_person(pin=pin_prefix("001", "F", 1990) + "000777", full_name="Trần Thị Mai", sex="F",
                           birth_date=date(1990, 1, 1), actor="test")
r.register_birth(full_name="Trần Văn An", sex="M", birth_date=date(2026, 11, 30), birth_commune="00004",
                 mother_pin=mother.pin, actor="test")
"""
HISTORY = """
from dancu.exchange.access import records_of
from dancu.core.pin import pin_prefix
print([[r.channel, r.organisation] for r in records_of(pin_prefix("001", "F", 1990) + "000777")])
"""


def test_a_birth_reaches_the_demo_fund_within_seconds_and_shows_in_the_mothers_history(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    env.update(DANCU_VAR_DIR=str(tmp_path / "var"), DANCU_DEMO="1")
    port = _free_port()

    def dancu(*args: str) -> str:
        done = subprocess.run(
            [str(BIN / "dancu"), *args], env=env, cwd=tmp_path, capture_output=True, timeout=600, check=True
        )
        return done.stdout.decode()

    dancu("migrate", "--no-input", "-v0")
    dancu("load_geo", "-v0")
    dancu("demo_subscriber", "--setup", "--url", f"http://127.0.0.1:{port}/hooks", "-v0")
    logs = (tmp_path / "subscriber.log").open("wb"), (tmp_path / "worker.log").open("wb")
    fund = subprocess.Popen([str(BIN / "dancu"), "demo_subscriber", "-v0"], env=env, cwd=tmp_path, stdout=logs[0],
                            stderr=subprocess.STDOUT)  # fmt: skip
    worker = subprocess.Popen([str(BIN / "dancu"), "subscriptions", "-v0", "deliver", "--follow"], env=env,
                              cwd=tmp_path, stdout=logs[1], stderr=subprocess.STDOUT)  # fmt: skip
    try:
        dancu("shell", "-c", BIRTH)
        recorded = time.monotonic()
        events: list[dict] = []
        while time.monotonic() - recorded < 15 and not events:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/events.json", timeout=2) as answer:
                    events = json.loads(answer.read())
            except OSError:
                pass
            time.sleep(0.2)
        assert [(e["type"], e["data"]["full_name"]) for e in events] == [("birth.registered", "Trần Văn An")]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
            assert "Trần Văn An" in answer.read().decode()
        history = json.loads(dancu("shell", "-c", HISTORY).strip().splitlines()[-1].replace("'", '"'))
        assert history == [["life_event", "Bảo hiểm xã hội Việt Nam (demo)"]]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0
    finally:
        for process in (fund, worker):
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        for log in logs:
            log.close()
