"""The demo banner says how to attach a NATS consumer when the demo runs the relay (NATS_URL set), and nothing
about NATS otherwise."""

from __future__ import annotations

import pytest

from dancu.backoffice.management.commands.demo_banner import nats_lines
from dancu.exchange.choices import SubscriptionChannel, SubscriptionStatus
from dancu.exchange.models import Subscription
from tests import factories

pytestmark = pytest.mark.django_db


def test_without_nats_url_the_banner_says_nothing_of_nats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NATS_URL", raising=False)
    assert nats_lines() == []


def test_with_nats_url_it_names_a_subscribed_system_and_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:4222")
    assert "no NATS subscription yet" in "\n".join(nats_lines())
    system = factories.connected_system("bhxh")
    Subscription.objects.create(
        system=system, purpose=factories.purpose(), name="deaths", event_types=["death.recorded"],
        channel=SubscriptionChannel.NATS, status=SubscriptionStatus.ACTIVE,
    )  # fmt: skip
    text = "\n".join(nats_lines())
    assert "examples/nats_consumer.py --url nats://127.0.0.1:4222 --client-id bhxh" in text
    assert "no NATS subscription yet" not in text
