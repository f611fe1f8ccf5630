"""The front desk (quầy tiếp đón): a receptionist signed in as a user of their facility checks a patient's health
insurance by the card's QR text or the PIN. The same checks as the gateway's endpoint (:func:`dancu.gateway.checkin
.evaluate`, on the same projection), the same entry in the access ledger in the facility's system's name, and one
check-in row (no patient data) for the KPIs and the day's list."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from dancu.core.crypto import Keyring
from dancu.core.errors import DomainError, gettext_noop
from dancu.gateway import projection
from dancu.gateway.checkin import OPERATION, PURPOSE, CheckInRequest, CheckInResponse, evaluate, patient
from dancu.gateway.errors import RequestFailed
from dancu.gateway.hashing import AttributeHasher
from dancu.gateway.ledger import Ledger, LedgerEntry, now_iso
from dancu.insurance.models import CheckIn, Receptionist

_PIN_TYPED = re.compile(r"^[0-9 ]{12,20}$")


def receptionist_of(user: Any) -> Receptionist:
    """The active receptionist record of a signed-in user; ``not_a_receptionist`` (403) otherwise."""
    found = Receptionist.objects.filter(user=user, active=True).select_related("facility__system").first()
    if found is None or found.facility.system is None:
        raise DomainError(
            "not_a_receptionist", gettext_noop("This page is for receptionists of a connected health facility."),
            status=403,
        )  # fmt: skip
    return found


def check_in(receptionist: Receptionist, text: str) -> CheckInResponse:
    """Check the patient of ``text`` (the card's QR text, or a PIN, spaces allowed). Bad input raises
    ``DomainError`` (``qr_not_a_card``, ``pin_malformed``, ``person_deceased``); the attempt is in the ledger."""
    facility = receptionist.facility
    assert facility.system is not None
    raw = text.strip()
    typed_pin = raw.replace(" ", "") if _PIN_TYPED.match(raw) else None
    payload = CheckInRequest(
        facility=facility.code, receptionist_pin=receptionist.pin, receptionist_name=receptionist.full_name,
        qr=None if typed_pin else raw, pin=typed_pin,
    )  # fmt: skip
    keys = Keyring(Path(settings.DANCU_KEYS_DIR))
    hasher = AttributeHasher(keys.hmac_key)
    request_id = os.urandom(16).hex()
    pin_h: bytes | None = None
    outcome = ""
    try:
        try:
            item = patient(payload)
            pin_h = hasher.pin_hmac(item.pin)
            db = projection.connect(Path(settings.DANCU_GATEWAY_PROJECTION), readonly=True)
            try:
                reader = projection.PersonReader(db, Path(settings.DANCU_GATEWAY_PROJECTION).parent)
                answer = evaluate(hasher, db, reader.person, payload, item, pin_h, request_id)
                reader.close()
            finally:
                db.close()
        except RequestFailed as failure:
            outcome = f"refused:{failure.code}"
            raise DomainError(
                failure.code, _MESSAGES.get(failure.code, _MESSAGES["qr_not_a_card"]), field="card"
            ) from None
        outcome = ("not_found:" if answer.reasons[:1] == ["pin_not_found"] else "found:") + answer.result_code
        CheckIn.objects.create(facility=facility, code=answer.result_code, at=timezone.now(), receptionist=receptionist)
        return answer
    finally:
        kid, key = keys.ledger_signing_key()
        ledger = Ledger(Path(settings.DANCU_LEDGER), signing_key=key, key_id=kid)
        try:
            ledger.append_batch([LedgerEntry(now_iso(), facility.system.client_id, PURPOSE, OPERATION,
                                             pin_h.hex() if pin_h else "", (), outcome or "refused:error",
                                             request_id)])  # fmt: skip
        finally:
            ledger.close()


_MESSAGES = {
    "qr_not_a_card": gettext_noop("This is neither an ID card's QR code nor a 12-digit ID number."),
    "pin_malformed": gettext_noop("An ID number has exactly 12 digits."),
    "pin_unknown_province": gettext_noop("An ID number has exactly 12 digits."),
    "person_deceased": gettext_noop("The person of this ID number is recorded as deceased."),
}


def todays_check_ins(receptionist: Receptionist) -> list[CheckIn]:
    """The facility's check-ins since midnight (local time), newest first (codes and times only)."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        CheckIn.objects.filter(facility=receptionist.facility, at__gte=midnight, simulated=False).order_by("-at")[:200]
    )
