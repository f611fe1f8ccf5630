"""Coded values of bulk reconciliation: sectors, job states, per-record results and the fields a file may hold."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """The sectors Directive 18/CT-TTg (2023) names for synchronisation with the registry."""

    TELECOM = "telecom", _("Telecom")
    BANK = "bank", _("Banking")
    TAX = "tax", _("Tax")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Results deleted")


class Stage(models.TextChoices):
    """Where a running job is; a job resumed after a crash starts again at the first stage not finished."""

    READ = "read", _("Reading the file")
    REGISTRY = "registry", _("Exporting the registry side")
    DETERMINISTIC = "deterministic", _("Exact ID number matching")
    PROBABILISTIC = "probabilistic", _("Probabilistic matching")
    PUBLISH = "publish", _("Publishing the results")


class Result(models.TextChoices):
    """A record's answer. Only what the grant allows leaves: never the registry's name, date of birth or sex."""

    CONFIRMED = "confirmed", _("Confirmed")
    CONFIRMED_WITH_DIFFERENCES = "confirmed_with_differences", _("Confirmed with differences")
    PIN_CORRECTED = "pin_corrected", _("ID number corrected")
    DECEASED = "deceased", _("Person deceased")
    NOT_FOUND = "not_found", _("Not found")
    AMBIGUOUS = "ambiguous", _("Ambiguous (manual review)")
    INVALID = "invalid", _("Invalid record")


#: What a file may hold, by the name used in the column mapping: common fields, then each sector's.
COMMON_FIELDS = ("record_id", "pin", "full_name", "birth_date", "sex", "province")
SECTOR_FIELDS = {
    Sector.TELECOM: ("msisdn", "activation_date"),
    Sector.BANK: ("customer_number",),
    Sector.TAX: ("tax_code",),
}
#: Fields every file must map (a record needs an id, and a name to be matched when its ID number is missing).
REQUIRED_FIELDS = ("record_id", "full_name", "birth_date")
