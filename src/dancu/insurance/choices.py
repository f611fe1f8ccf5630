"""Coded values of the social-insurance record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoverageStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class FacilityLevel(models.IntegerChoices):
    """Technical level of a health facility (Law on Medical Examination and Treatment 2023 art. 104)."""

    CENTRAL = 1, _("Central")
    PROVINCIAL = 2, _("Provincial")
    DISTRICT = 3, _("District")
    COMMUNE = 4, _("Commune")


class BeneficiaryGroup(models.TextChoices):
    """The two-letter group code at the start of a health-insurance card number (Decision 1666/QĐ-BHXH)."""

    DN = "DN", _("Employees of enterprises")
    HC = "HC", _("Civil servants")
    HT = "HT", _("Pensioners")
    CC = "CC", _("People with meritorious services")
    TE = "TE", _("Children under 6")
    HN = "HN", _("Poor households")
    HS = "HS", _("Pupils")
    SV = "SV", _("Students")
    GD = "GD", _("Household members")
