"""Subscriptions are grants: refused with stable codes outside what the purpose allows, approved by an operator;
the fan-out releases each matching event once, with an access record for every person whose data it carries."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from dancu.core.errors import DomainError
from dancu.events.models import Event
from dancu.exchange import subscriptions
from dancu.exchange.access import records_of
from dancu.exchange.consumers import follow as fan_out
from dancu.exchange.lifeevents import pseudonym_of, to_life_events
from dancu.exchange.models import Delivery, SubjectPseudonym
from dancu.exchange.services import set_status
from dancu.registry import services as registry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"purpose": "no-such-purpose"}, "purpose_unknown"),
        ({"event_types": ["birth.registered", "card.issued"]}, "event_type_not_granted"),
        ({"event_types": ["birth.happened"]}, "event_type_unknown"),
        ({"event_types": []}, "event_types_missing"),
        ({"fields": ["address_line"]}, "field_unknown"),  # not a field of births or deaths
        ({"purpose": "public-service", "event_types": ["death.recorded"], "fields": ["pin"]}, "field_not_granted"),
        ({"endpoint_url": "http://agency.example/hook"}, "endpoint_not_https"),
        ({"endpoint_url": "http://127.0.0.1:9/hook"}, "endpoint_not_https"),  # loopback http: demo and tests only
        ({"endpoint_url": "https://user:pw@agency.example/"}, "endpoint_invalid"),
        ({"endpoint_url": ""}, "endpoint_missing"),
        ({"channel": "email"}, "channel_invalid"),
        ({"signing": "v2"}, "signing_invalid"),
        ({"provinces": ["1"]}, "provinces_invalid"),
    ],
)
@override_settings(DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP=False)
def test_a_request_outside_the_grant_is_refused_with_a_stable_code(change: dict, code: str) -> None:
    request = {
        "purpose": "social-insurance",
        "name": "births",
        "event_types": ["birth.registered", "death.recorded"],
        "fields": ["pin"],
        "endpoint_url": "https://agency.example/hook",
        **change,
    }
    with pytest.raises(DomainError) as refused:
        subscriptions.request_subscription(factories.connected_system(), **request)
    assert refused.value.code == code


def test_loopback_http_is_allowed_only_where_the_installation_allows_it() -> None:
    with override_settings(DANCU_WEBHOOK_ALLOW_LOOPBACK_HTTP=True):
        assert subscriptions.check_endpoint("http://127.0.0.1:8003/hook") == "http://127.0.0.1:8003/hook"
        with pytest.raises(DomainError, match="endpoint_not_https"):
            subscriptions.check_endpoint("http://10.0.0.1/hook")


def test_pending_until_approved_and_only_for_an_approved_system() -> None:
    pending, key = factories.subscription(approved=False)
    assert pending.status == "pending" and key.startswith("whsec_")
    unapproved, _ = factories.subscription(factories.connected_system(approved=False), approved=False)
    with pytest.raises(DomainError, match="system_not_approved"):
        subscriptions.approve_subscription(unapproved, by="op")
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    _register_child(mother.pin)
    fan_out()
    assert not Delivery.objects.exists()  # pending subscriptions receive nothing
    approved = subscriptions.approve_subscription(pending, by="op")
    assert approved.status == "active" and approved.start_sequence == Event.objects.last().sequence


def _register_child(mother_pin: str, name: str = "Lê Văn Con") -> str:
    return registry.register_birth(
        full_name=name,
        sex="M",
        birth_date=date(2025, 1, 2),
        birth_commune=factories.HANOI_BA_DINH,
        mother_pin=mother_pin,
        actor="t",
    ).pin


def test_fan_out_releases_once_with_access_records_for_the_child_and_the_parent() -> None:
    subscription, _ = factories.subscription(fields=("pin", "mother", "full_name"))
    other, _ = factories.subscription(event_types=("death.recorded",))
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    child = _register_child(mother.pin)
    fan_out()
    fan_out()  # nothing twice
    delivery = Delivery.objects.get()
    assert delivery.subscription == subscription and delivery.status == "pending"
    assert delivery.payload["data"] == {"full_name": "Lê Văn Con", "mother": {"pin": mother.pin}}
    (birth,) = to_life_events(list(Event.objects.filter(type="birth.registered")))
    assert subscriptions.release(birth, subscription) is None
    mine = records_of(mother.pin)
    assert [(r.channel, r.organisation, r.reference.split(":")[0]) for r in mine] == [
        ("life_event", subscription.system.organisation, "birth.registered")
    ]
    assert mine[0].fields == ["event", "relation"]
    assert records_of(child)[0].fields == ["event", "full_name", "mother", "pin"]
    assert not Delivery.objects.filter(subscription=other).exists()


def test_filters_by_province_and_commune_and_a_suspended_system_receives_nothing() -> None:
    in_hanoi, _ = factories.subscription(provinces=["01"])
    factories.subscription(provinces=["79"])
    factories.subscription(communes=[factories.HANOI_OTHER])
    suspended, _ = factories.subscription()
    set_status(suspended.system, "suspended")
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    _register_child(mother.pin)
    fan_out()
    assert list(Delivery.objects.values_list("subscription", flat=True)) == [in_hanoi.pk]
    assert not records_of(mother.pin)  # thin payloads name no parent


def test_suspending_the_subscription_stops_releases_until_resumed_and_replay_fills_the_gap() -> None:
    subscription, _ = factories.subscription()
    subscriptions.set_subscription_status(subscription, "suspended", reason="audit")
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    _register_child(mother.pin)
    fan_out()
    assert not Delivery.objects.exists()
    subscriptions.approve_subscription(subscription, by="op")
    _register_child(mother.pin, "Lê Văn Hai")
    fan_out()
    assert Delivery.objects.count() == 1
    Delivery.objects.update(status="delivered")
    queued = subscriptions.replay(subscription, after_sequence=subscription.start_sequence)
    assert queued == 2  # the one delivered, again, and the one recorded during the suspension
    assert Delivery.objects.filter(status="pending").count() == 2


def test_replay_from_before_the_start_releases_history_and_from_a_time() -> None:
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    _register_child(mother.pin)
    subscription, _ = factories.subscription()
    assert not Delivery.objects.exists()
    assert subscriptions.replay(subscription, after_sequence=0) == 0  # the fan-out has not read it yet
    fan_out()
    assert subscriptions.replay(subscription, after_sequence=0) == 1
    assert subscriptions.replay(subscription, since=Event.objects.first().recorded_at) == 0  # already waiting
    with pytest.raises(DomainError, match="replay_invalid"):
        subscriptions.replay(subscription)


def test_a_pseudonym_resolves_only_for_the_subscription_that_received_it_and_is_recorded() -> None:
    subscription, _ = factories.subscription()
    other, _ = factories.subscription()
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    child = _register_child(mother.pin)
    fan_out()
    delivery = Delivery.objects.get(subscription=subscription)
    pseudonym = delivery.payload["subject"]["pseudonym"]
    assert subscriptions.resolve_pseudonym(subscription, pseudonym) == child
    assert records_of(child)[0].fields == ["pin"]
    with pytest.raises(DomainError, match="pseudonym_unknown"):
        subscriptions.resolve_pseudonym(other, pseudonym)


def test_a_pseudonym_delivered_over_nats_resolves_for_that_subscription_only() -> None:
    """A NATS subscription has no webhook deliveries: the fan-out keeps the subjects it released to it."""
    system = factories.connected_system()
    nats, _ = factories.subscription(system, channel="nats", name="over-nats")
    with_pin, _ = factories.subscription(channel="nats", fields=("pin",), name="with-pin")
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    child = _register_child(mother.pin)
    fan_out()
    fan_out()  # nothing new: the pseudonym is kept once
    assert not Delivery.objects.exists()
    pseudonym = pseudonym_of(system.client_id, child)
    assert list(SubjectPseudonym.objects.values_list("subscription_id", "pseudonym")) == [(nats.pk, pseudonym)]
    assert subscriptions.resolve_pseudonym(nats, pseudonym) == child
    assert (records_of(child)[0].fields, records_of(child)[0].reference) == (["pin"], f"pseudonym:{nats.pk}")
    with pytest.raises(DomainError, match="pseudonym_unknown"):
        subscriptions.resolve_pseudonym(with_pin, pseudonym)  # it receives PINs, never this pseudonym
    with pytest.raises(DomainError, match="pseudonym_unknown"):
        subscriptions.resolve_pseudonym(nats, pseudonym_of(system.client_id, mother.pin))  # not an event's subject
