"""Online public services: the procedure catalogue (data, not code), dossiers with their transitions and deadlines,
and the cases of linked procedure groups (Decree 63/2024/NĐ-CP; DOMAIN.md §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dancu.core.ids import uuid7


class Agency(models.TextChoices):
    COMMUNE_CIVIL_STATUS = "commune_civil_status", "UBND cấp xã (tư pháp - hộ tịch)"
    COMMUNE_POLICE = "commune_police", "Công an cấp xã (đăng ký cư trú)"
    SOCIAL_INSURANCE = "social_insurance", "Bảo hiểm xã hội"
    PROVINCIAL_JUSTICE = "provincial_justice", "Sở Tư pháp"


class Level(models.TextChoices):
    COMMUNE = "commune", "Cấp xã"
    PROVINCE = "province", "Cấp tỉnh"
    CENTRAL = "central", "Trung ương"


class Counter(models.Model):
    """Per-day serials for dossier and case numbers (row-locked while drawn)."""

    key = models.CharField(max_length=30, unique=True)
    value = models.PositiveIntegerField(default=0)

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
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


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

    def __str__(self) -> str:
        return self.code


class Status(models.TextChoices):
    DRAFT = "draft", "Bản nháp"
    WAITING = "waiting", "Chờ kết quả liên thông"
    SUBMITTED = "submitted", "Đã nộp"
    RECEIVED = "received", "Đã tiếp nhận"
    IN_PROCESS = "in_process", "Đang xử lý"
    SUPPLEMENT_REQUESTED = "supplement", "Yêu cầu bổ sung"
    RESUBMITTED = "resubmitted", "Đã bổ sung"
    APPROVED = "approved", "Đã duyệt"
    REJECTED = "rejected", "Từ chối"
    RESULT_ISSUED = "issued", "Đã trả kết quả"
    CANCELLED = "cancelled", "Đã hủy"


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

    def __str__(self) -> str:
        return self.code


class Notification(models.Model):
    """A message to the applicant shown in the portal (and sent by SMS through the outbox)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="notifications")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"notification {self.pk}"


class Contributions(models.Model):
    """Months of compulsory social-insurance contributions (synthetic social-insurance data for the demo and tests;
    a real deployment reads them from the social-insurance database)."""

    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="+")
    months = models.PositiveIntegerField()
    synthetic = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.months} months"


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
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.title


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    FAILED = "failed", "Không thành công"
    REFUNDED = "refunded", "Đã hoàn tiền"


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

    def __str__(self) -> str:
        return f"payment {self.pk}"


class SimulatedTransaction(models.Model):
    """The simulated provider's own books (what a real provider's settlement report would list)."""

    reference = models.CharField(max_length=64, unique=True)
    payment_id = models.UUIDField()
    amount_vnd = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, help_text="charge or refund")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reference
