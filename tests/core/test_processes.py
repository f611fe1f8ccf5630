"""Clean stops (dancu.core.processes): a follower stopped by SIGTERM mid-batch commits that batch with its offset and
applies nothing twice after a restart; every follower command exits 0 within 10 s of SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dancu.core.processes import STOP, stop_on_signals
from tests.live import LiveWeb

BIN = Path(sys.executable).parent


@pytest.fixture
def stop_handlers() -> Iterator[None]:
    """Install the stop handlers for one test, and put the previous handlers and a clear stop back afterwards."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    STOP.clear()
    stop_on_signals()
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    signal.set_wakeup_fd(-1)
    STOP.clear()


def test_sigterm_sets_the_stop_and_cuts_a_wait_short(stop_handlers: None) -> None:
    assert not STOP.is_set()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    assert STOP.wait(10)
    assert time.monotonic() - started < 5
    assert STOP.signal == signal.SIGTERM
    os.kill(os.getpid(), signal.SIGINT)  # a second signal changes nothing (no KeyboardInterrupt either)
    assert STOP.is_set() and STOP.signal == signal.SIGTERM


def test_a_signal_that_lands_on_another_thread_still_wakes_the_wait(stop_handlers: None) -> None:
    """The kernel gives a process's signal to any thread that does not block it: here the main thread blocks SIGTERM,
    so it lands on the other thread, and the main thread, asleep in STOP.wait, must still wake and stop (a process
    serving HTTP in threads ignored SIGTERM this way until something else woke it)."""
    idle = threading.Event()
    other = threading.Thread(target=idle.wait, daemon=True)
    other.start()  # started before the main thread blocks the signal: it does not block it
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
        started = time.monotonic()
        while not STOP.wait(10) and time.monotonic() - started < 10:
            pass
        assert STOP.is_set() and STOP.signal == signal.SIGTERM
        assert time.monotonic() - started < 5
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        idle.set()


@pytest.mark.django_db
def test_sigterm_mid_batch_commits_that_batch_and_a_restart_applies_nothing_twice(stop_handlers: None) -> None:
    from dancu.events.models import ConsumerOffset, Event
    from dancu.events.services import consume
    from tests import factories

    for _ in range(4):
        factories.person()
    expected = list(Event.objects.order_by("sequence").values_list("event_id", flat=True))
    assert len(expected) >= 4
    applied: list[str] = []

    def apply(record: object) -> None:
        applied.append(uuid.UUID(str(record.event_id)).hex)  # type: ignore[attr-defined] (a UUID on PostgreSQL)
        if len(applied) == 3:  # inside the second batch of two
            os.kill(os.getpid(), signal.SIGTERM)

    assert consume("test-stop", apply, batch_size=2) == 4  # the second batch finished, no third began
    offset = ConsumerOffset.objects.get(consumer="test-stop").sequence
    assert offset == Event.objects.order_by("sequence").values_list("sequence", flat=True)[3]
    STOP.clear()  # the restarted process

    def apply_after_restart(record: object) -> None:
        applied.append(uuid.UUID(str(record.event_id)).hex)  # type: ignore[attr-defined]

    consume("test-stop", apply_after_restart, batch_size=2)
    assert applied == [event_id.hex for event_id in expected]  # each event once, in order


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "ready"),
    [
        (["follow", "--follow", "-v2"], "events"),
        (["project", "--follow", "-v2"], "offset"),
        (["messages", "deliver", "--follow", "--interval", "1", "-v2"], "delivered"),
        (["demo_rp", "--port", "0", "-v1"], "demo relying party"),
    ],
    ids=["follow", "project", "messages", "demo_rp"],
)
def test_each_follower_exits_0_within_10_s_of_sigterm(live_web: LiveWeb, command: list[str], ready: str) -> None:
    process = subprocess.Popen(
        [str(BIN / "dancu"), *command], env=live_web.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 90  # a command starts slowly on a busy machine
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if ready in line or not line:
                break
        assert ready in line, line
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
