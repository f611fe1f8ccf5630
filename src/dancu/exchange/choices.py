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

__all__ = ["CONSENT_FIELDS", "LOOKUP_FIELDS", "VERIFY_ATTRIBUTES", "Operation", "SystemKind", "SystemStatus"]
