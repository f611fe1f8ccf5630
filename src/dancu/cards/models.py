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


class DocumentSigner(models.Model):
    """A Document Signer of the country's signing PKI (ICAO Doc 9303 part 12): its certificate, issued by the CSCA,
    signs the chips personalised during a short issuing period; its private key is kept sealed under the key file
    ``document-signer-keys.json`` of ``DANCU_KEYS_DIR``."""

    serial = models.CharField(max_length=40, unique=True, verbose_name=_("serial number"))
    certificate = models.BinaryField(help_text=_("DER X.509 certificate."), verbose_name=_("certificate"))
    private_key = models.BinaryField(editable=False, verbose_name=_("private key (sealed)"))
    issuing_from = models.DateTimeField(verbose_name=_("issues from"))
    issuing_until = models.DateTimeField(verbose_name=_("issues until"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("document signer")
        verbose_name_plural = _("document signers")
        ordering = ["-issuing_from"]

    def __str__(self) -> str:
        return f"DS {self.serial}"


class ChipImage(models.Model):
    """The content written to a card's chip at personalisation (EF.COM, the data groups, EF.SOD), the printed QR
    payload, and the chip's own private keys (active and chip authentication), sealed: they never leave the
    (simulated) chip through any API."""

    card = models.OneToOneField(IdentityCard, on_delete=models.CASCADE, related_name="chip", verbose_name=_("card"))
    signer = models.ForeignKey(
        DocumentSigner, on_delete=models.PROTECT, related_name="chips", verbose_name=_("document signer")
    )
    ef_com = models.BinaryField(verbose_name=_("EF.COM"))
    dg1 = models.BinaryField(verbose_name=_("DG1"))
    dg2 = models.BinaryField(verbose_name=_("DG2"))
    dg13 = models.BinaryField(verbose_name=_("DG13"))
    dg14 = models.BinaryField(verbose_name=_("DG14"))
    dg15 = models.BinaryField(verbose_name=_("DG15"))
    sod = models.BinaryField(verbose_name=_("EF.SOD"))
    chip_keys = models.BinaryField(editable=False, verbose_name=_("chip keys (sealed)"))
    qr_payload = models.CharField(max_length=400, verbose_name=_("QR payload"))
    personalised_at = models.DateTimeField(verbose_name=_("personalised at"))

    class Meta:
        verbose_name = _("chip image")
        verbose_name_plural = _("chip images")

    def __str__(self) -> str:
        return f"chip {self.pk}"

    def data_groups(self) -> dict[int, bytes]:
        return {
            1: bytes(self.dg1),
            2: bytes(self.dg2),
            13: bytes(self.dg13),
            14: bytes(self.dg14),
            15: bytes(self.dg15),
        }
