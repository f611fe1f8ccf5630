"""The web side's liveness, readiness and followers' lag (ops/health.py), through the WSGI application as served."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from dancu.events.services import consume, last_sequence
from dancu.ops.health import HealthEndpoints
from tests import factories


def _get(app: HealthEndpoints, path: str) -> tuple[str, bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    def django(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return [b"django"]

    app.app = django
    body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": path, "HTTP_HOST": "10.1.2.3:8000"}, start_response))
    return seen["status"], body


@pytest.fixture
def unreachable(django_db_blocker: Any) -> Iterator[str]:
    """A database alias whose file cannot be opened (its directory does not exist): an unreachable database."""
    engine = "dancu.db.sqlite" if connections["default"].vendor == "sqlite" else "django.db.backends.postgresql"
    settings = {**connections.settings["default"], "ENGINE": engine, "NAME": "/nonexistent/dir/x.sqlite3"}
    if engine != "dancu.db.sqlite":  # a PostgreSQL server nobody listens for
        settings.update(NAME="dancu", HOST="127.0.0.1", PORT="9", OPTIONS={"connect_timeout": 2})
    connections.settings["unreachable"] = settings
    with django_db_blocker.unblock():
        yield "unreachable"
        connections["unreachable"].close()
    del connections["unreachable"]
    del connections.settings["unreachable"]


@pytest.mark.django_db
def test_alive_and_ready_whatever_the_host() -> None:
    app = HealthEndpoints(lambda environ, start_response: [])
    assert _get(app, "/healthz") == ("200 OK", b'{"alive":true}')
    assert _get(app, "/readyz") == ("200 OK", b'{"ready":true,"reasons":[]}')
    assert _get(app, "/portal/")[1] == b"django"  # everything else goes to Django


def test_not_ready_when_the_database_is_unreachable(unreachable: str) -> None:
    app = HealthEndpoints(lambda environ, start_response: [], using=unreachable)
    assert _get(app, "/readyz") == ("503 Service Unavailable", b'{"ready":false,"reasons":["database_unreachable"]}')
    assert _get(app, "/healthz")[0] == "200 OK"  # alive all the same: not a reason to restart
    assert _get(app, "/metrics")[0] == "503 Service Unavailable"


@pytest.mark.django_db
def test_metrics_give_each_followers_lag() -> None:
    for _ in range(3):
        factories.person()
    consume("test-follower", lambda record: None, batch_size=1000)
    factories.person()  # one more event the follower has not read
    head = last_sequence()
    status, body = _get(HealthEndpoints(lambda environ, start_response: []), "/metrics")
    text = body.decode()
    assert status == "200 OK"
    assert re.search(rf"^dancu_event_log_head {head}\.0$", text, re.M)
    lag = re.search(r'^dancu_follower_lag_events\{follower="test-follower"\} ([\d.]+)$', text, re.M)
    assert lag is not None and float(lag.group(1)) >= 1
