"""Connected systems (hệ thống kết nối), their keys, security assessment, purposes and what each may do."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dancu.core.errors import DomainError
from dancu.exchange.choices import (
    AccessChannel,
    DeliveryStatus,
    SigningScheme,
    SubscriptionChannel,
    SubscriptionStatus,
    SystemKind,
    SystemStatus,
)
from dancu.exchange.keys import check_jwks


class ConnectedSystem(models.Model):
    """A system of a ministry, province, bank, telecom operator or hospital that calls the gateway."""

    client_id = models.SlugField(
        max_length=64,
        unique=True,
        help_text=_("OAuth client id; also the ledger's system."),
        verbose_name=_("client id"),
    )
    organisation = models.CharField(max_length=200, verbose_name=_("organisation"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(max_length=10, choices=SystemKind.choices, verbose_name=_("kind"))
    contact_name = models.CharField(max_length=100, blank=True, verbose_name=_("contact name"))
    contact_email = models.EmailField(blank=True, verbose_name=_("contact e-mail"))
    contact_phone = models.CharField(max_length=20, blank=True, verbose_name=_("contact phone"))
    status = models.CharField(
        max_length=10, choices=SystemStatus.choices, default=SystemStatus.PENDING, verbose_name=_("status")
    )
    jwks = models.JSONField(
        default=dict, help_text=_("Public keys for private_key_jwt client authentication."), verbose_name=_("JWKS")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    code = models.SlugField(max_length=40, unique=True, verbose_name=_("code"))
    text = models.CharField(max_length=300, verbose_name=_("text"))
    order = models.PositiveSmallIntegerField(default=0, verbose_name=_("order"))

    class Meta:
        verbose_name = _("assessment criterion")
        verbose_name_plural = _("assessment criteria")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code


class AssessmentResult(models.Model):
    """The reviewer's finding on one criterion for one system, with the evidence seen."""

    system = models.ForeignKey(
        ConnectedSystem, on_delete=models.CASCADE, related_name="assessment", verbose_name=_("system")
    )
    criterion = models.ForeignKey(AssessmentCriterion, on_delete=models.PROTECT, verbose_name=_("criterion"))
    met = models.BooleanField(default=False, verbose_name=_("criterion met"))
    evidence = models.TextField(blank=True, verbose_name=_("evidence"))
    reviewer = models.CharField(max_length=150, blank=True, verbose_name=_("reviewer"))
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))

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

    code = models.SlugField(max_length=40, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("Vietnamese name"))
    name_en = models.CharField(
        max_length=200, blank=True, help_text=_("Shown on English pages (blank: the Vietnamese name)."),
        verbose_name=_("English name"),
    )  # fmt: skip
    legal_basis = models.CharField(max_length=300, verbose_name=_("legal basis"))
    event_types = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Life-event types a subscription for this purpose may receive."),
        verbose_name=_("event types"),
    )
    event_fields = models.JSONField(
        default=list,
        blank=True,
        help_text=_('Life-event fields a subscription for this purpose may receive ("pin" for PINs, not pseudonyms).'),
        verbose_name=_("event fields"),
    )

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def display_name(self) -> str:
        """The name in the active language: English on English pages when there is one, else Vietnamese."""
        return purpose_name(self.name, self.name_en)


def purpose_name(name: str, name_en: str) -> str:
    """A purpose's name for the reader: ``name_en`` when the active language is English and it is set."""
    return name_en if name_en and (get_language() or "vi").split("-")[0] == "en" else name


class Grant(models.Model):
    """What a system may do for one purpose: operations, lookup fields, status flag, and its quotas."""

    system = models.ForeignKey(
        ConnectedSystem, on_delete=models.CASCADE, related_name="grants", verbose_name=_("system")
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="grants", verbose_name=_("purpose"))
    operations = models.JSONField(default=list, help_text='["verify", "lookup"]', verbose_name=_("operations"))
    fields = models.JSONField(
        default=list, help_text=_("Lookup fields permitted for this purpose."), verbose_name=_("fields")
    )
    status_flag = models.BooleanField(
        default=False, help_text=_("Verification answers may say 'deceased'."), verbose_name=_("status flag")
    )
    rate_per_second = models.PositiveIntegerField(default=50, verbose_name=_("rate per second"))
    daily_quota = models.PositiveIntegerField(default=100_000, verbose_name=_("daily quota"))

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [models.UniqueConstraint(fields=["system", "purpose"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.purpose_id}"


class Consent(models.Model):
    """A citizen's consent for a system to look up consent-only fields (managed from the citizen portal)."""

    pin_hmac = models.CharField(
        max_length=64, help_text=_("Hex HMAC of the PIN (the projection's key)."), verbose_name=_("PIN HMAC")
    )
    system = models.ForeignKey(
        ConnectedSystem, on_delete=models.CASCADE, related_name="consents", verbose_name=_("system")
    )
    fields = models.JSONField(default=list, verbose_name=_("fields"))
    granted_at = models.DateTimeField(auto_now_add=True, verbose_name=_("granted at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    updated_at = models.DateTimeField(
        auto_now=True,
        db_index=True,
        help_text=_("Set on every change: the projector copies what changed since its last pass."),
        verbose_name=_("updated at"),
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

    pin_hmac = models.CharField(
        max_length=64,
        help_text=_("Hex HMAC of the PIN (the projection's key), never the PIN."),
        verbose_name=_("PIN HMAC"),
    )
    time = models.DateTimeField(default=timezone.now, verbose_name=_("time"))
    channel = models.CharField(max_length=20, choices=AccessChannel.choices, verbose_name=_("channel"))
    organisation = models.CharField(
        max_length=200,
        help_text=_("Who received or saw the data: agency, office, service."),
        verbose_name=_("organisation"),
    )
    actor = models.CharField(
        max_length=200, blank=True, help_text=_("The official, application or system acting."), verbose_name=_("actor")
    )
    purpose = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Why: the purpose, procedure or reason given."),
        verbose_name=_("purpose"),
    )
    fields = models.JSONField(
        default=list,
        help_text=_("Which data (field codes of exchange.choices.LOOKUP_FIELDS)."),
        verbose_name=_("fields"),
    )
    reference = models.CharField(
        max_length=100, blank=True, help_text=_("Event id, dossier number, client id."), verbose_name=_("reference")
    )

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        indexes = [models.Index(fields=["pin_hmac", "-time"], name="access_record_person")]

    def __str__(self) -> str:
        return f"{self.channel} {self.organisation}"


class Subscription(models.Model):
    """A connected system's subscription to life events for one purpose (đăng ký nhận sự kiện): a grant like any
    other, requested by the system and approved by an operator, that says which event types and which fields it
    receives, about people of which provinces or communes, and where (a signed webhook or its NATS consumer).
    Every delivery of personal data under it is an access to that person's data (Decree 13/2023 art. 11)."""

    system = models.ForeignKey(
        ConnectedSystem, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("system")
    )
    purpose = models.ForeignKey(
        Purpose, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("purpose")
    )
    name = models.SlugField(
        max_length=64, help_text=_("The system's name for it, unique within the system."), verbose_name=_("name")
    )
    event_types = models.JSONField(
        default=list, help_text=_("Life-event types (exchange.lifeevents.EVENT_TYPES)."), verbose_name=_("event types")
    )
    fields = models.JSONField(
        default=list,
        help_text=_("Fields beyond the thin payload (exchange.lifeevents.FIELDS)."),
        verbose_name=_("fields"),
    )
    provinces = models.JSONField(
        default=list, blank=True, help_text=_("Province codes of the person; empty: all."), verbose_name=_("provinces")
    )
    communes = models.JSONField(
        default=list, blank=True, help_text=_("Commune codes of the person; empty: all."), verbose_name=_("communes")
    )
    channel = models.CharField(
        max_length=10,
        choices=SubscriptionChannel.choices,
        default=SubscriptionChannel.WEBHOOK,
        verbose_name=_("channel"),
    )
    endpoint_url = models.URLField(
        max_length=500, blank=True, help_text=_("https:// (loopback http in the demo)."), verbose_name=_("endpoint URL")
    )
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING, verbose_name=_("status")
    )
    status_reason = models.CharField(max_length=200, blank=True, verbose_name=_("status reason"))
    start_sequence = models.BigIntegerField(
        default=0,
        help_text=_("Events after this sequence are delivered (set at approval; earlier ones by replay)."),
        verbose_name=_("start sequence"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    approved_by = models.CharField(max_length=150, blank=True, verbose_name=_("approved by"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["system_id", "name"]
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="subscription_unique_name")]

    def __str__(self) -> str:
        return f"{self.system_id}/{self.name}"


class SigningSecret(models.Model):
    """A webhook signing secret of a subscription (Standard Webhooks): an HMAC secret (``v1``) or an Ed25519 key
    (``v1a``), sealed at rest. Several may sign at once while a rotation overlaps; a retired one stops signing at
    ``retires_at``."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="secrets", verbose_name=_("subscription")
    )
    scheme = models.CharField(max_length=4, choices=SigningScheme.choices, verbose_name=_("scheme"))
    sealed = models.BinaryField(
        help_text=_("The secret or private key, sealed under the webhook-secrets key file."),
        verbose_name=_("sealed secret"),
    )
    public_key = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("whpk_... for v1a (what the receiver holds)."),
        verbose_name=_("public key"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    retires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("retires at"))

    class Meta:
        verbose_name = _("signing secret")
        verbose_name_plural = _("signing secrets")
        ordering = ["subscription_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.scheme}"


class Delivery(models.Model):
    """One life event to deliver to one webhook subscription (envoi): the shaped payload, its attempts and outcome.
    Written by the fan-out in the same transaction as the access record; one per (subscription, event)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event_id = models.UUIDField(
        help_text=_("The event's id; also the webhook-id header (receivers de-duplicate)."), verbose_name=_("event id")
    )
    sequence = models.BigIntegerField(
        help_text=_("The event's sequence: order of delivery for one person."), verbose_name=_("sequence")
    )
    event_type = models.CharField(max_length=64, verbose_name=_("event type"))
    person_key = models.CharField(
        max_length=64, help_text=_("The person's pseudonym for this system (ordering)."), verbose_name=_("person key")
    )
    payload = models.JSONField(verbose_name=_("payload"))
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    last_error = models.CharField(
        max_length=200, blank=True, help_text=_("Stable code: http_500, timeout, ..."), verbose_name=_("last error")
    )
    last_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Last HTTP status answered."), verbose_name=_("last status")
    )
    recorded_at = models.DateTimeField(
        help_text=_("When the registry recorded the event."), verbose_name=_("recorded at")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Recorded to delivered, in ms."), verbose_name=_("latency (ms)")
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["sequence"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_unique_event")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["subscription", "person_key", "sequence"], name="delivery_person_order"),
            models.Index(fields=["subscription", "sequence"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.sequence} {self.status}"


class SubjectPseudonym(models.Model):
    """A pseudonym a NATS subscription received as an event's subject, with that event: what lets it resolve
    (``POST /api/v1/subscriptions/{id}/resolve``); a webhook subscription's are in its deliveries. Written by the
    fan-out with the access record, once per (subscription, pseudonym). Holds no PIN: the event does."""

    #: No index of its own: the unique constraint's leads with it (one index less to write on the fan-out's path).
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="pseudonyms", db_index=False)
    pseudonym = models.CharField(max_length=64)
    event_id = models.UUIDField(help_text="The first event that carried this pseudonym to the subscription.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "pseudonym"], name="subject_pseudonym_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.pseudonym}"
