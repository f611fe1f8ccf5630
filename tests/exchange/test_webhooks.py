"""Signed webhooks against real HTTP receivers on free ports: signatures that the ``standardwebhooks`` package (and
the example receiver) verify, retries on the schedule, a hang past the timeout, 410, a huge answer, a receiver killed
and restarted, dead letters and redrive — nothing lost, one person's events in order."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from dancu.core.processes import STOP, stop_on_signals
from dancu.exchange import subscriptions, webhooks
from dancu.exchange.consumers import follow as fan_out
from dancu.exchange.models import Delivery
from dancu.registry import services as registry
from tests import factories
from tests.fixtures.webhooks import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_receivers(settings: Any) -> None:
    settings.DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP = True


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


NAMES = ("An", "Bình", "Cường", "Dũng", "Hải")


def _births(count: int = 1) -> list[str]:
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    return [
        registry.register_birth(
            full_name=f"Lê Văn {NAMES[i]}",
            sex="M",
            birth_date=date(2025, 1, 2),
            birth_commune=factories.HANOI_BA_DINH,
            mother_pin=mother.pin,
            actor="t",
        ).pin
        for i in range(count)
    ]


def _deliver(**options: float) -> tuple[int, int]:
    fan_out()
    return webhooks.Deliverer(**options).run_once() if options else webhooks.Deliverer().run_once()


def _make_due() -> None:
    Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())


def test_hmac_and_ed25519_signatures_verify_with_standardwebhooks_and_the_example(receiver: Receiver) -> None:
    hmac_sub, secret = factories.subscription(url=receiver.url, signing="v1")
    ed_sub, public_key = factories.subscription(url=receiver.url, signing="v1a", fields=("pin",))
    (child,) = _births()
    assert _deliver() == (2, 0)
    by_scheme = {r.headers["webhook-signature"].split(",")[0]: r for r in receiver.received}
    signed_hmac, signed_ed = by_scheme["v1"], by_scheme["v1a"]
    event = Webhook(secret).verify(signed_hmac.body, signed_hmac.headers)
    assert event["type"] == "birth.registered" and "pseudonym" in event["subject"]
    assert signed_hmac.headers["webhook-id"] == event["id"]
    verifier = _example().Verifier([], [public_key])
    assert verifier.verify(signed_ed.body, signed_ed.headers)["subject"] == {"pin": child}
    with pytest.raises(Exception, match="signature"):
        verifier.verify(signed_ed.body.replace(child.encode(), b"0" * 12), signed_ed.headers)
    rows = Delivery.objects.order_by("subscription")
    assert [(d.subscription_id, d.status, d.attempts, d.last_status) for d in rows] == [
        (hmac_sub.pk, "delivered", 1, 204),
        (ed_sub.pk, "delivered", 1, 204),
    ]
    assert all(d.latency_ms is not None and d.delivered_at for d in rows)


def test_a_rotated_secret_signs_beside_the_new_one_during_the_overlap(receiver: Receiver) -> None:
    subscription, old = factories.subscription(url=receiver.url, signing="v1")
    new = subscriptions.rotate_secret(subscription, overlap=timedelta(hours=1))
    _births()
    _deliver()
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split()) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)
    subscriptions.rotate_secret(subscription, overlap=timedelta(0))  # the old ones stop signing at once
    assert len(subscriptions.signing_secrets(subscription.pk)) == 1


def test_an_error_is_retried_on_the_schedule_and_one_persons_events_wait_in_order(receiver: Receiver) -> None:
    factories.subscription(url=receiver.url, event_types=("birth.registered", "death.recorded"))
    first, _second = _births(2)
    registry.record_death(pin=first, death_date=timezone.localdate(), actor="t")
    fan_out()
    birth_of_first = str(Delivery.objects.order_by("sequence").first().event_id)
    receiver.fail_ids = {birth_of_first}
    before = timezone.now()
    assert webhooks.Deliverer().run_once() == (1, 1)  # the second child's birth goes; the first's death waits
    failed = Delivery.objects.get(event_id=birth_of_first)
    assert (failed.status, failed.attempts, failed.last_error, failed.last_status) == ("pending", 1, "http_500", 500)
    assert failed.next_attempt_at - before >= webhooks.RETRY_SCHEDULE[0]
    assert webhooks.Deliverer().run_once() == (0, 0)  # not due yet, and the death is behind it
    receiver.fail_ids = set()
    _make_due()
    assert webhooks.Deliverer().run_once() == (1, 0)
    assert webhooks.Deliverer().run_once() == (1, 0)
    types = [(r.event["type"], r.event["subject"]["pseudonym"]) for r in receiver.received]
    first_person = [t for t, who in types if who == types[1][1]]
    assert first_person == ["birth.registered", "death.recorded"]
    assert len(types) == 3


def test_a_hang_past_the_timeout_is_a_timeout_and_a_huge_answer_is_cut(receiver: Receiver) -> None:
    factories.subscription(url=receiver.url)
    _births()
    receiver.mode, receiver.hang_seconds = "hang", 2.0
    started = time.monotonic()
    assert _deliver(timeout=0.3) == (0, 1)
    assert time.monotonic() - started < 1.9
    assert Delivery.objects.get().last_error == "timeout"
    receiver.mode = "huge"
    _make_due()
    started = time.monotonic()
    assert webhooks.Deliverer(cap=1000).run_once() == (1, 0)
    assert time.monotonic() - started < 5  # 20 MB were not read
    assert Delivery.objects.get().status == "delivered"


def test_410_disables_the_subscription_and_nothing_more_is_sent(receiver: Receiver) -> None:
    subscription, _ = factories.subscription(url=receiver.url)
    _births(2)
    receiver.mode = "gone"
    assert _deliver() == (0, 2)  # both children's births were tried in the same round
    subscription.refresh_from_db()
    assert (subscription.status, subscription.status_reason) == ("disabled", "endpoint_gone")
    attempts = len(receiver.attempts)
    _make_due()
    assert webhooks.Deliverer().run_once() == (0, 0)
    assert len(receiver.attempts) == attempts
    assert Delivery.objects.filter(status="pending").count() == 2  # kept for when the operator resumes it
    receiver.mode = "ok"
    subscriptions.approve_subscription(subscription, by="op")
    _make_due()
    assert webhooks.Deliverer().run_once() == (2, 0)


def test_after_the_last_try_a_dead_letter_that_redrive_sends_again(receiver: Receiver) -> None:
    subscription, _ = factories.subscription(url=receiver.url)
    _births()
    receiver.mode = "error"
    fan_out()
    for _ in range(webhooks.MAX_ATTEMPTS):
        _make_due()
        webhooks.Deliverer().run_once()
    dead = Delivery.objects.get()
    assert (dead.status, dead.attempts) == ("dead", webhooks.MAX_ATTEMPTS)
    assert sum(webhooks.RETRY_SCHEDULE, timedelta()) >= timedelta(days=2, hours=23)
    receiver.mode = "ok"
    assert subscriptions.redrive(subscription) == 1
    assert webhooks.Deliverer().run_once() == (1, 0)
    assert receiver.ids() == [str(dead.event_id)]


def test_a_receiver_killed_and_restarted_loses_nothing_and_keeps_each_persons_order() -> None:
    receiver = Receiver()
    receiver.start()
    port = receiver.server.server_address[1]  # type: ignore[union-attr]
    factories.subscription(url=receiver.url, event_types=("birth.registered", "death.recorded"))
    children = _births(3)
    assert _deliver() == (3, 0)
    receiver.stop()
    for child in children:
        registry.record_death(pin=child, death_date=timezone.localdate(), actor="t")
    assert _deliver() == (0, 3)
    assert set(Delivery.objects.filter(status="pending").values_list("last_error", flat=True)) == {"connection_refused"}
    restarted = Receiver()
    restarted.start(port)
    try:
        _make_due()
        assert webhooks.Deliverer().run_once() == (3, 0)
    finally:
        restarted.stop()
    assert Delivery.objects.filter(status="delivered").count() == 6
    got = receiver.ids() + restarted.ids()
    assert sorted(got) == sorted(str(i) for i in Delivery.objects.values_list("event_id", flat=True))


def test_sigterm_lets_the_worker_finish_its_round_then_stop(receiver: Receiver) -> None:
    factories.subscription(url=receiver.url)
    _births()
    previous = signal.getsignal(signal.SIGTERM)
    STOP.clear()
    try:
        stop = stop_on_signals()

        def fan_out_then_terminate() -> int:
            read = fan_out()
            os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-round
            return read

        delivered, _ = webhooks.run(follow=True, interval=0.05, fan_out=fan_out_then_terminate, stop=stop)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stop.is_set()
    STOP.clear()
    assert delivered == 1  # the round under way was finished and recorded
    assert Delivery.objects.get().status == "delivered"


def test_a_sender_whose_lease_ran_out_neither_sends_nor_overwrites_the_next_claim(receiver: Receiver) -> None:
    factories.subscription(url=receiver.url)
    _births()
    fan_out()
    (first,) = webhooks.claim_due(10)
    assert webhooks.claim_due(10) == []  # leased: no other sender finds it due
    later = timezone.now() + timedelta(seconds=settings.DANCU_WEBHOOK_TIMEOUT) + webhooks.LEASE_MARGIN
    (second,) = webhooks.claim_due(10, now=later + timedelta(seconds=1))  # the lease ran out: claimed again
    assert (second.id, second.event_id) == (first.id, first.event_id) and second.lease != first.lease
    deliverer = webhooks.Deliverer()
    try:
        first.lease_deadline = time.monotonic()  # the first sender's attempt could outlast its lease
        subscription, signer = deliverer._subscription(first.subscription_id)
        not_sent = deliverer._send(first, subscription.endpoint_url, signer)
        assert (not_sent.ok, not_sent.error) == (False, webhooks.LEASE_EXPIRED) and receiver.attempts == []
        assert webhooks.record_outcomes([(first, subscription, not_sent)]) == (0, 0)
        late = webhooks.Outcome(first.id, True, 204, "", timezone.now())  # had it been sent: its outcome is dropped
        webhooks.record_outcomes([(first, subscription, late)])
        assert Delivery.objects.get().status == "pending"
        sent = deliverer._send(second, subscription.endpoint_url, signer)
        assert webhooks.record_outcomes([(second, subscription, sent)]) == (1, 0)
    finally:
        deliverer.close()
    delivered = Delivery.objects.get()
    assert (delivered.status, delivered.attempts) == ("delivered", 1)
    assert receiver.ids() == [first.event_id]
