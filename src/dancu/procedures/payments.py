"""Fees paid online through a pluggable provider; the embedded default is a simulated provider with signed
callbacks (``DANCU_PAYMENT_PROVIDER``: ``simulated`` or the dotted path of a provider class).

- A payment is created once per case (idempotent) and completed only by a callback whose HMAC-SHA256 signature,
  amount and reference check out; a tampered callback is refused and changes nothing; a repeated one is a no-op.
- ``reconcile(day)`` compares our paid and refunded payments with the provider's settlement records.
- Fees are refunded when the dossier they paid for is refused (the procedure was not performed).
- A payment that becomes paid is announced by :data:`payment_settled`; what it paid for (a linked group's
  declaration) reacts there, so this module imports nothing of the procedures it collects fees for.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string

from dancu.core.errors import DomainError
from dancu.procedures.models import Case, Payment, PaymentStatus, SimulatedTransaction

#: Sent with ``payment`` inside the transaction that marks it paid: receivers' writes commit or roll back with it.
#: A Django signal, not an event-log event: the event log carries facts about persons (keyed by PIN, projected to
#: the gateway and relayed to connected systems), and the fee's effect must commit together with the payment.
payment_settled = Signal()


class Provider(Protocol):
    name: str

    def checkout_url(self, payment: Payment, return_url: str) -> str: ...

    def secret(self) -> bytes: ...

    def refund(self, payment: Payment) -> str: ...

    def settlements(self, day: date) -> list[dict[str, Any]]: ...


class SimulatedProvider:
    """Stands in for a bank or wallet: a checkout page in this web app, a callback signed with a shared secret, and
    its own transaction records for reconciliation."""

    name = "simulated"

    def secret(self) -> bytes:
        path = Path(settings.DANCU_KEYS_DIR) / "payment-simulated.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(secrets.token_bytes(32))
            path.chmod(0o600)
        return path.read_bytes()

    def checkout_url(self, payment: Payment, return_url: str) -> str:
        from urllib.parse import urlencode

        return f"/thanh-toan/gia-lap/{payment.pk}/?{urlencode({'return': return_url})}"

    def charge(self, payment: Payment) -> dict[str, str]:
        """The provider takes the money and signs the notification it sends back."""
        reference = f"SIM{secrets.token_hex(8).upper()}"
        SimulatedTransaction.objects.create(
            reference=reference, payment_id=payment.pk, amount_vnd=payment.amount_vnd, kind="charge"
        )
        fields = {
            "payment": str(payment.pk),
            "amount": str(payment.amount_vnd),
            "reference": reference,
            "status": "paid",
        }
        return {**fields, "signature": sign_fields(self.secret(), fields)}

    def refund(self, payment: Payment) -> str:
        reference = f"SIMR{secrets.token_hex(8).upper()}"
        SimulatedTransaction.objects.create(
            reference=reference, payment_id=payment.pk, amount_vnd=payment.amount_vnd, kind="refund"
        )
        return reference

    def settlements(self, day: date) -> list[dict[str, Any]]:
        return [
            {"reference": t.reference, "payment": str(t.payment_id), "amount": t.amount_vnd, "kind": t.kind}
            for t in SimulatedTransaction.objects.filter(at__date=day)
        ]


@cache
def provider() -> Any:
    name = getattr(settings, "DANCU_PAYMENT_PROVIDER", "simulated")
    return SimulatedProvider() if name == "simulated" else import_string(name)()


def sign_fields(secret: bytes, fields: dict[str, str]) -> str:
    message = "&".join(f"{k}={fields[k]}" for k in sorted(fields))
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def start(case: Case, *, amount_vnd: int, description: str, description_parts: list[Any] | None = None) -> Payment:
    """The case's pending payment (the same one on a repeated request). ``description`` goes to the provider;
    ``description_parts`` (msgids and values, as a notice's) let the citizen's pages say it in their language."""
    existing = Payment.objects.filter(case=case).exclude(status=PaymentStatus.FAILED).first()
    if existing is not None:
        return existing
    return Payment.objects.create(
        case=case, account=case.applicant, amount_vnd=amount_vnd, description=description[:200],
        description_parts=description_parts or [], provider=provider().name,
    )  # fmt: skip


def handle_callback(fields: dict[str, str]) -> Payment:
    """A provider's notification. Refused (``payment_signature_invalid``, ``payment_amount_mismatch``, ...) unless
    it is signed and matches the payment; applying it twice changes nothing."""
    signature = fields.get("signature", "")
    body = {k: v for k, v in fields.items() if k != "signature"}
    expected = sign_fields(provider().secret(), body)
    if not hmac.compare_digest(signature, expected):
        raise DomainError("payment_signature_invalid", "The payment notification's signature is wrong.", status=403)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=body.get("payment")).first()
        if payment is None:
            raise DomainError("payment_not_found", "No such payment.", status=404)
        if str(payment.amount_vnd) != body.get("amount"):
            raise DomainError("payment_amount_mismatch", "The amount paid differs from the amount due.", status=409)
        if payment.status == PaymentStatus.PAID and payment.provider_ref == body.get("reference"):
            return payment  # the same notification again
        if payment.status != PaymentStatus.PENDING:
            raise DomainError("payment_not_pending", "This payment is already settled.", status=409)
        if body.get("status") != "paid":
            payment.status = PaymentStatus.FAILED
            payment.save(update_fields=["status"])
            return payment
        payment.status = PaymentStatus.PAID
        payment.provider_ref = body.get("reference", "")[:64]
        payment.paid_at = timezone.now()
        payment.save(update_fields=["status", "provider_ref", "paid_at"])
        payment_settled.send(sender=Payment, payment=payment)
    return payment


def refund(payment: Payment, reason: str) -> Payment:
    if payment.status != PaymentStatus.PAID:
        return payment
    payment.refund_reason = reason[:300]
    provider().refund(payment)
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.save(update_fields=["status", "refunded_at", "refund_reason"])
    return payment


def reconcile(day: date) -> dict[str, list[str]]:
    """Our payments against the provider's settlement records for one day: what each side has that the other lacks."""
    theirs = provider().settlements(day)
    charged = {t["payment"]: t for t in theirs if t["kind"] == "charge"}
    refunded = {t["payment"] for t in theirs if t["kind"] == "refund"}
    ours = Payment.objects.filter(paid_at__date=day)
    report: dict[str, list[str]] = {"missing_at_provider": [], "unknown_to_us": [], "amount_differs": [],
                                    "refund_missing": []}  # fmt: skip
    for payment in ours:
        record = charged.pop(str(payment.pk), None)
        if record is None:
            report["missing_at_provider"].append(str(payment.pk))
        elif record["amount"] != payment.amount_vnd:
            report["amount_differs"].append(str(payment.pk))
        if payment.status == PaymentStatus.REFUNDED and str(payment.pk) not in refunded:
            report["refund_missing"].append(str(payment.pk))
    report["unknown_to_us"] = [p for p in charged if not Payment.objects.filter(pk=p, paid_at__isnull=False).exists()]
    return report
