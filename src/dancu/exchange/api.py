"""The web API of life-event subscriptions (``/api/v1/subscriptions/``): health, the delivery log, replay, redrive
and pseudonym resolution, and the published schemas (``/api/v1/life-events/``).

Two kinds of caller: an operator (HTTP Basic or a back-office session, with the ``exchange`` permissions), who sees
every subscription; and the agency's system itself, with the access token it gets from the gateway
(``Authorization: Bearer``), which sees only its own subscriptions. Refusals are ``{code, message, field}``.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import cache
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from dancu.core.errors import NotFound
from dancu.exchange import subscriptions
from dancu.exchange.lifeevents import EVENT_TYPES, load_schema
from dancu.exchange.models import Delivery, Subscription
from dancu.registry.api.common import AUTH, _require
from dancu.registry.api.errors import ErrorOut, ValidationErrorOut


class AgencyToken(HttpBearer):
    """A connected system's gateway access token (EdDSA JWT, verified with the gateway's public keys)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from dancu.gateway.auth import AuthError

        try:
            claims = _tokens().verify(f"Bearer {token}")
        except AuthError:
            return None
        request.agency = claims.client_id  # type: ignore[attr-defined]
        return claims.client_id


@cache
def _tokens() -> Any:
    from dancu.exchange.projector import keyring
    from dancu.gateway.auth import TokenService

    keys = keyring()
    return TokenService(
        issuer=os.environ.get("DANCU_GATEWAY_ISSUER", "http://127.0.0.1:8001").rstrip("/"),
        signing=keys.token_signing_key(),
        public_keys=keys.token_public_keys(),
        ttl=300,
        assertion_max_ttl=300,
        use_jti=lambda *_: True,
    )


router = Router(auth=[AgencyToken(), *AUTH], tags=["subscriptions"])
schemas_router = Router(auth=None, tags=["life events"])

ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut,
}  # fmt: skip


def _subscription(request: HttpRequest, subscription_id: int, *, change: bool = False) -> Subscription:
    """The subscription, if the caller may see it: its own system, or an operator with the permission."""
    agency = getattr(request, "agency", None)
    if agency is None:
        _require(request, "exchange.change_subscription" if change else "exchange.view_subscription")
    subscription = subscriptions.get_subscription(subscription_id)
    if agency is not None and subscription.system.client_id != agency:
        raise NotFound("subscription_not_found", "No subscription with this id.")
    return subscription


class HealthOut(Schema):
    id: int
    name: str
    status: str = Field(description="pending, active, suspended or disabled")
    status_reason: str
    channel: str
    pending: int = Field(description="Deliveries waiting (first try or retry).")
    delivered: int
    dead: int = Field(description="Dead letters (redrive them).")
    retrying: int
    lag_seconds: float = Field(description="Age of the oldest waiting delivery.")
    events_not_fanned_out: int
    last_delivered_at: datetime | None


class DeliveryOut(Schema):
    sequence: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str
    recorded_at: datetime
    delivered_at: datetime | None
    latency_ms: int | None
    next_attempt_at: datetime | None


class SubscriptionOut(Schema):
    id: int
    system: str
    name: str
    purpose: str
    event_types: list[str]
    fields: list[str]
    channel: str
    status: str


class ReplayIn(Schema):
    after_sequence: int | None = Field(None, ge=0)
    since: datetime | None = None


class RedriveIn(Schema):
    event_ids: list[str] | None = None


class CountOut(Schema):
    queued: int


class ResolveIn(Schema):
    pseudonym: str = Field(pattern="^[A-Za-z0-9_-]{22}$")


class ResolveOut(Schema):
    pin: str


@router.get("/", response={200: list[SubscriptionOut], **ERRORS}, operation_id="subscriptions_list")
def list_subscriptions(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's subscriptions (an operator: all)."""
    rows = Subscription.objects.select_related("system", "purpose")
    agency = getattr(request, "agency", None)
    if agency is None:
        _require(request, "exchange.view_subscription")
    else:
        rows = rows.filter(system__client_id=agency)
    return [
        {
            "id": s.pk, "system": s.system.client_id, "name": s.name, "purpose": s.purpose.code,
            "event_types": s.event_types, "fields": s.fields, "channel": s.channel, "status": s.status,
        }
        for s in rows
    ]  # fmt: skip


@router.get("/{subscription_id}/health", response={200: HealthOut, **ERRORS}, operation_id="subscription_health")
def subscription_health(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    """Lag, last delivery and failures."""
    return subscriptions.health(_subscription(request, subscription_id))


@router.get(
    "/{subscription_id}/deliveries", response={200: list[DeliveryOut], **ERRORS}, operation_id="subscription_log"
)
def delivery_log(
    request: HttpRequest, subscription_id: int, status: str | None = None, before: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The delivery log, newest first (``before``: a sequence, to page back); no payloads."""
    subscription = _subscription(request, subscription_id)
    rows = Delivery.objects.filter(subscription=subscription)
    if status:
        rows = rows.filter(status=status)
    if before is not None:
        rows = rows.filter(sequence__lt=before)
    return [
        {
            "sequence": d.sequence, "event_id": str(d.event_id), "event_type": d.event_type, "status": d.status,
            "attempts": d.attempts, "last_status": d.last_status, "last_error": d.last_error,
            "recorded_at": d.recorded_at, "delivered_at": d.delivered_at, "latency_ms": d.latency_ms,
            "next_attempt_at": d.next_attempt_at,
        }
        for d in rows.order_by("-sequence")[: max(1, min(limit, 1000))]
    ]  # fmt: skip


@router.post("/{subscription_id}/replay", response={200: CountOut, **ERRORS}, operation_id="subscription_replay")
def replay(request: HttpRequest, subscription_id: int, body: ReplayIn) -> dict[str, int]:
    """Deliver again the events after a sequence or recorded since a time (one of the two)."""
    subscription = _subscription(request, subscription_id, change=True)
    return {"queued": subscriptions.replay(subscription, after_sequence=body.after_sequence, since=body.since)}


@router.post("/{subscription_id}/redrive", response={200: CountOut, **ERRORS}, operation_id="subscription_redrive")
def redrive(request: HttpRequest, subscription_id: int, body: RedriveIn) -> dict[str, int]:
    """Send the dead letters again (all, or these events')."""
    subscription = _subscription(request, subscription_id, change=True)
    return {"queued": subscriptions.redrive(subscription, event_ids=body.event_ids)}


@router.post("/{subscription_id}/resolve", response={200: ResolveOut, **ERRORS}, operation_id="subscription_resolve")
def resolve(request: HttpRequest, subscription_id: int, body: ResolveIn) -> dict[str, str]:
    """The PIN behind a pseudonym this subscription received (recorded in the person's access history)."""
    subscription = _subscription(request, subscription_id, change=True)
    actor = getattr(request, "agency", None) or f"official:{request.user.get_username()}"
    return {"pin": subscriptions.resolve_pseudonym(subscription, body.pseudonym, actor=actor)}


@schemas_router.get("/v1/", operation_id="life_event_types")
def life_event_types(request: HttpRequest) -> dict[str, Any]:
    """The life-event types of contract version 1 and where their JSON Schemas are."""
    return {"version": 1, "types": {t: f"{request.path.rstrip('/')}/{t}.json" for t in EVENT_TYPES}}


@schemas_router.get("/v1/{event_type}.json", operation_id="life_event_schema", response={200: Any, 404: ErrorOut})
def life_event_schema(request: HttpRequest, event_type: str) -> Any:
    """The JSON Schema (2020-12) of one life-event type."""
    try:
        return load_schema(event_type)
    except KeyError:
        raise NotFound("event_type_unknown", "No life-event type with this name.") from None
