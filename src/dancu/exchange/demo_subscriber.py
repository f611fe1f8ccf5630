"""The demo social-insurance fund (Quỹ bảo hiểm xã hội demo): a connected system subscribed to births and deaths
through a signed webhook, and the small receiver it runs on its own port, with a page listing what it received.

``dancu demo_subscriber --setup --url URL`` registers it (approved, subscription approved from the log's end) and
writes ``var/demo-subscriber.json`` (the endpoint and the Ed25519 public key); ``dancu demo_subscriber`` serves it.
The receiver checks every signature (``v1a``) and the timestamp, and stores each event once (by webhook-id).
"""

from __future__ import annotations

import base64
import html
import json
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import pgettext
from joserfc.jwk import OKPKey

from dancu.core.processes import Stop
from dancu.exchange import services, subscriptions
from dancu.exchange.choices import SystemStatus
from dancu.exchange.models import AssessmentCriterion, ConnectedSystem, Subscription

DEMO_CLIENT_ID = "demo-bhxh"
SUBSCRIPTION_NAME = "births-deaths"
#: With ``--nats`` (``make demo`` with NATS_URL set): the fund also reads births and deaths from its own NATS
#: consumer, thin (the person by a pseudonym it resolves through the web API).
NATS_SUBSCRIPTION_NAME = "births-deaths-nats"
TOLERANCE_SECONDS = 300
MAX_BODY = 1_000_000


def config_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-subscriber.json"


def events_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-subscriber" / "events.jsonl"


@transaction.atomic
def ensure_demo_subscriber(url: str, *, nats: bool = False) -> Subscription:
    """The demo fund, approved, with its subscription to births and deaths (approved: it receives what is recorded
    from now on); the endpoint and verification key go to ``var/demo-subscriber.json``. With ``nats``, also a thin
    NATS subscription to the same events (:data:`NATS_SUBSCRIPTION_NAME`)."""
    services.ensure_reference_data()
    key_file = Path(settings.VAR_DIR) / "demo-client" / f"{DEMO_CLIENT_ID}.private.jwk.json"
    if key_file.exists():
        key = OKPKey.import_key(json.loads(key_file.read_text()))
    else:  # its key for the gateway's token (then the web API of its subscription), generated on first run
        key = OKPKey.generate_key("Ed25519", parameters={"kid": f"{DEMO_CLIENT_ID}-1", "use": "sig"})
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(json.dumps(key.as_dict(private=True), indent=1))
        key_file.chmod(0o600)
    system = ConnectedSystem.objects.filter(client_id=DEMO_CLIENT_ID).first()
    if system is None:
        system = services.register_system(
            client_id=DEMO_CLIENT_ID, organisation="Bảo hiểm xã hội Việt Nam (demo)", name="Hệ thống nhận sự kiện",
            kind="ministry", contact_email="security@demo-bhxh.invalid",
            jwks={"keys": [key.as_dict(private=False)]},
        )  # fmt: skip
    for criterion in AssessmentCriterion.objects.all():
        services.record_assessment(
            system, criterion.code, met=True, evidence="Demo: self-declared, not a real assessment.", reviewer="demo"
        )
    if system.status != SystemStatus.APPROVED:
        services.approve_system(system)
    subscription = Subscription.objects.filter(system=system, name=SUBSCRIPTION_NAME).first()
    if subscription is None or subscription.endpoint_url != url:
        if subscription is not None:
            subscription.delete()
        requested = subscriptions.request_subscription(
            system, purpose="social-insurance", name=SUBSCRIPTION_NAME,
            event_types=["birth.registered", "death.recorded"],
            fields=["pin", "full_name", "birth_date", "sex", "mother", "father", "death_date", "province", "commune"],
            endpoint_url=url, signing="v1a",
        )  # fmt: skip
        subscription = requested.subscription
        config_path().write_text(json.dumps({"url": url, "public_key": requested.verification_key}, indent=1))
    if nats and not Subscription.objects.filter(system=system, name=NATS_SUBSCRIPTION_NAME).exists():
        over_nats = subscriptions.request_subscription(
            system, purpose="social-insurance", name=NATS_SUBSCRIPTION_NAME,
            event_types=["birth.registered", "death.recorded"], channel="nats",
        )  # fmt: skip
        subscriptions.approve_subscription(over_nats.subscription, by="demo")
    return subscriptions.approve_subscription(subscription, by="demo")


class Received:
    """What the fund has received, once each (by webhook-id), kept in a JSON-lines file across restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            self.events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        self.seen = {e["id"] for e in self.events}

    def add(self, event: dict[str, Any]) -> None:
        with self.lock:
            if event["id"] in self.seen:
                return
            self.seen.add(event["id"])
            self.events.append(event)
            with self.path.open("a") as file:
                file.write(json.dumps(event, ensure_ascii=False) + "\n")


def verify(public_key: Ed25519PublicKey, body: bytes, headers: dict[str, str]) -> bool:
    """A Standard Webhooks ``v1a`` (Ed25519) signature over ``id.timestamp.body``, within 5 minutes."""
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    signed = f"{msg_id}.{stamp}.".encode() + body
    for part in headers.get("webhook-signature", "").split():
        version, _sep, signature = part.partition(",")
        if version == "v1a":
            try:
                public_key.verify(base64.b64decode(signature), signed)
                return True
            except (InvalidSignature, ValueError):
                continue
    return False


def _day(value: str | None) -> str:
    """dd/mm/yyyy, as Vietnamese readers write dates."""
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def _moment(value: str | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%d/%m/%Y %H:%M") if value else ""


def _page(received: Received) -> bytes:
    rows = []
    for event in reversed(received.events[-200:]):
        data = event.get("data", {})
        who = event.get("subject", {}).get("pin") or event.get("subject", {}).get("pseudonym", "")
        kind = (
            pgettext("life events", "Birth")
            if event["type"] == "birth.registered"
            else pgettext("life events", "Death")
        )
        name = data.get("full_name") or ""
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
                kind, _day(event.get("effective_date")), who, name, _moment(event.get("recorded_at")),
            )) + "</tr>"
        )  # fmt: skip
    title = pgettext("life events", "Demo social-insurance fund: life events received")
    headers = "".join(
        f"<th>{html.escape(h)}</th>"
        for h in (
            pgettext("life events", "Event"),
            pgettext("life events", "Effective date"),
            pgettext("life events", "PIN"),
            pgettext("life events", "Name"),
            pgettext("life events", "Recorded"),
        )
    )
    empty = f"<p>{html.escape(pgettext('life events', 'Nothing received yet.'))}</p>" if not rows else ""
    return (
        f'<!doctype html><html lang="{translation.get_language()}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><meta http-equiv="refresh" content="3">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{empty}"
        f"<table><thead><tr>{headers}</tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    ).encode()


def serve(host: str, port: int, *, stop: Stop | None = None) -> None:
    """Serve the receiver and its page until ``stop`` is set (for ever without one)."""
    config = json.loads(config_path().read_text())
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(config["public_key"].removeprefix("whpk_")))
    received = Received(events_path())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # an idle keep-alive connection is closed after a minute

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/events.json":
                self._answer(200, json.dumps(received.events, ensure_ascii=False).encode(), "application/json")
                return
            with translation.override(settings.LANGUAGE_CODE):
                self._answer(200, _page(received), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._answer(413, b"", "text/plain")
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not verify(public_key, body, headers):
                self._answer(401, b"", "text/plain")
                return
            received.add(json.loads(body))
            self._answer(204, b"", "text/plain")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    if stop is None:
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return
    thread = threading.Thread(target=server.serve_forever, name="demo-subscriber", daemon=True)
    thread.start()
    try:
        while not stop.wait(3600):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
