"""``POST /v1/health-insurance/check-in``: a health facility checks a patient's health insurance with what the ID
card gives (the printed QR's text, or the PIN typed with name, date of birth and sex), its facility code and the
receptionist (PIN and name). The answer is the social-insurance result code (:mod:`dancu.core.insurance`), the
benefit level, whether the facility is the registered one, and the next step in Vietnamese and English.

Read from the projection (``hi_*`` tables, :mod:`dancu.gateway.checkin_schema`) and the person's verification row;
every call — refused ones too — is one entry in the access ledger (operation ``health_insurance_check_in``), which
the patient sees in their access history.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from dancu.core import insurance as rules
from dancu.core.errors import DomainError
from dancu.core.pin import parse_pin
from dancu.gateway.auth import AccessClaims
from dancu.gateway.errors import RequestFailed
from dancu.gateway.hashing import AttributeHasher, name_forms
from dancu.gateway.requests import decode, error_response, json_response, read_body
from dancu.gateway.schemas import VerifyRequestItem, check_item
from dancu.gateway.worker import Gateway

PURPOSE = "health-insurance"
OPERATION = "health_insurance_check_in"


class CheckInRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The card's QR text (``qr``) or the PIN with what the card shows; the facility and the receptionist."""

    facility: str
    receptionist_pin: str
    receptionist_name: str
    qr: str | None = None
    pin: str | None = None
    full_name: str | None = None
    birth_date: str | None = None
    sex: Literal["M", "F"] | None = None


class CheckInResponse(msgspec.Struct, omit_defaults=True):
    request_id: str
    result_code: str
    admitted: bool
    next_step: str  # Vietnamese
    next_step_en: str
    reasons: list[str] = []
    benefit_level: int | None = None
    at_registered_facility: bool | None = None
    valid_to: str | None = None
    five_consecutive_years: bool | None = None


#: A name that matches the registry but not social insurance: the person is who the card says, the record lags.
NAME_PENDING = "name_changed_not_at_social_insurance"
NAME_PENDING_STEP = (
    "Họ tên đã thay đổi trong Cơ sở dữ liệu quốc gia về dân cư nhưng chưa cập nhật ở bảo hiểm xã hội. Đối chiếu "
    "căn cước rồi tiếp nhận; hướng dẫn người bệnh cập nhật thẻ.",
    "The name was changed in the population registry but not yet at social insurance. Check the ID card, admit, "
    "and ask the patient to have the card updated.",
)


def _answer(request_id: str, code: str, reasons: list[str], **extra: Any) -> CheckInResponse:
    vi, en = NAME_PENDING_STEP if NAME_PENDING in reasons else rules.RESULTS[code]
    return CheckInResponse(request_id, code, code in rules.ADMITTED, vi, en, reasons, **extra)


def patient(payload: CheckInRequest) -> VerifyRequestItem:
    """What the card says of the patient, from the QR text or as typed (4xx for what cannot be a card's)."""
    if payload.qr is not None:
        try:
            card = rules.parse_card_qr(payload.qr)
        except DomainError as error:
            raise RequestFailed(400, error.code, error.english) from None
        return VerifyRequestItem(card.pin, card.full_name, card.birth_date, card.sex)  # type: ignore[arg-type]
    if payload.pin is None:
        raise RequestFailed(422, "pin_or_qr_required", "Send the card's QR text (qr) or the PIN (pin).")
    item = VerifyRequestItem(payload.pin, payload.full_name, payload.birth_date, payload.sex)
    try:
        check_item(item)
    except DomainError as error:
        raise RequestFailed(400, error.code, error.english) from None
    return item


class _Staff:
    """The receptionists' answers (054, 055 or fine) by (facility, PIN, name as typed), kept for a second: a front
    desk checks many patients in a row, and the table changes rarely (each worker rereads it every second)."""

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self.loaded_at = -1.0
        self.answers: dict[tuple[int, str, str, str], str] = {}

    def code(self, db: sqlite3.Connection, hasher: AttributeHasher, facility: str, pin: str, name: str) -> str:
        now = time.monotonic()
        if now - self.loaded_at > self.ttl or len(self.answers) > 10_000:
            self.answers, self.loaded_at = {}, now
        key = (id(db), facility, pin, name)
        found = self.answers.get(key)
        if found is None:
            row = db.execute(
                "SELECT name_h FROM hi_receptionists WHERE facility = ? AND pin_h = ?", (facility, hasher.pin_hmac(pin))
            ).fetchone()
            if row is None:
                found = rules.STAFF_NOT_REGISTERED
            elif hasher.attribute_hmac(pin, "name", name_forms(name)[0]) != row[0]:
                found = rules.STAFF_NAME_MISMATCH
            else:
                found = ""
            self.answers[key] = found
        return found


_STAFF = _Staff()
#: Facility code -> the client id of its system, per projection connection, reread every second.
_FACILITIES: dict[int, tuple[float, dict[str, str]]] = {}


def facility_system(db: sqlite3.Connection, code: str) -> str | None:
    """The client id of the system that may check at ``code`` (or None), from the projection, kept for a second."""
    now = time.monotonic()
    cached = _FACILITIES.get(id(db))
    if cached is None or now - cached[0] > 1.0:
        try:
            table = dict(db.execute("SELECT code, client_id FROM hi_facilities").fetchall())
        except sqlite3.OperationalError:
            table = {}
        cached = _FACILITIES[id(db)] = (now, table)
    return cached[1].get(code)


async def check_in(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    if CheckInRequest not in gateway._decoders:
        gateway._decoders[CheckInRequest] = msgspec.json.Decoder(CheckInRequest)
    request_id = os.urandom(16).hex()
    started = time.perf_counter()
    claims: AccessClaims | None = None
    pin_h: bytes | None = None
    fields: tuple[str, ...] = ()
    try:
        body, claims = await read_body(request, gateway, gateway.config.max_body)
        payload = decode(gateway, CheckInRequest, body)
        gateway.authorise(claims, PURPOSE, "verify")
        item = patient(payload)
        fields = tuple(name for name in ("full_name", "birth_date", "sex") if getattr(item, name) is not None)
        pin_h = gateway.hasher.pin_hmac(item.pin)
        if facility_system(gateway.db, payload.facility) != claims.client_id:
            raise RequestFailed(403, "facility_not_callers", "This facility code is not one of the calling system's.")
        answer = evaluate(gateway.hasher, gateway.db, gateway.person, payload, item, pin_h, request_id)
        outcome = ("not_found:" if answer.reasons[:1] == ["pin_not_found"] else "found:") + answer.result_code
        await gateway.record(claims, PURPOSE, OPERATION, pin_h, fields, outcome, request_id)
        gateway.metrics.observe(OPERATION, time.perf_counter() - started)
        return json_response(gateway, answer)
    except RequestFailed as failure:
        await gateway.record(claims or failure.claims, PURPOSE, OPERATION, pin_h, fields, f"refused:{failure.code}",
                             request_id)  # fmt: skip
        return error_response(gateway, failure, request_id)


def evaluate(
    hasher: AttributeHasher, db: sqlite3.Connection, person_of: Callable[[bytes], tuple[Any, ...] | None],
    payload: CheckInRequest, item: VerifyRequestItem, pin_h: bytes, request_id: str,
) -> CheckInResponse:  # fmt: skip
    """The answer to one check-in, from the projection (``db``) and the person's verification row (``person_of``);
    the facility is already known to be the caller's. Raises ``RequestFailed`` for a deceased person's PIN. Shared
    by the endpoint and the front-desk page (:mod:`dancu.insurance.desk`)."""
    # The receptionist first: a check by someone the facility has not registered is answered 054/055, nothing else.
    staff_pin = payload.receptionist_pin
    try:
        parse_pin(staff_pin)
    except DomainError:
        return _answer(request_id, rules.STAFF_NOT_REGISTERED, ["receptionist_pin_malformed"])
    staff_code = _STAFF.code(db, hasher, payload.facility, staff_pin, payload.receptionist_name)
    if staff_code:
        return _answer(request_id, staff_code, [])
    person = person_of(pin_h)
    if person is None:
        return _answer(request_id, rules.NO_CARD, ["pin_not_found"])
    name_h, _fold_h, dob_h, precision, sex_h, deceased = person
    if deceased:
        raise RequestFailed(422, "person_deceased", "The person of this ID number is recorded as deceased.")
    pin = item.pin
    today = date.today()
    dob_ok: bool | None = None
    if item.birth_date is not None:
        cut = item.birth_date[:4] if precision == "year" else item.birth_date[:7] if precision == "month" else (
            item.birth_date)  # fmt: skip
        dob_ok = hasher.attribute_hmac(pin, "birth_date", cut) == dob_h
    sex_ok = None if item.sex is None else hasher.attribute_hmac(pin, "sex", item.sex) == sex_h
    if dob_ok and item.birth_date is not None:
        young = rules.under_six(date.fromisoformat(item.birth_date), today)
    else:
        young = today.year - parse_pin(pin).birth_year < 6
    coverage = db.execute(
        "SELECT name_h, name_fold_h, status, valid_to, benefit_level, facility, five_years FROM hi_coverage "
        "WHERE pin_h = ?",
        (pin_h,),
    ).fetchone()
    reasons: list[str] = []
    name_exact = name_folded = None
    if coverage is not None and item.full_name is not None:
        normalized, folded = name_forms(item.full_name)
        name_exact = hasher.attribute_hmac(pin, "name", normalized) == coverage[0]
        name_folded = hasher.attribute_hmac(pin, "name_folded", folded) == coverage[1]
        if not name_exact and hasher.attribute_hmac(pin, "name", normalized) == name_h:
            reasons.append(NAME_PENDING)
    facts = rules.Facts(
        has_card=coverage is not None, name_exact=name_exact, name_folded=name_folded, birth_date=dob_ok,
        sex=sex_ok, status=coverage[2] if coverage else "", expired=bool(coverage and coverage[3] < today.isoformat()),
        at_registered_facility=bool(coverage and coverage[5] == payload.facility), under_six=young,
    )  # fmt: skip
    code = rules.result_code(facts)
    if code not in rules.ADMITTED or coverage is None:
        return _answer(request_id, code, reasons)
    return _answer(request_id, code, reasons, benefit_level=coverage[4], at_registered_facility=code == rules.VALID,
                   valid_to=coverage[3], five_consecutive_years=bool(coverage[6]))  # fmt: skip
