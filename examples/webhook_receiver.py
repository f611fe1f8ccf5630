"""A receiver of dancu's life-event webhooks, checking their Standard Webhooks signatures (an example to adapt).

    python examples/webhook_receiver.py --port 9000 --secret whsec_...          # HMAC (v1) subscriptions
    python examples/webhook_receiver.py --port 9000 --public-key whpk_...       # Ed25519 (v1a) subscriptions

Each POST is checked (``webhook-id``, ``webhook-timestamp`` within 5 minutes, ``webhook-signature``): the HMAC
signature with the ``standardwebhooks`` package, the Ed25519 one with ``cryptography``. A valid event is appended to
``--store`` (JSON lines) unless its id was seen before (a retry or a replay: dancu delivers at least once, and the
webhook-id is the event id), and answered 204; a bad signature gets 401 and is not stored. During a secret rotation,
pass both keys (the option can be repeated): a signature by either is accepted.

Needs: ``pip install standardwebhooks cryptography``. Serve it behind TLS (https is required outside loopback).
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY = 1_000_000
TOLERANCE_SECONDS = 300


class Verifier:
    """Accepts a request signed by any of the given HMAC secrets (v1) or Ed25519 public keys (v1a)."""

    def __init__(self, secrets: list[str], public_keys: list[str]) -> None:
        self.hmac = [Webhook(s) for s in secrets]
        self.ed25519 = [
            Ed25519PublicKey.from_public_bytes(base64.b64decode(k.removeprefix("whpk_"))) for k in public_keys
        ]

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        for webhook in self.hmac:
            try:
                return webhook.verify(body, headers)  # type: ignore[no-any-return]
            except WebhookVerificationError:
                continue
        msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        if self.ed25519 and msg_id and stamp.isdigit() and abs(time.time() - int(stamp)) <= TOLERANCE_SECONDS:
            signed = f"{msg_id}.{stamp}.".encode() + body
            for part in headers.get("webhook-signature", "").split():
                version, _, signature = part.partition(",")
                if version != "v1a":
                    continue
                for key in self.ed25519:
                    try:
                        key.verify(base64.b64decode(signature), signed)
                        return json.loads(body)  # type: ignore[no-any-return]
                    except (InvalidSignature, ValueError):
                        continue
        raise WebhookVerificationError("no valid signature")


class Store:
    """Received events, once each (by webhook-id), appended to a JSON-lines file that survives a restart."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        self.events: list[dict[str, Any]] = []
        if path and path.exists():
            for line in path.read_text().splitlines():
                event = json.loads(line)
                self.seen.add(event["id"])
                self.events.append(event)

    def add(self, msg_id: str, event: dict[str, Any]) -> bool:
        with self.lock:
            if msg_id in self.seen:
                return False
            self.seen.add(msg_id)
            self.events.append(event)
            if self.path:
                with self.path.open("a") as file:
                    file.write(json.dumps(event, ensure_ascii=False) + "\n")
            return True


def make_handler(verifier: Verifier, store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._answer(413)
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = verifier.verify(body, headers)
            except WebhookVerificationError:
                self._answer(401)
                return
            store.add(headers["webhook-id"], event)
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", action="append", default=[], help="whsec_... (v1); repeat during a rotation")
    parser.add_argument("--public-key", action="append", default=[], help="whpk_... (v1a); repeat during a rotation")
    parser.add_argument("--store", type=Path, default=None, help="JSON-lines file of the received events")
    args = parser.parse_args()
    if not args.secret and not args.public_key:
        parser.error("give --secret or --public-key")
    server = ThreadingHTTPServer(
        (args.host, args.port), make_handler(Verifier(args.secret, args.public_key), Store(args.store))
    )
    print(f"listening on http://{args.host}:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
