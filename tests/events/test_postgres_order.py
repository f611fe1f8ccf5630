"""On PostgreSQL, sequence numbers follow commit order (the event-log advisory lock)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction

from dancu.events.models import Event
from dancu.events.services import append_event, read_events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reload_units_after_flush() -> object:
    # A transactional test flushes every table when it ends: load the reference units again for the tests after it.
    yield
    from dancu.geo.services import load_administrative_units

    load_administrative_units()


def _wait_until_another_waits_for_the_event_log() -> None:
    """Hold the open transaction until another session is blocked on the event log's advisory lock (or 10 s)."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)


def test_a_later_append_waits_for_the_earlier_commit() -> None:
    assert connection.vendor == "postgresql"
    first_appended = threading.Event()
    log: list[tuple[str, float]] = []

    def slow_writer() -> None:
        with transaction.atomic():
            append_event("test.slow", pin="", effective_date=date(2020, 1, 1), actor="a", payload={})
            first_appended.set()
            _wait_until_another_waits_for_the_event_log()
        log.append(("slow committed", time.monotonic()))
        connection.close()

    def fast_writer() -> None:
        first_appended.wait(5)
        with transaction.atomic():
            append_event("test.fast", pin="", effective_date=date(2020, 1, 1), actor="b", payload={})
        log.append(("fast committed", time.monotonic()))
        connection.close()

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=fast_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [name for name, _ in sorted(log, key=lambda x: x[1])] == ["slow committed", "fast committed"]
    slow, fast = Event.objects.get(type="test.slow"), Event.objects.get(type="test.fast")
    assert slow.sequence < fast.sequence
    assert [e.type for e in read_events(0)] == ["test.slow", "test.fast"]
