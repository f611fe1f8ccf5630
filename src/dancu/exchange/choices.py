"""Coded values of the data exchange."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SystemKind(models.TextChoices):
    MINISTRY = "ministry", "Bộ, ngành"
    PROVINCE = "province", "Tỉnh, thành phố"
    BANK = "bank", "Ngân hàng"
    TELECOM = "telecom", "Nhà mạng"
    HOSPITAL = "hospital", "Bệnh viện"
    OTHER = "other", "Khác"


class SystemStatus(models.TextChoices):
    PENDING = "pending", "Chờ duyệt"
    APPROVED = "approved", "Đã duyệt"
    SUSPENDED = "suspended", "Tạm dừng"
    RETIRED = "retired", "Ngừng kết nối"


class Operation(models.TextChoices):
    VERIFY = "verify", "Xác thực"
    LOOKUP = "lookup", "Tra cứu"


from dancu.gateway.fields import CONSENT_FIELDS, LOOKUP_FIELDS, VERIFY_ATTRIBUTES  # noqa: E402

__all__ = [
    "CONSENT_FIELDS",
    "LOOKUP_FIELDS",
    "VERIFY_ATTRIBUTES",
    "AccessChannel",
    "DeliveryStatus",
    "Operation",
    "SigningScheme",
    "SubscriptionChannel",
    "SubscriptionStatus",
    "SystemKind",
    "SystemStatus",
]


class AccessChannel(models.TextChoices):
    """How a person's data was read outside the gateway's verify and lookup (those are in the access ledger)."""

    SIGN_IN = "sign_in", _("Sign-in to a service")
    BACK_OFFICE = "back_office", _("Official's view in the back office")
    LIFE_EVENT = "life_event", _("Life event sent to an agency")


class SubscriptionChannel(models.TextChoices):
    """How a subscription's life events travel: signed webhooks, or the system's own NATS JetStream consumer."""

    WEBHOOK = "webhook", pgettext_lazy("life events", "Signed webhook")
    NATS = "nats", pgettext_lazy("life events", "NATS JetStream")


class SubscriptionStatus(models.TextChoices):
    """A subscription is a grant: requested (pending), approved by an operator (active), suspended by an operator,
    or disabled (by the operator, or by the endpoint answering HTTP 410 Gone)."""

    PENDING = "pending", pgettext_lazy("life events", "Pending approval")
    ACTIVE = "active", pgettext_lazy("life events", "Active")
    SUSPENDED = "suspended", pgettext_lazy("life events", "Suspended")
    DISABLED = "disabled", pgettext_lazy("life events", "Disabled")


class SigningScheme(models.TextChoices):
    """Standard Webhooks signature schemes: ``v1`` HMAC-SHA256 with a shared secret, ``v1a`` Ed25519."""

    HMAC = "v1", pgettext_lazy("life events", "HMAC-SHA256 (v1)")
    ED25519 = "v1a", pgettext_lazy("life events", "Ed25519 (v1a)")


class DeliveryStatus(models.TextChoices):
    """A webhook delivery: waiting (first try or a retry), delivered, dead (after the last try, or the endpoint
    gone); a dead letter can be redriven to pending."""

    PENDING = "pending", pgettext_lazy("life events", "Waiting")
    DELIVERED = "delivered", pgettext_lazy("life events", "Delivered")
    DEAD = "dead", pgettext_lazy("life events", "Dead letter")
