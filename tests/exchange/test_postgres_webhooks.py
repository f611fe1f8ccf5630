"""On PostgreSQL, several webhook senders at once (dancu.exchange.webhooks: claims ``FOR UPDATE SKIP LOCKED`` under a
lease): against real HTTP receivers, no delivery is sent twice, none is in flight twice at once, and each person's
events reach each endpoint in order."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dancu.exchange import webhooks
from dancu.exchange.consumers import follow as fan_out
from dancu.exchange.models import Delivery
from dancu.registry import services as registry
from tests import factories
from tests.fixtures.webhooks import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GIVEN = ("An", "Bình", "Cường", "Dũng", "Hải", "Khang", "Lâm", "Minh", "Nam", "Phúc", "Quân", "Sơn")
PEOPLE = len(GIVEN) * 2


@pytest.fixture(autouse=True)
def _loopback_receivers(settings: Any) -> None:
    settings.DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP = True


@pytest.fixture(autouse=True)
def _reload_units_after_flush() -> object:
    # A transactional test flushes every table when it ends: load the reference units before (another test's flush
    # may have emptied them) and again for the tests after it.
    from dancu.geo.services import load_administrative_units

    load_administrative_units()
    yield
    load_administrative_units()


def _sender(name: str, sent: dict[str, int], errors: list[BaseException], done: threading.Event) -> None:
    """One sender: small claims (so that both senders get work), rounds until nothing is left."""
    deliverer = webhooks.Deliverer(workers=6)
    try:
        deadline = time.monotonic() + 120
        while not done.is_set() and time.monotonic() < deadline:
            delivered, failed = deliverer.run_once(limit=5)
            sent[name] += delivered + failed
            if not (delivered or failed):
                if not Delivery.objects.filter(status="pending").exists():
                    done.set()
                time.sleep(0.005)
    except BaseException as error:  # reported by the test
        errors.append(error)
    finally:
        deliverer.close()
        connection.close()


def test_two_senders_at_once_send_each_delivery_once_and_keep_each_persons_order() -> None:
    assert connection.vendor == "postgresql"
    receivers = [Receiver(delay=0.01), Receiver(delay=0.01)]
    for receiver in receivers:
        receiver.start()
    try:
        for receiver in receivers:
            factories.subscription(url=receiver.url, event_types=("birth.registered", "death.recorded"))
        mothers = [factories.person(sex="F", residence=factories.HANOI_BA_DINH) for _ in range(PEOPLE // 4)]
        children = [
            registry.register_birth(
                full_name=f"{('Lê', 'Trần')[i % 2]} Văn {GIVEN[i // 2]}",
                sex="M",
                birth_date=date(2025, 1, 2),
                birth_commune=factories.HANOI_BA_DINH,
                mother_pin=mothers[i // 4].pin,
                actor="t",
            ).pin
            for i in range(PEOPLE)
        ]
        for child in children:
            registry.record_death(pin=child, death_date=timezone.localdate(), actor="t")
        fan_out()
        expected = Delivery.objects.count()
        assert expected == 2 * 2 * PEOPLE

        sent = {"a": 0, "b": 0}
        errors: list[BaseException] = []
        done = threading.Event()
        threads = [threading.Thread(target=_sender, args=(name, sent, errors, done)) for name in sent]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(150)
        assert not errors, errors
        assert not any(thread.is_alive() for thread in threads)
    finally:
        for receiver in receivers:
            receiver.stop()

    assert Delivery.objects.filter(status="delivered").count() == expected
    assert sent["a"] + sent["b"] == expected
    assert sent["a"] and sent["b"], sent  # both senders sent: they ran side by side
    for receiver in receivers:
        assert receiver.overlaps == []  # never the same delivery in flight twice
        assert len(receiver.attempts) == len(set(receiver.attempts)) == 2 * PEOPLE  # each sent once
        by_person: dict[str, list[str]] = defaultdict(list)
        for got in receiver.received:
            by_person[str(got.event["subject"])].append(got.event["type"])
        assert len(by_person) == PEOPLE
        assert all(types == ["birth.registered", "death.recorded"] for types in by_person.values()), by_person
