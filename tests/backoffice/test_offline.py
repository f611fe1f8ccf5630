"""The offline workspace's server side through its HTTP endpoints: enrolment, revocation, the working set and its
access records, the shared rules, and sync (applied, idempotent, tampered, replayed, conflicts in review)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dancu.exchange.access import pin_hmac_hex
from dancu.exchange.models import AccessRecord
from dancu.procedures import offline
from dancu.procedures.catalogue import load_catalogue
from dancu.procedures.models import OfflineRecord
from dancu.registry import services
from dancu.registry.models import Person, TemporaryResidence
from tests import factories
from tests.factories import HANOI_BA_DINH, HANOI_OTHER

pytestmark = pytest.mark.django_db


class Device:
    """A browser's side of the workspace, in Python: an enrolled P-256 key and the records it signs."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.key = ec.generate_private_key(ec.SECP256R1())
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        answer = self.post("/offline/enrol/", {"public_key": base64.b64encode(spki).decode(), "label": "laptop"})
        assert answer.status_code == 201, answer.content
        self.id: str = answer.json()["device"]
        self.numbers: list[str] = answer.json()["numbers"]

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            url, json.dumps(body), content_type="application/json", headers={"X-Dancu-Device": getattr(self, "id", "")}
        )

    def sign(self, body: str) -> str:
        r, s = decode_dss_signature(self.key.sign(body.encode(), ec.ECDSA(hashes.SHA256())))
        return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()

    def record(self, kind: str, fields: dict[str, str], base: dict[str, Any] | None = None) -> tuple[str, str]:
        body = json.dumps(
            {
                "v": 1,
                "client_id": str(uuid.uuid4()),
                "device": self.id,
                "number": self.numbers.pop(0),
                "kind": kind,
                "fields": fields,
                "base": base or {},
                "recorded_on": timezone.localdate().isoformat(),
            },
            ensure_ascii=False,
        )  # fmt: skip  (as the browser's JSON.stringify writes it)
        return body, self.sign(body)

    def upload(self, body: str, signature: str) -> Any:
        return self.post("/offline/sync/", {"device": self.id, "body": body, "signature": signature})


@pytest.fixture
def officer(client: Client) -> Client:
    load_catalogue()
    client.force_login(factories.official("hotich", role="civil_status_officer"))
    return client


@pytest.fixture
def family() -> dict[str, Person]:
    mother = factories.person(sex="F", birth_date=date(1995, 3, 1), residence=HANOI_BA_DINH, full_name="Lê Thị Mai")
    elder = factories.person(sex="M", birth_date=date(1950, 1, 1), residence=HANOI_BA_DINH, full_name="Lê Văn Cả")
    guest = factories.person(sex="M", birth_date=date(1990, 1, 1), residence=HANOI_BA_DINH, full_name="Đỗ Văn Khách")
    return {"mother": mother, "elder": elder, "guest": guest}


def _birth(mother: Person, name: str = "Lê Minh Khôi") -> dict[str, str]:
    born = (timezone.localdate() - timedelta(days=3)).isoformat()
    return {"child_full_name": name, "child_sex": "M", "child_birth_date": born, "child_birth_commune": HANOI_BA_DINH,
            "mother": mother.pin, "father": ""}  # fmt: skip


def test_enrol_download_and_the_access_records(officer: Client, family: dict[str, Person]) -> None:
    device = Device(officer)
    assert len(device.numbers) == 50 and device.numbers[0].startswith("HS.")
    key = device.post("/offline/key/", {}).json()
    assert len(base64.b64decode(key["key"])) == 32
    assert key["key"] == device.post("/offline/key/", {}).json()["key"]  # released again, the same key
    data = device.post("/offline/working-set/", {}).json()
    assert data["commune"]["code"] == HANOI_BA_DINH
    people = {m["pin"]: m for h in data["households"] for m in h["members"]}
    assert set(people) == {p.pin for p in family.values()}
    assert set(people[family["mother"].pin]) == {"pin", "full_name", "sex", "birth_date", "status", "relationship"}
    seen = AccessRecord.objects.get(pin_hmac=pin_hmac_hex(family["mother"].pin), purpose="offline_working_set")
    assert seen.actor and seen.organisation and "full_name" in seen.fields


def test_enrolment_is_for_commune_officers_with_a_p256_key(officer: Client, client: Client) -> None:
    answer = officer.post("/offline/enrol/", {"public_key": "AAAA"}, content_type="application/json")
    assert (answer.status_code, answer.json()["code"]) == (400, "device_key_invalid")
    client.force_login(factories.official("tracuu", role="viewer"))
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    answer = client.post("/offline/enrol/", {"public_key": base64.b64encode(spki).decode()}, "application/json")
    assert (answer.status_code, answer.json()["code"]) == (403, "offline_commune_only")


def test_birth_death_and_temporary_residence_are_applied_once(officer: Client, family: dict[str, Person]) -> None:
    device = Device(officer)
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    records = [
        device.record("birth", _birth(family["mother"])),
        device.record(
            "death",
            {
                "deceased": family["elder"].pin,
                "death_date": timezone.localdate().isoformat(),
                "death_place": "Tại nhà",
                "cause": "",
            },
        ),
        device.record(
            "temporary_residence",
            {
                "person": family["guest"].pin,
                "commune": HANOI_OTHER,
                "address_line": "Số 5 ngõ 12",
                "valid_until": until,
            },
        ),
    ]
    outcomes = [device.upload(*r) for r in records]
    assert [(o.status_code, o.json()["state"]) for o in outcomes] == [(200, "applied")] * 3
    child = Person.objects.get(pin=outcomes[0].json()["result"]["pin"])
    assert child.mother_id == family["mother"].pk and child.household_id == family["mother"].household_id
    assert Person.objects.get(pk=family["elder"].pk).status == "deceased"
    assert TemporaryResidence.objects.filter(person=family["guest"]).count() == 1
    # The same record again (an answer lost on the way): refused as a replay, with the first outcome; nothing twice.
    again = device.upload(*records[0])
    assert (again.status_code, again.json()["code"]) == (409, "offline_replay")
    assert again.json()["outcome"]["result"]["pin"] == child.pin
    assert Person.objects.filter(mother=family["mother"]).count() == 1


def test_tampered_revoked_and_foreign_numbers_are_refused(officer: Client, family: dict[str, Person]) -> None:
    device = Device(officer)
    body, signature = device.record("birth", _birth(family["mother"]))
    tampered = body.replace("Lê Minh Khôi", "Lê Minh Khải")
    assert tampered != body
    answer = device.upload(tampered, signature)
    assert (answer.status_code, answer.json()["code"]) == (400, "offline_signature_invalid")
    other = Device(officer)
    body2, _sig = other.record("birth", _birth(family["mother"]))
    stolen = body2.replace(other.id, device.id).replace(json.loads(body2)["number"], "HS.000101.000001")
    answer = device.upload(stolen, device.sign(stolen))
    assert answer.json()["code"] == "offline_number_not_yours"
    reused = json.loads(body)
    reused["client_id"] = str(uuid.uuid4())
    assert device.upload(body, signature).json()["state"] == "applied"
    copy = json.dumps(reused, ensure_ascii=False)
    assert device.upload(copy, device.sign(copy)).json()["code"] == "offline_number_used"
    out = StringIO()
    call_command("offline_devices", "revoke", device.id, "--by", "vanhanh", stdout=out)
    later = device.record("death", {"deceased": family["elder"].pin, "death_date": "2020-01-01", "death_place": "x"})
    answer = device.upload(*later)
    assert (answer.status_code, answer.json()["code"]) == (403, "device_revoked")
    assert device.post("/offline/key/", {}).json()["code"] == "device_revoked"
    assert not Person.objects.filter(pk=family["elder"].pk, status="deceased").exists()


def test_conflicts_wait_in_review_with_both_versions(officer: Client, family: dict[str, Person]) -> None:
    device = Device(officer)
    working = device.post("/offline/working-set/", {}).json()
    household = next(h for h in working["households"] if any(m["pin"] == family["elder"].pin for m in h["members"]))
    base = {"household": {"number": household["number"], "since": working["sequence"], "members": household["members"]}}
    birth = device.record("birth", _birth(family["mother"]))
    death = device.record(
        "death", {"deceased": family["elder"].pin, "death_date": "2026-01-02", "death_place": "x"}, base
    )
    # Meanwhile, online: the same child registered, the elder's death recorded.
    services.register_birth(
        full_name="Lê Minh Khôi", sex="M", birth_date=timezone.localdate() - timedelta(days=3),
        birth_commune=HANOI_BA_DINH, mother_pin=family["mother"].pin, actor="desk",
    )  # fmt: skip
    services.record_death(pin=family["elder"].pin, death_date="2026-01-01", actor="desk")
    first, second = device.upload(*birth).json(), device.upload(*death).json()
    assert (first["state"], first["code"]) == ("needs_review", "birth_already_registered")
    assert (second["state"], second["code"]) == ("needs_review", "person_deceased")
    assert Person.objects.filter(mother=family["mother"]).count() == 1  # nothing overwritten, nothing doubled
    review = officer.get("/offline/review/").content.decode()
    assert "birth_already_registered" in review and "Lê Minh Khôi" in review
    record = OfflineRecord.objects.get(code="birth_already_registered")
    assert record.review["offline"]["child_full_name"] == record.review["registry"]["full_name"]
    assert officer.post("/offline/review/", {"client_id": record.client_id, "action": "apply"}).status_code == 409
    officer.post("/offline/review/", {"client_id": record.client_id, "action": "close"})
    assert OfflineRecord.objects.get(pk=record.pk).state == "closed"


def test_a_changed_household_waits_for_review_then_applies(officer: Client, family: dict[str, Person]) -> None:
    device = Device(officer)
    working = device.post("/offline/working-set/", {}).json()
    household = next(h for h in working["households"] if h["head"] == family["guest"].pin)
    base = {"household": {"number": household["number"], "since": working["sequence"], "members": household["members"]}}
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    record = device.record("temporary_residence", {"person": family["guest"].pin, "commune": HANOI_OTHER,
                                                   "address_line": "Số 9", "valid_until": until}, base)  # fmt: skip
    newcomer = factories.person(sex="F", birth_date=date(1992, 1, 1))
    services.register_permanent_residence(
        pin=newcomer.pin, commune=HANOI_BA_DINH, address_line="", valid_from="2024-01-01",
        household_number=household["number"], relationship="spouse", actor="desk",
    )  # fmt: skip
    answer = device.upload(*record).json()
    assert (answer["state"], answer["code"]) == ("needs_review", "household_changed")
    stored = OfflineRecord.objects.get(client_id=answer["client_id"])
    assert len(stored.review["registry"]["members"]) == len(stored.review["offline"]["members"]) + 1
    officer.post("/offline/review/", {"client_id": answer["client_id"], "action": "apply"})
    assert OfflineRecord.objects.get(pk=stored.pk).state == "applied"
    assert TemporaryResidence.objects.filter(person=family["guest"]).count() == 1


def test_the_shared_rules_refuse_what_the_browser_refuses(officer: Client, family: dict[str, Person]) -> None:
    schema = officer.get("/offline/rules/").json()
    birth = {f["name"]: f for f in schema["kinds"]["birth"]["fields"]}
    assert birth["child_full_name"]["label_vi"] == "Họ, chữ đệm, tên của trẻ"  # the catalogue's own labels
    assert birth["child_birth_date"]["max_days_ago"] == 60
    today = timezone.localdate()
    people = {family["mother"].pin: {"sex": "F", "status": "living"}}
    bad = {"child_full_name": "X1", "child_sex": "Q", "child_birth_date": (today + timedelta(days=1)).isoformat(),
           "child_birth_commune": "4", "mother": "", "father": family["mother"].pin}  # fmt: skip
    people[family["mother"].pin] = {"sex": "F", "status": "living"}
    assert offline.check_fields("birth", bad, today=today, people=people) == {
        "child_full_name": "name_invalid", "child_sex": "sex_invalid", "child_birth_date": "date_in_future",
        "child_birth_commune": "commune_invalid", "father": "person_sex_mismatch",
    }  # fmt: skip
    device = Device(officer)
    answer = device.upload(*device.record("birth", bad)).json()
    assert (answer["state"], answer["code"]) == ("refused", "offline_fields_invalid")
    assert answer["result"]["errors"]["child_sex"] == "sex_invalid"


def test_the_key_expires_after_the_configured_hours_and_an_operator_revokes_in_the_admin(
    officer: Client, family: dict[str, Person], settings: Any, admin_client: Client
) -> None:
    settings.OFFLINE_KEY_HOURS = 2
    device = Device(officer)
    expires = device.post("/offline/key/", {}).json()["expires_at"] / 1000
    assert abs(expires - (timezone.now() + timedelta(hours=2)).timestamp()) < 60
    answer = admin_client.post(
        "/admin/accounts/officerdevice/", {"action": "revoke", "_selected_action": [device.id]}, follow=True
    )
    assert answer.status_code == 200
    assert device.post("/offline/working-set/", {}).json()["code"] == "device_revoked"
