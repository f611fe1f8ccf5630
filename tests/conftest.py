"""Shared fixtures: administrative units loaded once per test database, an official, factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` run only against PostgreSQL. In CI (DANCU_REQUIRE_POSTGRES=1) the PostgreSQL pass
    must really be on PostgreSQL: the marker is then never a reason to skip."""
    on_postgres = "postgres" in os.environ.get("DATABASE_URL", "")
    if os.environ.get("DANCU_REQUIRE_POSTGRES") == "1" and not on_postgres:
        raise pytest.UsageError("DANCU_REQUIRE_POSTGRES=1 but DATABASE_URL is not a PostgreSQL URL")
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass (make test-postgres)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Load the administrative units once into the test database (they are reference data, like migrations)."""
    from dancu.geo.services import load_administrative_units
    from dancu.procedures.catalogue import load_catalogue

    with django_db_blocker.unblock():
        load_administrative_units()
        load_catalogue()
    yield


@pytest.fixture
def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def vendor() -> str:
    return connection.vendor


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty process cache (sessions, cached permissions): ids are reused after rollback."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


from tests.live import browser, live_web  # noqa: E402,F401 - the live web server and Chromium, shared
