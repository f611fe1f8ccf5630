"""The social-insurance record: bulk load, the under-6 card, death, simulated check-ins and their KPIs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from dancu.core.errors import DomainError
from dancu.events.services import follow_all
from dancu.insurance import services
from dancu.insurance.models import CheckIn, CoveragePeriod, Participant
from dancu.registry import services as registry
from tests import factories

pytestmark = pytest.mark.django_db


def test_load_follows_the_mix_and_is_idempotent() -> None:
    people = [factories.person(full_name="Nguyễn Văn An") for _ in range(40)]
    counts = services.load(mix=services.Mix(active=0.5, expired=0.2, ended=0.1, suspended=0.1, revoked=0.1,
                                            other_name=0.0), seed=1)  # fmt: skip
    assert sum(v for k, v in counts.items() if k != "other_name") == len(people)
    assert counts.get("none", 0) == 0  # the shares add up to 1: everyone has a record
    assert Participant.objects.count() == 40
    statuses = set(CoveragePeriod.objects.values_list("status", flat=True))
    assert statuses == {"active", "ended", "suspended", "revoked"}
    expired = CoveragePeriod.objects.filter(status="active", valid_to__lt=date.today()).count()
    assert expired == counts["expired"]
    assert all(len(n) == 10 and n.isdigit() for n in Participant.objects.values_list("social_insurance_number",
                                                                                       flat=True))  # fmt: skip
    assert services.load(seed=2) == {}  # a rerun adds nobody


def test_under_six_card_and_death_end_coverage() -> None:
    child = factories.person(full_name="Lý Minh Nhật", birth_date=date.today() - timedelta(days=30))
    period = services.record_under_six_card(
        person=child, social_insurance_number="0112345678", card_number="TE1010112345678",
        valid_from=child.birth_date, valid_to=child.birth_date + timedelta(days=6 * 365),
    )  # fmt: skip
    assert (period.beneficiary_group, period.benefit_level, period.status) == ("TE", 1, "active")
    again = services.record_under_six_card(
        person=child, social_insurance_number="0112345678", card_number="TE1010112345678",
        valid_from=child.birth_date, valid_to=child.birth_date + timedelta(days=6 * 365),
    )  # fmt: skip
    assert again.pk == period.pk
    registry.record_death(pin=child.pin, death_date=date.today(), actor="t")
    follow_all(["insurance"])
    period.refresh_from_db()
    assert (period.status, period.ended_reason) == ("ended", "death")
    assert follow_all(["insurance"]) == {"insurance": 0}


def test_simulated_month_and_its_kpis() -> None:
    services.ensure_facilities()
    written = services.simulate(days=3, per_day=5, mix={"000": 0.5, "050": 0.5}, seed=3)
    assert CheckIn.objects.count() == written
    assert services.simulate(days=3, per_day=5, mix={"000": 0.5, "050": 0.5}, seed=3) == written  # replaced
    assert CheckIn.objects.count() == written
    counts = services.check_in_counts()
    assert {row["code"] for row in counts} == {"000", "050"}
    assert sum(row["count"] for row in counts) == written
    rates = services.success_rates(counts)
    assert all(0.2 < row["rate"] < 0.8 for row in rates if row["check_ins"] >= 10)
    assert services.parse_mix("000=3,050=1") == {"000": 0.75, "050": 0.25}
    for bad in ("000=x", "999=1", "000=0"):
        with pytest.raises(DomainError) as error:
            services.parse_mix(bad)
        assert error.value.code == "mix_invalid"


def test_command_line_refuses_bad_arguments_in_one_line() -> None:
    with pytest.raises(CommandError, match="mix_invalid"):
        call_command("insurance", "simulate", "--mix", "abc=1")
    with pytest.raises(CommandError, match="mix_invalid"):
        call_command("insurance", "load", "--active", "2")


def test_a_rerun_of_the_load_leaves_people_without_insurance_without() -> None:
    for _ in range(20):
        factories.person()
    first = services.load(mix=services.Mix(active=0.5, expired=0, ended=0, suspended=0, revoked=0), seed=4)
    assert first.get("none", 0) > 0
    assert services.load(mix=services.Mix(active=0.5, expired=0, ended=0, suspended=0, revoked=0), seed=4) == {
        "none": first["none"]
    }
    assert Participant.objects.count() == first["active"]
