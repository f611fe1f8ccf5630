"""The subscriptions' web API: an agency (its gateway access token) sees only its own subscriptions' health and
log and can replay, redrive and resolve; an operator needs the exchange permissions; the schemas are public."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from joserfc import jwt

from dancu.exchange.api import _tokens
from dancu.exchange.consumers import follow as fan_out
from dancu.exchange.models import Delivery
from dancu.gateway.auth import AUDIENCE, TOKEN_ALGORITHM
from dancu.registry import services as registry
from tests import factories

pytestmark = pytest.mark.django_db


def _agency(client_id: str) -> Client:
    service = _tokens()
    now = int(time.time())
    token = jwt.encode(
        {"alg": TOKEN_ALGORITHM, "kid": service.kid, "typ": "at+jwt"},
        {"iss": service.issuer, "sub": client_id, "aud": AUDIENCE, "iat": now, "exp": now + 60,
         "jti": uuid.uuid4().hex, "scope": "social-insurance"},
        service.signing_key,
        algorithms=[TOKEN_ALGORITHM],
    )  # fmt: skip
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _operator(*perms: str) -> Client:
    user = factories.official(password="a-long-test-password")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange", codename__in=perms))
    token = base64.b64encode(f"{user.username}:a-long-test-password".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


def _birth() -> str:
    mother = factories.person(sex="F", residence=factories.HANOI_BA_DINH)
    return registry.register_birth(
        full_name="Lê Văn An", sex="M", birth_date=date(2025, 1, 2), birth_commune=factories.HANOI_BA_DINH,
        mother_pin=mother.pin, actor="t",
    ).pin  # fmt: skip


def test_an_agency_sees_its_own_subscription_only() -> None:
    mine, _ = factories.subscription()
    theirs, _ = factories.subscription()
    child = _birth()
    fan_out()
    agency = _agency(mine.system.client_id)
    assert [s["id"] for s in agency.get("/api/v1/subscriptions/").json()] == [mine.pk]
    health = agency.get(f"/api/v1/subscriptions/{mine.pk}/health").json()
    assert (health["status"], health["pending"], health["dead"]) == ("active", 1, 0)
    log = agency.get(f"/api/v1/subscriptions/{mine.pk}/deliveries").json()
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [("birth.registered", "pending", 0)]
    assert child not in str(log)
    refused = agency.get(f"/api/v1/subscriptions/{theirs.pk}/health")
    assert (refused.status_code, refused.json()["code"]) == (404, "subscription_not_found")
    pseudonym = Delivery.objects.get(subscription=mine).payload["subject"]["pseudonym"]
    resolved = agency.post(
        f"/api/v1/subscriptions/{mine.pk}/resolve", {"pseudonym": pseudonym}, content_type="application/json"
    )
    assert resolved.json() == {"pin": child}
    assert agency.post(
        f"/api/v1/subscriptions/{mine.pk}/replay", {"after_sequence": 0}, content_type="application/json"
    ).json() == {"queued": 0}  # fmt: skip
    Delivery.objects.update(status="dead")
    assert agency.post(
        f"/api/v1/subscriptions/{mine.pk}/redrive", {}, content_type="application/json"
    ).json() == {"queued": 1}  # fmt: skip


def test_an_operator_needs_the_permission_and_bad_tokens_are_401() -> None:
    subscription, _ = factories.subscription()
    assert _operator().get(f"/api/v1/subscriptions/{subscription.pk}/health").status_code == 403
    viewer = _operator("view_subscription")
    assert viewer.get(f"/api/v1/subscriptions/{subscription.pk}/health").status_code == 200
    denied = viewer.post(f"/api/v1/subscriptions/{subscription.pk}/redrive", {}, content_type="application/json")
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    assert Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/subscriptions/").status_code == 401
    both = _operator("change_subscription").post(
        f"/api/v1/subscriptions/{subscription.pk}/replay", {}, content_type="application/json"
    )
    assert (both.status_code, both.json()["code"]) == (400, "replay_invalid")


def test_the_schemas_are_published() -> None:
    index = Client().get("/api/v1/life-events/v1/").json()
    assert "death.recorded" in index["types"]
    schema = Client().get(index["types"]["death.recorded"]).json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert Client().get("/api/v1/life-events/v1/nothing.json").json()["code"] == "event_type_unknown"
