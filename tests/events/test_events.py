from __future__ import annotations

from datetime import date

import pytest
from django.db import connections, transaction

from dancu.events.models import ConsumerOffset
from dancu.events.services import EventRecord, append_event, consume, get_offset, last_sequence, read_events
from tests import factories

pytestmark = pytest.mark.django_db


def test_append_outside_a_transaction_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test itself runs in a transaction, so pretend it does not (a transactional test would flush the units).
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        append_event("x", pin="", effective_date=date(2020, 1, 1), actor="t", payload={})


def test_read_in_pages_and_from_a_sequence() -> None:
    for _ in range(7):
        factories.person()
    everything = list(read_events(0, batch_size=3))
    assert len(everything) == 7
    assert [e.sequence for e in everything] == sorted(e.sequence for e in everything)
    assert everything[0].payload["full_name"] == "Nguyễn Văn An"
    tail = list(read_events(everything[3].sequence, batch_size=2))
    assert tail == everything[4:]
    assert list(read_events(0, limit=2)) == everything[:2]
    assert last_sequence() == everything[-1].sequence


def test_consumer_applies_each_event_once_and_keeps_its_offset() -> None:
    for _ in range(5):
        factories.person()
    seen: list[int] = []
    assert consume("test-consumer", lambda e: seen.append(e.sequence), batch_size=2) == 5
    assert consume("test-consumer", lambda e: seen.append(e.sequence)) == 0
    assert len(seen) == len(set(seen)) == 5
    assert get_offset("test-consumer") == seen[-1]
    factories.person()
    assert consume("test-consumer", lambda e: seen.append(e.sequence)) == 1


def test_a_failing_consumer_does_not_advance() -> None:
    factories.person()

    def fail(_event: EventRecord) -> None:
        raise ValueError("downstream is down")

    with pytest.raises(ValueError, match="downstream"):
        consume("fragile", fail)
    assert get_offset("fragile") == 0
    assert not ConsumerOffset.objects.filter(consumer="fragile", sequence__gt=0).exists()


def test_event_is_rolled_back_with_its_change() -> None:
    before = last_sequence()

    def change_then_fail() -> None:
        with transaction.atomic():
            append_event("x", pin="", effective_date=date(2020, 1, 1), actor="t", payload={})
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_then_fail()
    assert last_sequence() == before
