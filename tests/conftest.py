"""Shared fixtures: administrative units loaded once per test database, a fresh cache; the plugins below."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection

from tests.fixtures.servers import TEST_REDIS, nats_server_missing

#: Fixtures shared by several test packages live in these modules, never in a test module: the live web server and
#: Chromium (``live_web``, ``browser``), the gateway over a projection of the test registry (``gateway``,
#: ``live_gateway``). A test module may import a type from them for annotations, never a fixture.
pytest_plugins = ["tests.live", "tests.fixtures.gateway", "tests.fixtures.nats", "tests.fixtures.webhooks"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "redis: needs Redis at $DANCU_TEST_REDIS (skipped with a reason if unreachable; mandatory when "
        "DANCU_REQUIRE_REDIS=1, as in make test-postgres)",
    )  # fmt: skip
    config.addinivalue_line(
        "markers", "nats: needs nats-server (started per test with a generated configuration; skipped with a reason "
        "where it is not installed; mandatory when DANCU_REQUIRE_NATS=1, as in make test)",
    )  # fmt: skip


def _redis_unreachable() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return f"needs Redis at {TEST_REDIS} ({type(error).__name__}); DANCU_REQUIRE_REDIS=1 makes it mandatory"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` run only against PostgreSQL. In CI (DANCU_REQUIRE_POSTGRES=1) the PostgreSQL pass
    must really be on PostgreSQL: the marker is then never a reason to skip. Tests marked ``redis`` are skipped with
    the reason when Redis cannot be reached, except with DANCU_REQUIRE_REDIS=1 (they then fail); likewise tests
    marked ``nats`` where nats-server is not installed, except with DANCU_REQUIRE_NATS=1."""
    if os.environ.get("DANCU_REQUIRE_REDIS") != "1" and any("redis" in item.keywords for item in items):
        reason = _redis_unreachable()
        if reason:
            for item in items:
                if "redis" in item.keywords:
                    item.add_marker(pytest.mark.skip(reason=reason))
    if os.environ.get("DANCU_REQUIRE_NATS") != "1" and any(item.get_closest_marker("nats") for item in items):
        reason = nats_server_missing()
        if reason:
            for item in items:
                if item.get_closest_marker("nats"):
                    item.add_marker(pytest.mark.skip(reason=reason))
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

    from dancu.accounts import throttle

    cache.clear()
    throttle.reset()
    yield
    cache.clear()
    throttle.reset()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the installation's language (Vietnamese), as a request does: a test client request or an
    ``activate`` in one test leaves its language active in the thread, and a later test then rendered its messages in
    English (test_dossier_actions after test_officials_pages)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
