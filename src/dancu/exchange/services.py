"""Onboarding connected systems: register, keys, security assessment, approval, grants, suspension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dancu.core.errors import DomainError, NotFound
from dancu.core.pin import parse_pin
from dancu.exchange.choices import LOOKUP_FIELDS, Operation, SystemKind, SystemStatus
from dancu.exchange.keys import check_jwks
from dancu.exchange.models import (
    AssessmentCriterion,
    AssessmentResult,
    ConnectedSystem,
    Consent,
    Grant,
    Purpose,
    purpose_name,
)
from dancu.exchange.projector import keyring
from dancu.gateway.ledger import read_entries_for

#: Seeded security-assessment criteria (data, editable in the admin).
DEFAULT_CRITERIA = (
    ("network-isolation", "Kết nối qua mạng riêng hoặc kênh mã hóa (TLS 1.2+), tách biệt mạng nội bộ"),
    ("key-custody", "Khóa riêng xác thực lưu trong HSM hoặc kho bí mật, có quy trình thay khóa"),
    ("access-control", "Phân quyền theo vai trò, xác thực hai lớp cho quản trị viên"),
    ("data-minimisation", "Chỉ yêu cầu trường dữ liệu cần cho mục đích đã đăng ký"),
    ("storage-encryption", "Dữ liệu cá nhân nhận về được mã hóa khi lưu trữ"),
    ("logging", "Ghi nhật ký truy cập, lưu tối thiểu 12 tháng"),
    ("incident-response", "Có quy trình ứng cứu sự cố và đầu mối liên hệ 24/7"),
    ("pentest", "Kiểm thử xâm nhập trong 12 tháng gần nhất, lỗ hổng nghiêm trọng đã khắc phục"),
    ("security-level", "Hệ thống được phê duyệt cấp độ an toàn thông tin (Nghị định 85/2016) từ cấp 3"),
    ("dpia", "Có đánh giá tác động xử lý dữ liệu cá nhân (Nghị định 13/2023)"),
)

DEFAULT_PURPOSES = (
    (
        "kyc-banking",
        "Định danh khách hàng ngân hàng (eKYC)",
        "Luật Phòng, chống rửa tiền 2022; Thông tư 17/2024/TT-NHNN",
    ),
    ("sim-registration", "Xác thực thông tin thuê bao di động", "Nghị định 163/2024/NĐ-CP"),
    ("health-insurance", "Khám chữa bệnh bảo hiểm y tế", "Luật Bảo hiểm y tế; Quyết định 06/QĐ-TTg"),
    ("public-service", "Giải quyết thủ tục hành chính", "Nghị định 45/2020/NĐ-CP; Nghị định 42/2022/NĐ-CP"),
    ("social-insurance", "Chi trả chế độ bảo hiểm xã hội", "Luật Bảo hiểm xã hội 2024"),
)

#: The seeded purposes' names on English pages (the names above are Vietnamese).
PURPOSE_NAMES_EN = {
    "kyc-banking": "Bank customer identification (eKYC)",
    "sim-registration": "Mobile subscriber verification",
    "health-insurance": "Health-insurance medical care",
    "public-service": "Handling of administrative procedures",
    "social-insurance": "Social-insurance benefit payments",
}

#: What a subscription for each seeded purpose may receive: life-event types and fields (data, editable in the admin).
#: Social insurance pays birth and death benefits and follows the insured's name, marriage and residence; banks and
#: telecoms close mandates and subscriptions on death and follow name changes; public services follow residence.
DEFAULT_PURPOSE_EVENTS: dict[str, tuple[list[str], list[str]]] = {
    "social-insurance": (
        [
            "birth.registered",
            "death.recorded",
            "name.changed",
            "marriage.registered",
            "residence.permanent.changed",
        ],
        [
            "pin",
            "province",
            "commune",
            "full_name",
            "sex",
            "birth_date",
            "mother",
            "father",
            "death_date",
            "marriage_date",
            "spouse",
            "valid_from",
            "valid_to",
        ],
    ),
    "health-insurance": (
        [
            "birth.registered",
            "death.recorded",
            "name.changed",
            "residence.permanent.changed",
            "residence.temporary.changed",
        ],
        ["pin", "province", "commune", "full_name", "sex", "birth_date", "death_date", "valid_from", "valid_to"],
    ),
    "public-service": (
        ["death.recorded", "residence.permanent.changed", "residence.temporary.changed"],
        ["province", "commune", "death_date", "valid_from", "valid_to", "valid_until", "ended_on"],
    ),
    "kyc-banking": (
        ["death.recorded", "name.changed", "card.cancelled"],
        ["pin", "death_date", "full_name", "reason"],
    ),
    "sim-registration": (["death.recorded", "card.cancelled"], ["pin", "death_date", "reason"]),
}


def ensure_reference_data() -> None:
    for order, (code, text) in enumerate(DEFAULT_CRITERIA):
        AssessmentCriterion.objects.get_or_create(code=code, defaults={"text": text, "order": order})
    for code, name, basis in DEFAULT_PURPOSES:
        types, fields = DEFAULT_PURPOSE_EVENTS.get(code, ([], []))
        name_en = PURPOSE_NAMES_EN[code]
        purpose, created = Purpose.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "name_en": name_en, "legal_basis": basis, "event_types": types, "event_fields": fields,
            },
        )  # fmt: skip
        if not created and not purpose.name_en:  # rows seeded before purposes had an English name
            Purpose.objects.filter(pk=purpose.pk).update(name_en=name_en)


def get_system(client_id: str) -> ConnectedSystem:
    try:
        return ConnectedSystem.objects.get(client_id=client_id)
    except ConnectedSystem.DoesNotExist:
        raise NotFound("system_not_found", "No connected system with this client id.") from None


@transaction.atomic
def register_system(
    *, client_id: str, organisation: str, name: str, kind: str, contact_email: str = "", jwks: dict[str, Any]
) -> ConnectedSystem:
    if kind not in SystemKind.values:
        raise DomainError(
            "kind_invalid", "Kind is one of %(kinds)s.", field="kind", params={"kinds": ", ".join(SystemKind.values)}
        )
    check_jwks(jwks)
    if ConnectedSystem.objects.filter(client_id=client_id).exists():
        raise DomainError("system_exists", "A system with this client id exists.", status=409)
    system = ConnectedSystem.objects.create(
        client_id=client_id, organisation=organisation, name=name, kind=kind, contact_email=contact_email, jwks=jwks
    )
    for criterion in AssessmentCriterion.objects.all():
        AssessmentResult.objects.create(system=system, criterion=criterion)
    return system


@transaction.atomic
def set_keys(system: ConnectedSystem, jwks: dict[str, Any]) -> None:
    """Replace the system's public keys (rotation: publish old and new together, then drop the old)."""
    check_jwks(jwks)
    system.jwks = jwks
    system.save(update_fields=["jwks", "updated_at"])


@transaction.atomic
def record_assessment(
    system: ConnectedSystem, criterion_code: str, *, met: bool, evidence: str, reviewer: str
) -> AssessmentResult:
    if met and not evidence.strip():
        raise DomainError("evidence_missing", "A criterion is met only with evidence.", field="evidence")
    result = AssessmentResult.objects.select_related("criterion").get(system=system, criterion__code=criterion_code)
    result.met, result.evidence, result.reviewer, result.reviewed_at = met, evidence, reviewer, timezone.now()
    result.save()
    return result


@transaction.atomic
def approve_system(system: ConnectedSystem) -> ConnectedSystem:
    """Production access only when every criterion of the assessment is met."""
    missing = list(AssessmentResult.objects.filter(system=system, met=False).values_list("criterion__code", flat=True))
    missing += list(AssessmentCriterion.objects.exclude(assessmentresult__system=system).values_list("code", flat=True))
    if missing:
        raise DomainError(
            "assessment_incomplete",
            "%(count)d criteria not met: %(criteria)s.",
            status=409,
            params={"count": len(missing), "criteria": ", ".join(sorted(missing))},
        )
    if system.status == SystemStatus.RETIRED:
        raise DomainError("system_retired", "A retired system cannot be approved again.", status=409)
    system.status = SystemStatus.APPROVED
    system.save(update_fields=["status", "updated_at"])
    return system


@transaction.atomic
def set_status(system: ConnectedSystem, status: str) -> ConnectedSystem:
    """Suspend (refused at once by the gateway), resume to approved (re-checks the assessment), or retire."""
    if status == SystemStatus.APPROVED:
        return approve_system(system)
    if status not in SystemStatus.values:
        raise DomainError("status_invalid", "Unknown status.", field="status")
    system.status = status
    system.save(update_fields=["status", "updated_at"])
    return system


@transaction.atomic
def grant(
    system: ConnectedSystem,
    purpose_code: str,
    *,
    operations: list[str],
    fields: list[str] | None = None,
    status_flag: bool = False,
    rate_per_second: int = 50,
    daily_quota: int = 100_000,
) -> Grant:
    try:
        purpose = Purpose.objects.get(code=purpose_code)
    except Purpose.DoesNotExist:
        raise DomainError("purpose_unknown", "No purpose with this code.", field="purpose") from None
    if not operations or set(operations) - set(Operation.values):
        raise DomainError(
            "operations_invalid", "Operations are 'verify', 'lookup' and/or 'chip_verify'.", field="operations"
        )
    unknown = set(fields or ()) - set(LOOKUP_FIELDS)
    if unknown:
        raise DomainError(
            "fields_unknown",
            "Unknown lookup fields: %(fields)s.",
            field="fields",
            params={"fields": ", ".join(sorted(unknown))},
        )
    if rate_per_second < 1 or daily_quota < 1:
        raise DomainError("quota_invalid", "Quotas are positive.", field="rate_per_second")
    row, _ = Grant.objects.update_or_create(
        system=system,
        purpose=purpose,
        defaults={
            "operations": sorted(set(operations)),
            "fields": sorted(set(fields or ())),
            "status_flag": status_flag,
            "rate_per_second": rate_per_second,
            "daily_quota": daily_quota,
        },
    )
    return row


def access_history(pin: str, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """A citizen's own entries in the access ledger (for the citizen portal): time, organisation, purpose,
    operation, fields, outcome. Looked up by HMAC(PIN): nobody else's entries can come back."""
    parse_pin(pin)
    pin_h = keyring().pin_hmac(pin).hex()
    entries = read_entries_for(Path(settings.DANCU_LEDGER), pin_h, after=after, limit=min(limit, 1000))
    names = dict(ConnectedSystem.objects.values_list("client_id", "organisation"))
    purposes = {
        code: purpose_name(name, en) for code, name, en in Purpose.objects.values_list("code", "name", "name_en")
    }
    return [
        {
            "sequence": e.sequence,
            "time": e.time,
            "organisation": names.get(e.system, e.system),
            "system": e.system,
            "purpose": e.purpose,
            "purpose_name": purposes.get(e.purpose, ""),
            "operation": e.operation,
            "fields": list(e.fields),
            "outcome": e.outcome,
        }
        for e in entries
    ]


# --- citizens' consents (from the citizen portal) ---------------------------------------------------------------------


def consentable_systems() -> list[dict[str, Any]]:
    """Approved systems whose grants include consent-only fields: what a citizen can consent to, and for what."""
    from dancu.exchange.choices import CONSENT_FIELDS

    offers: dict[str, dict[str, Any]] = {}
    for grant in Grant.objects.select_related("system", "purpose").filter(system__status=SystemStatus.APPROVED):
        fields = sorted(set(grant.fields) & CONSENT_FIELDS)
        if not fields or "lookup" not in grant.operations:
            continue
        offer = offers.setdefault(
            grant.system.client_id,
            {"system": grant.system, "fields": set(), "purposes": []},
        )
        offer["fields"].update(fields)
        offer["purposes"].append(grant.purpose)
    return [{**o, "fields": sorted(o["fields"])} for _, o in sorted(offers.items())]


def consents_of(pin: str) -> list[Consent]:
    parse_pin(pin)
    pin_h = keyring().pin_hmac(pin).hex()
    return list(Consent.objects.select_related("system").filter(pin_hmac=pin_h).order_by("-granted_at"))


@transaction.atomic
def grant_consent(pin: str, client_id: str, fields: list[str]) -> Consent:
    """The citizen lets ``client_id`` look up these consent-only fields (within what its grants permit). Replaces
    an open consent for the same system."""
    parse_pin(pin)
    offer = next((o for o in consentable_systems() if o["system"].client_id == client_id), None)
    if offer is None:
        raise DomainError("system_not_consentable", "This system cannot ask for consent-only data.", field="system")
    wanted = sorted(set(fields))
    if not wanted or not set(wanted) <= set(offer["fields"]):
        raise DomainError("consent_fields_invalid", "Choose among the fields this system may ask for.", field="fields")
    pin_h = keyring().pin_hmac(pin).hex()
    now = timezone.now()
    Consent.objects.filter(pin_hmac=pin_h, system=offer["system"], revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    return Consent.objects.create(pin_hmac=pin_h, system=offer["system"], fields=wanted)


@transaction.atomic
def revoke_consent(pin: str, consent_id: int) -> Consent:
    parse_pin(pin)
    pin_h = keyring().pin_hmac(pin).hex()
    consent = Consent.objects.select_for_update().filter(pk=consent_id, pin_hmac=pin_h, revoked_at__isnull=True).first()
    if consent is None:
        raise NotFound("consent_not_found", "No such open consent.")
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at", "updated_at"])
    return consent
