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

    key = models.CharField(max_length=30, unique=True, verbose_name=_("key"))
    value = models.PositiveIntegerField(default=0, verbose_name=_("value"))

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return self.key


class Procedure(models.Model):
    """One administrative procedure (thủ tục hành chính) as the catalogue describes it."""

    code = models.SlugField(max_length=60, unique=True, verbose_name=_("code"))
    national_code = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("Code in the national procedure database."),
        verbose_name=_("national code"),
    )
    name_vi = models.CharField(max_length=300, verbose_name=_("Vietnamese name"))
    name_en = models.CharField(max_length=300, verbose_name=_("English name"))
    agency = models.CharField(max_length=30, choices=Agency.choices, verbose_name=_("agency"))
    level = models.CharField(max_length=10, choices=Level.choices, verbose_name=_("level"))
    deadline_days = models.PositiveSmallIntegerField(
        help_text=_("Legal deadline in working days (0: the same day)."), verbose_name=_("deadline days")
    )
    deadline_days_verification = models.PositiveSmallIntegerField(
        help_text=_("When verification is needed."), verbose_name=_("deadline days with verification")
    )
    fee_vnd = models.PositiveIntegerField(default=0, help_text=_("Fee at the counter."), verbose_name=_("fee (VND)"))
    fee_online_vnd = models.PositiveIntegerField(
        default=0, help_text=_("Fee when filed online (0: exempt online)."), verbose_name=_("online fee (VND)")
    )
    legal_basis = models.CharField(max_length=300, blank=True, verbose_name=_("legal basis"))
    fields = models.JSONField(
        default=list,
        help_text=_("The form: [{name, label_vi, label_en, type, required, source}]."),
        verbose_name=_("fields"),
    )
    attachments = models.JSONField(
        default=list, help_text=_("[{code, label_vi, label_en, types, max_mb, required, unless}]: 'unless' names the "
        "registry record or earlier result that makes it unnecessary."), verbose_name=_("attachments")
    )  # fmt: skip
    reuses = models.JSONField(
        default=list, help_text=_("Registry data and earlier results the dossier re-uses."), verbose_name=_("reuses")
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))

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

    code = models.SlugField(max_length=60, unique=True, verbose_name=_("code"))
    name_vi = models.CharField(max_length=300, verbose_name=_("Vietnamese name"))
    name_en = models.CharField(max_length=300, verbose_name=_("English name"))
    national_code = models.CharField(max_length=20, blank=True, verbose_name=_("national code"))
    deadline_days = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("deadline days"))
    deadline_days_verification = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("deadline days with verification")
    )
    members = models.JSONField(
        default=list,
        help_text=_(
            "The member procedures in order, each with the one it waits for, whether it is optional and its "
            "deadlines; inside the group these deadlines override the procedure's own."
        ),
        verbose_name=_("members"),
    )
    note = models.TextField(
        blank=True,
        help_text=_("Where the deadlines come from, or that they are configuration."),
        verbose_name=_("note"),
    )

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

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    number = models.CharField(max_length=30, unique=True, verbose_name=_("number"))
    group = models.ForeignKey(ProcedureGroup, on_delete=models.PROTECT, verbose_name=_("group"))
    applicant = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="cases", verbose_name=_("applicant")
    )
    received_at = models.DateTimeField(verbose_name=_("received at"))
    due_on = models.DateField(verbose_name=_("due on"))
    finished_on = models.DateField(null=True, blank=True, verbose_name=_("finished on"))
    data = models.JSONField(default=dict, verbose_name=_("data"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("linked case")
        verbose_name_plural = _("linked cases")

    def __str__(self) -> str:
        return self.number


class Dossier(models.Model):
    """A dossier (hồ sơ) of one procedure, from draft to result."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    number = models.CharField(max_length=30, unique=True, verbose_name=_("number"))
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, verbose_name=_("procedure"))
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="dossiers", verbose_name=_("case")
    )
    applicant = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("applicant")
    )
    commune = models.CharField(
        max_length=5, help_text=_("Current commune code of the competent office."), verbose_name=_("commune")
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status"))
    data = models.JSONField(
        default=dict, help_text=_("What was declared (prefilled parts included)."), verbose_name=_("data")
    )
    verification = models.BooleanField(
        default=False,
        help_text=_("Verification needed: the longer deadline applies."),
        verbose_name=_("verification needed"),
    )
    received_at = models.DateTimeField(null=True, blank=True, verbose_name=_("received at"))
    due_on = models.DateField(null=True, blank=True, verbose_name=_("due on"))
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    paused_working_days = models.PositiveSmallIntegerField(default=0, verbose_name=_("paused working days"))
    finished_on = models.DateField(null=True, blank=True, verbose_name=_("finished on"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    result = models.JSONField(default=dict, blank=True, verbose_name=_("result"))
    decision_reason = models.TextField(blank=True, verbose_name=_("decision reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("dossier")
    )
    from_status = models.CharField(max_length=12, blank=True, choices=Status.choices, verbose_name=_("from status"))
    to_status = models.CharField(max_length=12, choices=Status.choices, verbose_name=_("to status"))
    actor = models.CharField(max_length=150, verbose_name=_("actor"))
    actor_kind = models.CharField(
        max_length=10, help_text=_("citizen, official or system"), verbose_name=_("actor kind")
    )
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status}->{self.to_status}"


class Reuse(models.Model):
    """A piece of registry data or an earlier result that a dossier re-used instead of asking for it (once-only)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="reuses", verbose_name=_("dossier"))
    source = models.CharField(
        max_length=40,
        help_text=_("registry.person, registry.household, result:<dossier>, ..."),
        verbose_name=_("source"),
    )
    reference = models.CharField(
        max_length=64,
        help_text=_("The record's id (a PIN's person id, a dossier number)."),
        verbose_name=_("reference"),
    )
    fields = models.JSONField(default=list, verbose_name=_("fields"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("data reuse")
        verbose_name_plural = _("data reuses")

    def __str__(self) -> str:
        return self.source


class HealthInsuranceCard(models.Model):
    """A health-insurance card (thẻ BHYT) issued by social insurance (synthetic social-insurance data)."""

    number = models.CharField(
        max_length=15,
        unique=True,
        help_text=_("Group code, benefit level, province, BHXH number."),
        verbose_name=_("number"),
    )
    social_insurance_number = models.CharField(max_length=10, unique=True, verbose_name=_("social insurance number"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(verbose_name=_("valid to"))
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dossier")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("health-insurance card")
        verbose_name_plural = _("health-insurance cards")

    def __str__(self) -> str:
        return self.number


class Attachment(models.Model):
    """A file attached to a dossier: in the attachment store (``stored`` names it; see procedures/attachments.py) or,
    with ``DANCU_ATTACHMENT_STORE=database``, in ``content``. Read it with ``attachments.read``, which checks the
    digest."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("dossier")
    )
    code = models.CharField(max_length=40, verbose_name=_("code"))
    content_type = models.CharField(max_length=60, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, db_index=True, verbose_name=_("SHA-256"))
    stored = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The file's name in the attachment store."),
        verbose_name=_("stored file"),
    )
    content = models.BinaryField(blank=True, default=b"", verbose_name=_("content"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.code


class Notification(models.Model):
    """A message to the applicant shown in the portal (and sent by SMS through the outbox)."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="notifications", verbose_name=_("account")
    )
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("dossier")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    text = models.TextField(help_text=_("As sent, in the recipient's language."), verbose_name=_("text"))
    parts = models.JSONField(
        default=list,
        blank=True,
        help_text=_("[[English msgid, {name: value or {vi, en}}], ...]: shown in the page's language."),
        verbose_name=_("parts"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

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

    person = models.OneToOneField(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    months = models.PositiveIntegerField(verbose_name=_("months"))
    synthetic = models.BooleanField(default=True, verbose_name=_("synthetic"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    issuer = models.CharField(max_length=30, choices=Agency.choices, verbose_name=_("issuer"))
    owner = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="documents", verbose_name=_("owner")
    )
    subject = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("subject")
    )
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="documents", verbose_name=_("dossier"))
    data = models.JSONField(verbose_name=_("data"))
    issued_at = models.DateTimeField(verbose_name=_("issued at"))
    token = models.TextField(
        help_text=_("Compact JWS (EdDSA) over the document: what the QR code carries."), verbose_name=_("token")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

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

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="payments", null=True, blank=True, verbose_name=_("case")
    )
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="payments", null=True, blank=True, verbose_name=_("dossier")
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="payments", verbose_name=_("account")
    )
    amount_vnd = models.PositiveIntegerField(verbose_name=_("amount (VND)"))
    description = models.CharField(
        max_length=200, help_text=_("As sent to the provider, in Vietnamese."), verbose_name=_("description")
    )
    description_parts = models.JSONField(
        default=list, blank=True, help_text=_("[[English msgid, {name: value}], ...]: shown in the page's language."),
        verbose_name=_("description parts"),
    )  # fmt: skip
    provider = models.CharField(max_length=30, verbose_name=_("provider"))
    provider_ref = models.CharField(max_length=64, blank=True, verbose_name=_("provider reference"))
    status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, verbose_name=_("status")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    refunded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("refunded at"))
    refund_reason = models.CharField(max_length=300, blank=True, verbose_name=_("refund reason"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"payment {self.pk}"

    @property
    def display_description(self) -> str:
        """What the payment is for, in the active language (payments made before the parts were kept: as sent)."""
        return render_notice(self.description_parts) if self.description_parts else self.description


class SimulatedTransaction(models.Model):
    """The simulated provider's own books (what a real provider's settlement report would list)."""

    reference = models.CharField(max_length=64, unique=True, verbose_name=_("reference"))
    payment_id = models.UUIDField(verbose_name=_("payment id"))
    amount_vnd = models.PositiveIntegerField(verbose_name=_("amount (VND)"))
    kind = models.CharField(max_length=10, help_text=_("charge or refund"), verbose_name=_("kind"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("simulated transaction")
        verbose_name_plural = _("simulated transactions")

    def __str__(self) -> str:
        return self.reference


class NumberBlock(models.Model):
    """Dossier numbers pre-allocated to a device of the offline workspace (khối số hồ sơ cấp trước): serials
    ``first``..``last`` of the day stem ``stem`` (``HS.261205``), drawn from the same counter as online numbers so
    that no number is ever given twice."""

    device = models.ForeignKey(
        "accounts.OfficerDevice", on_delete=models.PROTECT, related_name="number_blocks", verbose_name=_("device")
    )
    stem = models.CharField(_("stem"), max_length=20)
    first = models.PositiveIntegerField(_("first serial"))
    last = models.PositiveIntegerField(_("last serial"))
    allocated_at = models.DateTimeField(_("allocated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dossier number block")
        verbose_name_plural = _("dossier number blocks")

    def __str__(self) -> str:
        return f"{self.stem}.{self.first:06d}-{self.last:06d}"

    def numbers(self) -> list[str]:
        return [f"{self.stem}.{serial:06d}" for serial in range(self.first, self.last + 1)]

    def holds(self, number: str) -> bool:
        stem, _sep, serial = number.rpartition(".")
        return stem == self.stem and serial.isdigit() and len(serial) == 6 and self.first <= int(serial) <= self.last


class OfflineState(models.TextChoices):
    APPLIED = "applied", _("Recorded in the registry")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", _("Closed after review")


class OfflineRecord(models.Model):
    """A declaration typed in the offline workspace and uploaded (bản ghi ngoại tuyến): kept as signed, with what
    became of it. A conflict never overwrites the registry: the record waits in review with both versions."""

    client_id = models.UUIDField(_("client id"), unique=True)
    device = models.ForeignKey(
        "accounts.OfficerDevice", on_delete=models.PROTECT, related_name="records", verbose_name=_("device")
    )
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer")
    )
    number = models.CharField(_("number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=30)
    body = models.TextField(_("signed body"))
    signature = models.CharField(_("signature"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=OfflineState.choices)
    code = models.CharField(_("outcome code"), max_length=60, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    review = models.JSONField(_("review"), default=dict, blank=True, help_text=_("Both versions, side by side."))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("offline record")
        verbose_name_plural = _("offline records")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.number
