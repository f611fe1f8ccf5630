"""On PostgreSQL, two declarations of one child sent at the same moment (the mother and the father, each signed in)
cannot both pass the duplicate check: the parents' rows are locked for the declaration's transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.procedures import linked
from dancu.procedures.attachments import Upload
from dancu.procedures.models import Case
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data(settings: Any, tmp_path: Any) -> Iterator[None]:
    from dancu.geo.services import load_administrative_units
    from dancu.procedures.catalogue import load_catalogue

    settings.VAR_DIR = tmp_path
    load_administrative_units()  # a transactional test starts after another one's flush
    load_catalogue()
    yield
    load_administrative_units()
    load_catalogue()


def _at_once(*calls: Callable[[], object]) -> list[str]:
    """Run the calls in threads released together; each outcome is "declared" or the refusal's code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(5)
            call()
            outcomes.append("declared")
        except DomainError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_the_same_birth_declared_twice_at_once() -> None:
    assert connection.vendor == "postgresql"
    mother = factories.person(full_name="Đỗ Thị Lan", sex="F", birth_date=date(1995, 4, 2), residence="00004")
    father = factories.person(full_name="Vũ Minh Đức", sex="M", birth_date=date(1993, 9, 9), residence="00004")

    def declare(parent: Any, relationship: str, other: Any) -> Callable[[], object]:
        account = factories.account(parent)
        return lambda: factories.birth_case(account, other, requester_relationship=relationship)

    outcomes = _at_once(declare(mother, "mother", father), declare(father, "father", mother))
    assert outcomes == ["birth_already_declared", "declared"]
    assert Case.objects.filter(group__code=linked.BIRTH_GROUP).count() == 1


def test_the_same_death_declared_twice_at_once() -> None:
    deceased = factories.person(full_name="Vũ Văn Hùng", sex="M", birth_date=date(1950, 1, 5), residence="00004")

    def declare(year: int) -> Callable[[], object]:
        relative = factories.person(birth_date=date(year, 2, 2), residence="00004")
        account = factories.account(relative)
        return lambda: linked.declare_death(
            account, deceased_pin=deceased.pin, death_date=timezone.localdate() - timedelta(days=1),
            death_place="Bệnh viện Bạch Mai", requester_relationship="con", procedures=[],
            death_notice=Upload("death_notice", "application/pdf", factories.PDF),
        )  # fmt: skip

    assert _at_once(declare(1980), declare(1981)) == ["death_already_declared", "declared"]
    assert Case.objects.filter(group__code=linked.DEATH_GROUP).count() == 1
