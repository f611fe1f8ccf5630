"""Identity cards as the registry knows them: number, issue and expiry dates, status.

The chip, its data groups and the PKI behind them come with the cards issue; e-ID self-registration already needs the
card number and issue date to match.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dancu.registry.models import Person


class CardStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REPLACED = "replaced", _("Replaced")
    CANCELLED = "cancelled", _("Cancelled")


class IdentityCard(models.Model):
    """A chip identity card (thẻ căn cước / căn cước công dân). Its number is the holder's PIN."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cards", verbose_name=_("person"))
    number = models.CharField(
        max_length=12, help_text=_("The card number: the holder's 12-digit PIN."), verbose_name=_("number")
    )
    issued_on = models.DateField(verbose_name=_("issued on"))
    expires_on = models.DateField(
        null=True, blank=True, help_text=_("Empty: does not expire (issued after 60)."), verbose_name=_("expires on")
    )
    issuing_authority = models.CharField(
        max_length=120, default="Cục Cảnh sát quản lý hành chính về trật tự xã hội", verbose_name=_("issuing authority")
    )
    status = models.CharField(
        max_length=10, choices=CardStatus.choices, default=CardStatus.VALID, verbose_name=_("status")
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("status changed at"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("identity card")
        verbose_name_plural = _("identity cards")
        ordering = ["person", "-issued_on"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="valid"), name="card_one_valid_per_person"),
        ]
        indexes = [models.Index(fields=["number", "issued_on"], name="card_number_issued")]

    def __str__(self) -> str:
        return f"card {self.pk}"
