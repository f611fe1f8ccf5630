"""Connected systems (hệ thống kết nối), their keys, security assessment, purposes and what each may do."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dancu.core.errors import DomainError
from dancu.exchange.choices import AccessChannel, SystemKind, SystemStatus
from dancu.exchange.keys import check_jwks


class ConnectedSystem(models.Model):
    """A system of a ministry, province, bank, telecom operator or hospital that calls the gateway."""

    client_id = models.SlugField(max_length=64, unique=True, help_text="OAuth client id; also the ledger's system.")
    organisation = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SystemKind.choices)
    contact_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=SystemStatus.choices, default=SystemStatus.PENDING)
    jwks = models.JSONField(default=dict, help_text="Public keys for private_key_jwt client authentication.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("connected system")
        verbose_name_plural = _("connected systems")
        ordering = ["client_id"]

    def __str__(self) -> str:
        return f"{self.organisation} / {self.name}"

    def clean(self) -> None:
        """The admin's form runs the same key checks as the services (public keys only, each with kid and kty)."""
        try:
            check_jwks(self.jwks)
        except DomainError as error:
            raise ValidationError({"jwks": error.message}, code=error.code) from None


class AssessmentCriterion(models.Model):
    """One criterion of the security assessment a system must meet before production access (Decree 13/2023,
    Circular 12/2022/TT-BTTTT levels; the programme found 79 of 100 systems passing)."""

    code = models.SlugField(max_length=40, unique=True)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("assessment criterion")
        verbose_name_plural = _("assessment criteria")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code


class AssessmentResult(models.Model):
    """The reviewer's finding on one criterion for one system, with the evidence seen."""

    system = models.ForeignKey(ConnectedSystem, on_delete=models.CASCADE, related_name="assessment")
    criterion = models.ForeignKey(AssessmentCriterion, on_delete=models.PROTECT)
    met = models.BooleanField(default=False)
    evidence = models.TextField(blank=True)
    reviewer = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        constraints = [models.UniqueConstraint(fields=["system", "criterion"], name="assessment_unique")]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {'met' if self.met else 'not met'}"

    def clean(self) -> None:
        if self.met and not self.evidence.strip():
            raise ValidationError({"evidence": "A criterion is met only with evidence."}, code="evidence_missing")


class Purpose(models.Model):
    """A stated purpose of use with its legal basis (every call names one; the default is deny)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=300)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Grant(models.Model):
    """What a system may do for one purpose: operations, lookup fields, status flag, and its quotas."""

    system = models.ForeignKey(ConnectedSystem, on_delete=models.CASCADE, related_name="grants")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="grants")
    operations = models.JSONField(default=list, help_text='["verify", "lookup"]')
    fields = models.JSONField(default=list, help_text="Lookup fields permitted for this purpose.")
    status_flag = models.BooleanField(default=False, help_text="Verification answers may say 'deceased'.")
    rate_per_second = models.PositiveIntegerField(default=50)
    daily_quota = models.PositiveIntegerField(default=100_000)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [models.UniqueConstraint(fields=["system", "purpose"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.purpose_id}"


class Consent(models.Model):
    """A citizen's consent for a system to look up consent-only fields (managed from the citizen portal)."""

    pin_hmac = models.CharField(max_length=64, help_text="Hex HMAC of the PIN (the projection's key).")
    system = models.ForeignKey(ConnectedSystem, on_delete=models.CASCADE, related_name="consents")
    fields = models.JSONField(default=list)
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        auto_now=True,
        db_index=True,
        help_text="Set on every change: the projector copies what changed since its last pass.",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"consent {self.system_id}"


class AccessRecord(models.Model):
    """A read of a person's data outside the gateway (truy cập dữ liệu ngoài cổng kết nối): claims released to a
    relying party at sign-in, an official opening the person's record in the back office, a life event delivered to
    a subscribing agency. The gateway's verifications and lookups are in its hash-chained access ledger; these rows
    sit beside them in the person's "who accessed my data" (Personal Data Protection Law 2025, art. 14: the data
    subject's right to know who processed their data). Append-only: nothing updates or deletes a row."""

    pin_hmac = models.CharField(max_length=64, help_text="Hex HMAC of the PIN (the projection's key), never the PIN.")
    time = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=20, choices=AccessChannel.choices)
    organisation = models.CharField(max_length=200, help_text="Who received or saw the data: agency, office, service.")
    actor = models.CharField(max_length=200, blank=True, help_text="The official, application or system acting.")
    purpose = models.CharField(max_length=300, blank=True, help_text="Why: the purpose, procedure or reason given.")
    fields = models.JSONField(default=list, help_text="Which data (field codes of exchange.choices.LOOKUP_FIELDS).")
    reference = models.CharField(max_length=100, blank=True, help_text="Event id, dossier number, client id.")

    class Meta:
        indexes = [models.Index(fields=["pin_hmac", "-time"], name="access_record_person")]

    def __str__(self) -> str:
        return f"{self.channel} {self.organisation}"
