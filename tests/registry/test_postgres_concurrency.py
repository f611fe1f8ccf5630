"""On PostgreSQL, concurrent registrations founding households in one commune get distinct household numbers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from django.db import connection

from dancu.registry import services
from dancu.registry.models import Household
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reload_units_after_flush() -> Iterator[None]:
    from dancu.geo.services import load_administrative_units

    load_administrative_units()  # a transactional test starts after another one's flush
    yield
    load_administrative_units()


def test_concurrent_households_in_one_commune() -> None:
    assert connection.vendor == "postgresql"
    people = [factories.person(birth_date=date(1980 + i, 1, 1)) for i in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(people))

    def found(pin: str) -> None:
        try:
            barrier.wait(5)
            services.register_permanent_residence(
                pin=pin, commune="00004", address_line="Số 7", valid_from=date(2010, 1, 1), actor="t"
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=found, args=(p.pin,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    numbers = list(Household.objects.filter(commune__code="00004").values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == len(people)
