"""Coded values of the data exchange."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry or sector")
    PROVINCE = "province", _("Province or city")
    BANK = "bank", _("Bank")
    TELECOM = "telecom", _("Telecom operator")
    HOSPITAL = "hospital", _("Hospital")
    OTHER = "other", _("Other")


class SystemStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    RETIRED = "retired", _("Disconnected")


class Operation(models.TextChoices):
    VERIFY = "verify", _("Verification")
    LOOKUP = "lookup", _("Lookup")


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
