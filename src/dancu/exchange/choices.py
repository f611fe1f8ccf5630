"""Coded values of the data exchange."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    "Operation",
    "SystemKind",
    "SystemStatus",
]


class AccessChannel(models.TextChoices):
    """How a person's data was read outside the gateway's verify and lookup (those are in the access ledger)."""

    SIGN_IN = "sign_in", _("Sign-in to a service")
    BACK_OFFICE = "back_office", _("Official's view in the back office")
    LIFE_EVENT = "life_event", _("Life event sent to an agency")
