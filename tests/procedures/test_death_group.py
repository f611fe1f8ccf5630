"""The linked death group: 2, 3 or 4 procedures chosen by the requester; the death closes the deceased's cards and
e-ID account through the event log; eligibility for the funeral allowance from contribution months."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dancu.accounts.models import Account, AccountStatus
from dancu.cards.models import CardStatus, IdentityCard
from dancu.cards.services import issue_card
from dancu.core.errors import DomainError
from dancu.events.services import follow_all
from dancu.procedures import linked
from dancu.procedures.attachments import Upload
from dancu.procedures.models import Case, Contributions, Dossier, Status
from dancu.registry.models import Person
from tests import factories

pytestmark = pytest.mark.django_db
NOTICE = b"\x89PNG\r\n\x1a\n" + b"0" * 500


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


@pytest.fixture
def family() -> dict[str, Any]:
    father = factories.person(full_name="Hoàng Văn Tư", birth_date=date(1950, 3, 3), residence="00004")
    issue_card(pin=father.pin, issued_on=date(2021, 5, 5), actor="t")
    son = factories.person(full_name="Hoàng Văn Năm", birth_date=date(1980, 6, 6), residence="00008")
    return {
        "father": father,
        "son": son,
        "requester": factories.account(son),
        "father_account": factories.account(father),
    }


def _declare(family: dict[str, Any], procedures: list[str], **overrides: Any) -> Case:
    kwargs: dict[str, Any] = {
        "deceased_pin": family["father"].pin,
        "death_date": timezone.localdate() - timedelta(days=2),
        "death_place": "Bệnh viện Bạch Mai",
        "requester_relationship": "con",
        "procedures": procedures,
        "death_notice": Upload("death_notice", "image/png", NOTICE),
        "bank_account": "0011001234567",
    }
    kwargs.update(overrides)
    return linked.declare_death(family["requester"], **kwargs)


def test_three_procedures_and_the_account_and_card_closed(family: dict[str, Any]) -> None:
    Contributions.objects.create(person=family["father"], months=240)
    case = _declare(family, [linked.FUNERAL])
    dossiers = {d.procedure.code: d for d in Dossier.objects.filter(case=case).select_related("procedure")}
    assert set(dossiers) == {linked.DEATH, linked.REMOVAL, linked.FUNERAL}
    linked.approve_death(dossiers[linked.DEATH].pk, official="hotich")
    follow_all()
    father = Person.objects.get(pk=family["father"].pk)
    assert father.status == "deceased"
    assert Account.objects.get(pk=family["father_account"].pk).status == AccountStatus.CLOSED
    assert IdentityCard.objects.get(person=father).status == CardStatus.CANCELLED
    linked.approve_removal(dossiers[linked.REMOVAL].pk, official="cutru")
    allowance = linked.decide_funeral_allowance(dossiers[linked.FUNERAL].pk, official="bhxh")
    assert allowance.result["amount_vnd"] == 23_400_000
    father.refresh_from_db()
    assert father.household_id is None or not father.permanent_residences.filter(valid_to__isnull=True).exists()
    case.refresh_from_db()
    assert case.finished_on is not None


def test_the_funeral_allowance_is_refused_under_12_months(family: dict[str, Any]) -> None:
    Contributions.objects.create(person=family["father"], months=7)
    case = _declare(family, [linked.FUNERAL, linked.SURVIVOR])
    dossiers = {d.procedure.code: d for d in Dossier.objects.filter(case=case).select_related("procedure")}
    linked.approve_death(dossiers[linked.DEATH].pk, official="hotich")
    follow_all()
    refused = linked.decide_funeral_allowance(dossiers[linked.FUNERAL].pk, official="bhxh")
    assert refused.status == Status.REJECTED and "7 tháng" in refused.transitions.last().reason
    survivor = linked.decide_survivor_benefit(dossiers[linked.SURVIVOR].pk, official="bhxh")
    assert survivor.result["kind"] == "lump_sum"


def test_a_death_declared_for_a_deceased_person_or_twice(family: dict[str, Any]) -> None:
    _declare(family, [])
    with pytest.raises(DomainError) as refused:
        _declare(family, [])
    assert refused.value.code == "death_already_declared"
    other = factories.person(full_name="Mai Văn Sáu", birth_date=date(1940, 1, 1))
    from dancu.registry import services as registry

    registry.record_death(pin=other.pin, death_date=date(2020, 1, 1), actor="t")
    with pytest.raises(DomainError) as refused:
        _declare(family, [], deceased_pin=other.pin)
    assert refused.value.code == "person_deceased"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"death_date": date.today() + timedelta(days=1)}, "death_date_invalid"),
        ({"procedures": ["passport"]}, "procedure_not_in_group"),
        ({"death_notice": Upload("death_notice", "image/png", b"GIF89a....")}, "attachment_type_invalid"),
        ({"death_notice": None}, "attachment_required"),
        ({"procedures": [linked.FUNERAL], "bank_account": ""}, "field_required"),
    ],
)
def test_bad_death_declarations_write_nothing(family: dict[str, Any], overrides: dict[str, Any], code: str) -> None:
    before = (Case.objects.count(), Dossier.objects.count())
    kwargs = {"procedures": [], **overrides}
    procedures = kwargs.pop("procedures")
    with pytest.raises(DomainError) as refused:
        _declare(family, procedures, **kwargs)
    assert refused.value.code == code
    assert (Case.objects.count(), Dossier.objects.count()) == before
