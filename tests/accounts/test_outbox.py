"""The outbox sends each message once: deliverers claim rows before sending (an atomic claim on SQLite, SELECT ... FOR
UPDATE SKIP LOCKED on PostgreSQL), the hand-off after a commit owns its message, and a crashed deliverer's claim
lapses. The concurrency test runs on the suite's database: SQLite by default, PostgreSQL in the PostgreSQL pass."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dancu.accounts import messaging
from dancu.accounts.models import MessageStatus, OutboundMessage

sent: list[str] = []
_lock = threading.Lock()


class RecordingSender:
    """Remembers every recipient it was handed (one message per recipient in these tests)."""

    def send(self, channel: str, to: str, text: str, subject: str = "") -> None:
        with _lock:
            sent.append(to)


@pytest.fixture(autouse=True)
def _recording(settings: Any) -> Iterator[None]:
    settings.DANCU_MESSAGE_SENDER = f"{__name__}.RecordingSender"
    settings.DANCU_MESSAGE_HANDOFF = "commit"
    messaging.sender.cache_clear()
    sent.clear()
    yield
    messaging.sender.cache_clear()


def _pending(count: int) -> list[str]:
    recipients = [f"+8490{n:07d}" for n in range(count)]
    OutboundMessage.objects.bulk_create(OutboundMessage(channel="sms", to=to, text="x") for to in recipients)
    return recipients


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliverers_send_each_message_exactly_once() -> None:
    recipients = _pending(120)
    workers = 4
    # Every deliverer makes its first claim before any of them sends: without claims each would then send
    # everything it had read.
    everyone_claimed = threading.Barrier(workers)
    claim_due = messaging.claim_due
    local = threading.local()
    errors: list[BaseException] = []
    totals: list[tuple[int, int]] = []

    def claim_then_wait(limit: int = messaging.CLAIM_BATCH) -> list[OutboundMessage]:
        batch = claim_due(limit)
        if not getattr(local, "waited", False):
            local.waited = True
            everyone_claimed.wait(30)
        return batch

    def deliverer() -> None:
        try:
            totals.append(messaging.deliver_due())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    messaging.claim_due = claim_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=deliverer) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        messaging.claim_due = claim_due  # type: ignore[assignment]
    assert errors == []
    assert Counter(sent) == Counter(recipients), "each message sent exactly once"
    assert sum(d for d, _ in totals) == len(recipients)
    assert not OutboundMessage.objects.exclude(status=MessageStatus.SENT).exists()
    assert not OutboundMessage.objects.exclude(claimed_by="").exists(), "claims are released"


@pytest.mark.django_db
def test_a_deliverer_leaves_a_message_to_its_hand_off(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as hand_offs:
        message = messaging.send_sms("+84901234567", "Mã xác nhận 123456")
    assert message.claimed_by and message.claimed_until > timezone.now()
    assert messaging.deliver_due() == (0, 0), "the hand-off owns it"
    assert not messaging.deliver(message), "and so does a direct delivery"
    for hand_off in hand_offs:
        hand_off()
    assert sent == ["+84901234567"]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.claimed_by == "" and message.text == ""
    assert messaging.deliver_due() == (0, 0) and sent == ["+84901234567"], "a sent message is never sent again"


@pytest.mark.django_db
def test_a_hand_off_after_a_long_transaction_leaves_the_message_to_a_deliverer(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as hand_offs:
        message = messaging.send_sms("+84901234567", "Mã xác nhận 123456")
    # The transaction took longer than half the claim: the claim may lapse while the hand-off sends.
    assert message.claimed_until is not None
    message.claimed_until -= messaging.CLAIM_TTL * 3 / 4
    OutboundMessage.objects.filter(pk=message.pk).update(claimed_until=message.claimed_until)
    for hand_off in hand_offs:
        hand_off()
    assert sent == [] and OutboundMessage.objects.get().status == MessageStatus.PENDING
    OutboundMessage.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert messaging.deliver_due() == (1, 0) and sent == ["+84901234567"]


@pytest.mark.django_db
def test_a_crashed_deliverers_claim_lapses() -> None:
    (to,) = _pending(1)
    OutboundMessage.objects.update(claimed_by="crashed", claimed_until=timezone.now() + timedelta(minutes=1))
    assert messaging.deliver_due() == (0, 0) and sent == []
    OutboundMessage.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert messaging.deliver_due() == (1, 0)
    assert sent == [to]


@pytest.mark.django_db
def test_a_failed_send_releases_its_claim_and_waits_for_its_retry(settings: Any) -> None:
    settings.DANCU_MESSAGE_SENDER = f"{__name__}.BrokenSender"
    messaging.sender.cache_clear()
    _pending(1)
    assert messaging.deliver_due() == (0, 1)
    message = OutboundMessage.objects.get()
    assert message.status == MessageStatus.PENDING and message.claimed_by == "" and message.claimed_until is None
    assert message.error == "ConnectionError" and message.next_attempt_at > timezone.now()
    assert messaging.deliver_due() == (0, 0), "not due before its back-off"


class BrokenSender:
    def send(self, channel: str, to: str, text: str, subject: str = "") -> None:
        raise ConnectionError("gateway down")
