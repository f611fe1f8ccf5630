"""On PostgreSQL the back office's "any word of the name" search is served by the trigram index of
``registry/0005_person_name_trigram`` (``person_name_trgm``): EXPLAIN over a registry of realistic size and names
shows the planner counting the matches (the page's total) with it, for a given name, two words inside the name and a
family name, and taking the first page from it, which the B-tree on the folded name could serve only by walking its
whole name order."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dancu.accounts.services import officials
from dancu.backoffice.views import SEARCH_PAGE_SIZE
from dancu.core.names import fold_name
from dancu.registry.models import Person
from dancu.synth.tables import FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES

# Committed, so that the table can be vacuumed as autovacuum would after a load: the GIN index's pending list and
# statistics are then those of a real registry. Left in a transaction, they depended on what earlier tests had done
# to the table (the planner once chose a sequential scan for "khang" in the full PostgreSQL pass, never alone).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 60_000  # about a large ward's population


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights)[0]


def _registry(rng: random.Random) -> list[tuple[str, str]]:
    """Insert :data:`PEOPLE` people named by the synthesiser's frequency tables; their (folded name, PIN)."""
    now = timezone.now()
    people, folded = [], []
    cohorts = ("pre1960", "1960_1979", "1980_1999", "2000_plus")
    for serial in range(PEOPLE):
        sex, cohort = rng.choice("MF"), rng.choice(cohorts)
        family = _pick(rng, FAMILY_NAMES["north"])
        middle = _pick(rng, MIDDLE_NAMES[(sex, cohort)])
        given = _pick(rng, GIVEN_NAMES[(sex, cohort)])
        full = f"{family} {middle} {given}"
        folded.append(fold_name(full))
        people.append(
            Person(
                pin=f"001{serial:09d}", full_name=full, family_name=family, middle_name=middle, given_name=given,
                name_folded=folded[-1], sex=sex, birth_date=date(1950, 1, 1) + timedelta(days=serial % 25_000),
                ethnicity=1, created_at=now, updated_at=now,
            )
        )  # fmt: skip
    Person.objects.bulk_create(people, batch_size=5_000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE registry_person")
    return [(p.name_folded, p.pin) for p in people]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_trigram_index_serves_the_name_search() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'person_name_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "gin_trgm_ops" in definition
    registry = _registry(random.Random(15))
    for search in ("khang", "hoang minh", "phung"):  # a given name, two words inside the name, a family name
        found = officials.search_people(officials.NATIONAL, name=search)
        with CaptureQueriesContext(connection) as queries:  # as the back office's home page pages its results
            page = Paginator(found, SEARCH_PAGE_SIZE).get_page(1)
            total = page.paginator.count  # the page's "N people found": reads every match
            shown = list(page)
        matches = {pin for name, pin in registry if name.startswith(search) or f" {search}" in name}
        assert 0 < total == len(matches) < PEOPLE / 20, search
        by_column = found.order_by("name_folded", "birth_date", "pin").values_list("pin", flat=True)
        assert [p.pin for p in shown] == list(by_column[:SEARCH_PAGE_SIZE]), search  # the same order
        assert {p.pin for p in shown} <= matches
        count_sql, page_sql = (q["sql"] for q in queries.captured_queries)
        assert "COUNT(" in count_sql.upper()
        # Counting the matches goes through the trigram index instead of reading the table.
        counting = _plan(count_sql)
        assert "person_name_trgm" in counting and "Seq Scan on registry_person" not in counting, counting
        # The first 25 in name order: the trigram index's matches, sorted, not a walk of the B-tree's name order.
        paging = _plan(page_sql)
        assert "person_name_trgm" in paging and "person_name_dob" not in paging, paging
        assert "Seq Scan on registry_person" not in paging, paging
