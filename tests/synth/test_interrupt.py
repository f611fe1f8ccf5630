"""A real Ctrl-C (SIGINT) in the middle of `dancu synth`, in a separate process with its own database: the run stops
with one line and a non-zero exit, leaves only whole people, and the same command finishes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

DANCU = [sys.executable, "-m", "dancu.cli"]


@pytest.mark.slow
def test_sigint_then_resume(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DANCU_VAR_DIR": str(tmp_path)}
    subprocess.run([*DANCU, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*DANCU, "load_geo"], env=env, check=True, capture_output=True)
    command = [
        *DANCU,
        "synth",
        "--people",
        "60000",
        "--province",
        "01",
        "--seed",
        "4",
        "--chunk-size",
        "2000",
        "--no-progress",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    database = tmp_path / "dancu.sqlite3"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until a few chunks are committed
        time.sleep(0.2)
        try:
            with sqlite3.connect(database) as db:
                row = db.execute("SELECT chunks_done FROM synth_synthrun").fetchone()
        except sqlite3.OperationalError:
            continue
        if row and row[0] >= 2:
            break
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "interrupted" in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    with sqlite3.connect(database) as db:
        people, done, finished = db.execute(
            "SELECT (SELECT COUNT(*) FROM registry_person), people_done, finished FROM synth_synthrun"
        ).fetchone()
        registered = db.execute("SELECT COUNT(*) FROM events_event WHERE type = 'person.registered'").fetchone()[0]
    assert (people, finished) == (done, 0)
    assert 0 < people < 60000
    assert registered == people  # no person without its event, no event without its person

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "Resumed and finished" in resumed.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM registry_person").fetchone()[0] == 60000
        assert (
            db.execute("SELECT COUNT(DISTINCT pin) FROM events_event WHERE type = 'person.registered'").fetchone()[0]
            == 60000
        )
