"""Online public services: the procedure catalogue (data, not code), dossiers with their transitions and deadlines,
and the cases of linked procedure groups (Decree 63/2024/NĐ-CP; DOMAIN.md §6)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dancu.core.ids import uuid7


class Agency(models.TextChoices):
    COMMUNE_CIVIL_STATUS = "commune_civil_status", _("Commune People's Committee (justice and civil status)")
    COMMUNE_POLICE = "commune_police", _("Commune police (residence registration)")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    PROVINCIAL_JUSTICE = "provincial_justice", _("Provincial Department of Justice")


class Level(models.TextChoices):
    COMMUNE = "commune", _("Commune level")
    PROVINCE = "province", _("Province level")
    CENTRAL = "central", _("Central level")


class Counter(models.Model):
    """Per-day serials for dossier and case numbers (row-locked while drawn)."""

    key = models.CharField(max_length=30, unique=True)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return self.key


class Procedure(models.Model):
    """One administrative procedure (thủ tục hành chính) as the catalogue describes it."""

    code = models.SlugField(max_length=60, unique=True)
    national_code = models.CharField(max_length=20, blank=True, help_text="Code in the national procedure database.")
    name_vi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    agency = models.CharField(max_length=30, choices=Agency.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    deadline_days = models.PositiveSmallIntegerField(help_text="Legal deadline in working days (0: the same day).")
    deadline_days_verification = models.PositiveSmallIntegerField(help_text="When verification is needed.")
    fee_vnd = models.PositiveIntegerField(default=0, help_text="Fee at the counter.")
    fee_online_vnd = models.PositiveIntegerField(default=0, help_text="Fee when filed online (0: exempt online).")
    legal_basis = models.CharField(max_length=300, blank=True)
    fields = models.JSONField(default=list, help_text="The form: [{name, label_vi, label_en, type, required, source}].")
    attachments = models.JSONField(
        default=list, help_text="[{code, label_vi, label_en, types, max_mb, required, unless}]: 'unless' names the "
        "registry record or earlier result that makes it unnecessary."
    )  # fmt: skip
    reuses = models.JSONField(default=list, help_text="Registry data and earlier results the dossier re-uses.")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        """The name in the active language (the catalogue carries both)."""
        return self.name_en if get_language() == "en" else self.name_vi


class ProcedureGroup(models.Model):
    """A linked group (liên thông): one declaration, several procedures at several agencies."""

    code = models.SlugField(max_length=60, unique=True)
    name_vi = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    national_code = models.CharField(max_length=20, blank=True)
    deadline_days = models.PositiveSmallIntegerField(null=True, blank=True)
    deadline_days_verification = models.PositiveSmallIntegerField(null=True, blank=True)
    members = models.JSONField(
        default=list,
        help_text='[{"procedure": code, "after": code or null, "optional": bool, "deadline_days": n, '
        '"deadline_days_verification": n}] in order; deadlines here override the procedure\'s own inside the group.',
    )
    note = models.TextField(blank=True, help_text="Where the deadlines come from, or that they are configuration.")

    class Meta:
        verbose_name = _("linked procedure group")
        verbose_name_plural = _("linked procedure groups")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        """The name in the active language (the catalogue carries both)."""
        return self.name_en if get_language() == "en" else self.name_vi


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    WAITING = "waiting", _("Waiting for a linked result")
    SUBMITTED = "submitted", _("Submitted")
    RECEIVED = "received", _("Received")
    IN_PROCESS = "in_process", _("In process")
    SUPPLEMENT_REQUESTED = "supplement", _("Supplement requested")
    RESUBMITTED = "resubmitted", _("Supplemented")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Refused")
    RESULT_ISSUED = "issued", _("Result issued")
    CANCELLED = "cancelled", _("Cancelled")


class Case(models.Model):
    """One declaration of a linked group, with its child dossiers and the group's overall deadline."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    number = models.CharField(max_length=30, unique=True)
    group = models.ForeignKey(ProcedureGroup, on_delete=models.PROTECT)
    applicant = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="cases")
    received_at = models.DateTimeField()
    due_on = models.DateField()
    finished_on = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("linked case")
        verbose_name_plural = _("linked cases")

    def __str__(self) -> str:
        return self.number


class Dossier(models.Model):
    """A dossier (hồ sơ) of one procedure, from draft to result."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    number = models.CharField(max_length=30, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="dossiers")
    applicant = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="dossiers")
    commune = models.CharField(max_length=5, help_text="Current commune code of the competent office.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    data = models.JSONField(default=dict, help_text="What was declared (prefilled parts included).")
    verification = models.BooleanField(default=False, help_text="Verification needed: the longer deadline applies.")
    received_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_working_days = models.PositiveSmallIntegerField(default=0)
    finished_on = models.DateField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.JSONField(default=dict, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["due_on", "created_at"]
        indexes = [
            models.Index(fields=["procedure", "commune", "status"], name="dossier_queue"),
            models.Index(fields=["applicant", "-created_at"], name="dossier_applicant"),
        ]

    def __str__(self) -> str:
        return self.number


class Transition(models.Model):
    """Every change of a dossier's status: who, when, why. Shown to the citizen."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, blank=True, choices=Status.choices)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    actor = models.CharField(max_length=150)
    actor_kind = models.CharField(max_length=10, help_text="citizen, official or system")
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status}->{self.to_status}"


class Reuse(models.Model):
    """A piece of registry data or an earlier result that a dossier re-used instead of asking for it (once-only)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="reuses")
    source = models.CharField(max_length=40, help_text="registry.person, registry.household, result:<dossier>, ...")
    reference = models.CharField(max_length=64, help_text="The record's id (a PIN's person id, a dossier number).")
    fields = models.JSONField(default=list)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data reuse")
        verbose_name_plural = _("data reuses")

    def __str__(self) -> str:
        return self.source


class HealthInsuranceCard(models.Model):
    """A health-insurance card (thẻ BHYT) issued by social insurance (synthetic social-insurance data)."""

    number = models.CharField(max_length=15, unique=True, help_text="Group code, benefit level, province, BHXH number.")
    social_insurance_number = models.CharField(max_length=10, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField()
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("health-insurance card")
        verbose_name_plural = _("health-insurance cards")

    def __str__(self) -> str:
        return self.number


class Attachment(models.Model):
    """A file attached to a dossier: in the attachment store (``stored`` names it; see procedures/attachments.py) or,
    with ``DANCU_ATTACHMENT_STORE=database``, in ``content``. Read it with ``attachments.read``, which checks the
    digest."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    code = models.CharField(max_length=40)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    stored = models.CharField(max_length=200, blank=True, help_text="The file's name in the attachment store.")
    content = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.code


class Notification(models.Model):
    """A message to the applicant shown in the portal (and sent by SMS through the outbox)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="notifications")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField(help_text="As sent, in the recipient's language.")
    parts = models.JSONField(
        default=list,
        blank=True,
        help_text="[[English msgid, {name: value or {vi, en}}], ...]: shown in the page's language.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"notification {self.pk}"

    @property
    def display(self) -> str:
        """The notice in the active language (older notices, kept as text only, as they were sent)."""
        return render_notice(self.parts) if self.parts else self.text


def render_notice(parts: list[Any], language: str | None = None) -> str:
    """A notice's sentences (English msgids with their values) in ``language`` or the active one; a value given as
    ``{"vi": ..., "en": ...}`` (a procedure's name) is taken in that language."""
    with translation.override(language) if language else nullcontext():
        english = translation.get_language() == "en"
        sentences = []
        for message, params in parts:
            values = {
                key: (value["en"] if english else value["vi"]) if isinstance(value, dict) else value
                for key, value in params.items()
            }
            sentences.append(translation.gettext(message) % values if values else translation.gettext(message))
        return " ".join(sentences)


class Contributions(models.Model):
    """Months of compulsory social-insurance contributions (synthetic social-insurance data for the demo and tests;
    a real deployment reads them from the social-insurance database)."""

    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="+")
    months = models.PositiveIntegerField()
    synthetic = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("insurance contributions")
        verbose_name_plural = _("insurance contributions")

    def __str__(self) -> str:
        return f"{self.months} months"


#: What each kind of issued document is called on pages.
DOCUMENT_KINDS = {
    "birth-extract": _("Birth extract"),
    "death-extract": _("Death extract"),
    "residence-confirmation": _("Residence confirmation"),
    "health-insurance-card": _("Health-insurance card"),
    "funeral-allowance": _("Funeral allowance decision"),
    "survivor-benefit": _("Survivor benefit decision"),
}


class Document(models.Model):
    """An electronic result (birth extract, insurance card, ...): its data signed by the issuing agency's key. Kept
    in the citizen's documents, verifiable on the public page or offline, re-usable by later procedures."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    issuer = models.CharField(max_length=30, choices=Agency.choices)
    owner = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="documents")
    subject = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="documents")
    data = models.JSONField()
    issued_at = models.DateTimeField()
    token = models.TextField(help_text="Compact JWS (EdDSA) over the document: what the QR code carries.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def name(self) -> str:
        """The kind of document in the active language (the signed title carries both languages, as the PDF)."""
        return str(DOCUMENT_KINDS.get(self.kind, self.title))


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    """A fee paid online for a case or dossier through a payment provider."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments", null=True, blank=True)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="payments", null=True, blank=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="payments")
    amount_vnd = models.PositiveIntegerField()
    description = models.CharField(max_length=200)
    provider = models.CharField(max_length=30)
    provider_ref = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"payment {self.pk}"


class SimulatedTransaction(models.Model):
    """The simulated provider's own books (what a real provider's settlement report would list)."""

    reference = models.CharField(max_length=64, unique=True)
    payment_id = models.UUIDField()
    amount_vnd = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, help_text="charge or refund")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("simulated transaction")
        verbose_name_plural = _("simulated transactions")

    def __str__(self) -> str:
        return self.reference
