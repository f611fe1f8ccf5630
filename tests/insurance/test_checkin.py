"""Health-insurance check-in at the gateway: each result code from matching data, bad input, the ledger."""

from __future__ import annotations

from typing import Any

import pytest

from dancu.core.insurance import card_qr
from dancu.insurance.demo import DEMO_RECEPTIONIST
from tests.insurance.conftest import Hospital

pytestmark = pytest.mark.django_db


def by_card(person: Any, **changes: Any) -> dict[str, Any]:
    body = {"pin": person.pin, "full_name": person.full_name, "birth_date": person.birth_date.isoformat(),
            "sex": person.sex}  # fmt: skip
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_each_result_code_from_matching_data(hospital: Hospital) -> None:
    p = hospital.people
    cases = [
        ("000", by_card(p["valid"])),
        ("000", by_card(p["valid"], full_name="  đặng   THỊ ánh ")),  # case and spacing, as verification does
        ("010", by_card(p["expired"])),
        ("050", by_card(p["none"])),
        ("050", by_card(p["valid"], pin="001090999999")),
        ("060", by_card(p["valid"], full_name="Đặng Thị Hồng")),
        ("061", by_card(p["spelt"])),  # social insurance holds the name without diacritics
        ("061", by_card(p["valid"], full_name="Dang Thi Anh")),
        ("070", by_card(p["valid"], birth_date="1991-07-10")),
        ("080", by_card(p["valid"], sex="M")),
        ("090", by_card(p["other"])),
        ("110", by_card(p["revoked"])),
        ("120", by_card(p["ended"])),
        ("121", by_card(p["suspended"])),
        ("130", by_card(p["child"])),
    ]
    for expected, body in cases:
        answer = hospital.check_in(**body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["result_code"] == expected, (expected, body)
        assert answer.json()["next_step"]
    valid = hospital.check_in(**by_card(p["valid"])).json()
    assert valid["admitted"] is True
    assert (valid["benefit_level"], valid["at_registered_facility"], valid["five_consecutive_years"]) == (2, True, True)
    assert "Đặng" not in str(valid)  # answers carry no personal data back
    elsewhere = hospital.check_in(**by_card(p["other"])).json()
    assert (elsewhere["admitted"], elsewhere["at_registered_facility"]) == (True, False)
    assert hospital.check_in(**by_card(p["revoked"])).json()["admitted"] is False
    assert "benefit_level" not in hospital.check_in(**by_card(p["ended"])).json()


def test_by_card_qr_and_a_renamed_person(hospital: Hospital) -> None:
    valid = hospital.people["valid"]
    qr = card_qr(valid.pin, valid.full_name, valid.birth_date, valid.sex, "Số 1 Phố Đội Cấn")
    answer = hospital.check_in(qr=qr).json()
    assert answer["result_code"] == "000"
    renamed = hospital.people["renamed"].full_name
    pending = hospital.check_in(**by_card(hospital.people["renamed"])).json()
    assert pending["result_code"] == "060"
    assert pending["reasons"] == ["name_changed_not_at_social_insurance"]
    assert "chưa cập nhật ở bảo hiểm xã hội" in pending["next_step"]
    assert renamed not in str(pending)


def test_receptionist_must_be_registered_with_the_facility(hospital: Hospital) -> None:
    body = by_card(hospital.people["valid"])
    stranger = hospital.check_in(**body, receptionist_pin="001190000999")
    assert stranger.json()["result_code"] == "054"
    wrong_name = hospital.check_in(**{**body, "receptionist_name": "Nguyễn Văn Khác"})
    assert wrong_name.json()["result_code"] == "055"
    spaced = hospital.check_in(**{**body, "receptionist_name": "  phạm thị LAN"})
    assert spaced.json()["result_code"] == "000"
    assert DEMO_RECEPTIONIST[1] not in spaced.text


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"qr": "https://example.com/not-a-card"}, 400, "qr_not_a_card"),
        ({"qr": "001090000001|x|A|31021990|Nam|x|01012020"}, 400, "qr_not_a_card"),  # 31 February
        ({"facility": "01001"}, 403, "facility_not_callers"),
        ({"facility": "99999"}, 403, "facility_not_callers"),
        ({"pin": "123"}, 400, "pin_malformed"),
        ({"extra": 1}, 422, "request_invalid"),
        ({"dead": True}, 422, "person_deceased"),
    ],
)
def test_bad_input_is_refused_and_only_the_attempt_is_in_the_ledger(
    hospital: Hospital, change: dict[str, Any], status: int, code: str
) -> None:
    person = hospital.people["dead" if change.pop("dead", False) else "valid"]
    body = {**by_card(person), **change}
    if "qr" in change:
        body = {"qr": change["qr"]}
    answer = hospital.check_in(**body)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    last = hospital.ledger()[-1]
    assert (last[2], last[4]) == ("health_insurance_check_in", f"refused:{code}")


def test_every_check_in_is_in_the_patients_access_history(hospital: Hospital) -> None:
    from dancu.exchange.services import access_history
    from dancu.exchange.timeline import access_timeline

    person = hospital.people["valid"]
    hospital.check_in(**by_card(person))
    mine = access_history(person.pin)
    assert [(h["organisation"], h["operation"], h["outcome"]) for h in mine] == [
        ("Bệnh viện Đa khoa Xanh Pôn", "health_insurance_check_in", "found:000")
    ]
    assert mine[0]["purpose"] == "health-insurance"
    page = access_timeline(person.pin)
    assert "health insurance was checked" in str(page.accesses[0].kind_name).lower() or "bảo hiểm" in str(
        page.accesses[0].kind_name
    )


def test_the_front_desk_checks_as_the_gateway_does(hospital: Hospital) -> None:
    from dancu.core.errors import DomainError
    from dancu.insurance import desk
    from dancu.insurance.models import CheckIn, Receptionist

    receptionist = Receptionist.objects.get(pin=DEMO_RECEPTIONIST[0])
    valid = hospital.people["valid"]
    qr = card_qr(valid.pin, valid.full_name, valid.birth_date, valid.sex)
    assert desk.check_in(receptionist, qr).result_code == "000"
    assert desk.check_in(receptionist, " ".join([valid.pin[:3], valid.pin[3:]])).result_code == "000"  # typed PIN
    with pytest.raises(DomainError) as error:
        desk.check_in(receptionist, "not a card")
    assert error.value.code == "qr_not_a_card"
    assert [c.code for c in desk.todays_check_ins(receptionist)] == ["000", "000"]
    assert CheckIn.objects.count() == 2
    outcomes = [row[4] for row in hospital.ledger() if row[2] == "health_insurance_check_in"]
    assert outcomes[-3:] == ["found:000", "found:000", "refused:qr_not_a_card"]


def test_the_projection_rewrites_its_reference_tables_only_when_they_changed(hospital: Hospital) -> None:
    """The projector exports on every pass: the facilities and receptionists are rewritten only when they changed
    (a trigger in the projection counts the rows deleted), and a new receptionist reaches the gateway's tables on the
    next pass."""
    import sqlite3

    from dancu.exchange.projector import project
    from dancu.insurance import services

    with sqlite3.connect(hospital.config.projection) as db:
        db.execute("CREATE TABLE test_deleted (n INTEGER)")
        db.execute(
            "CREATE TRIGGER test_count AFTER DELETE ON hi_receptionists BEGIN INSERT INTO test_deleted VALUES (1); END"
        )

    def count(sql: str) -> int:
        with sqlite3.connect(hospital.config.projection) as db:
            return int(db.execute(sql).fetchone()[0])

    before = count("SELECT count(*) FROM hi_receptionists")
    project()
    project()
    assert count("SELECT count(*) FROM test_deleted") == 0  # nothing changed: not rewritten
    services.register_receptionist("01010", pin="001190000655", full_name="Trần Thị Mai")
    project()
    assert count("SELECT count(*) FROM hi_receptionists") == before + 1
    assert count("SELECT count(*) FROM test_deleted") == before  # rewritten once, for the change
