"""Property-based API testing with schemathesis: the document a live gateway serves at ``/openapi.json`` against the
same gateway over HTTP, with every one of schemathesis' checks on (no 5xx; every status, content type, header and
body as documented; valid requests accepted and invalid ones refused; 401 without a token; 405 with ``Allow`` for
undocumented methods...). Requests carry a real access token, so the authenticated paths are exercised, not only
their 401s; schemathesis' ``ignored_auth`` check also sends them without it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from dancu.exchange.services import DEFAULT_PURPOSES
from dancu.gateway.openapi import document
from tests.fixtures.gateway import ISSUER, Setup

pytestmark = pytest.mark.django_db

load_all_checks()
#: schemathesis' own checks, every one of them (a check that cannot apply to a case skips itself).
ALL_CHECKS = [check for check in CHECKS.get_all() if check.__module__.startswith("schemathesis.")]


#: The document the test gateway serves: its purposes are the reference data every registry starts with
#: (``test_the_tested_document_is_the_served_one`` holds them equal). schemathesis' lazy loading from a fixture, which
#: would read it from the live gateway, does not run under pytest 9.
DOCUMENT = document(ISSUER, tuple(sorted(code for code, _name, _basis in DEFAULT_PURPOSES)))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(modes=list(schemathesis.GenerationMode))  # valid and invalid requests


def test_the_tested_document_is_the_served_one(gateway: Setup, live_gateway: str) -> None:
    assert requests.get(f"{live_gateway}/openapi.json", timeout=10).json() == orjson.loads(orjson.dumps(DOCUMENT))


def test_all_checks_are_on() -> None:
    names = {check.__name__ for check in ALL_CHECKS}
    assert {
        "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
        "response_headers_conformance", "positive_data_acceptance", "negative_data_rejection", "ignored_auth",
        "missing_required_header", "unsupported_method", "allow_header_conformance", "use_after_free",
        "ensure_resource_availability", "object_level_authorization",
    } <= names  # fmt: skip


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_gateway_conforms_to_its_document(case: Any, live_gateway: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"} if case.path != "/oauth/token" else {}
    case.call_and_validate(base_url=live_gateway, headers=headers, checks=ALL_CHECKS)


@pytest.fixture
def token(gateway: Setup) -> str:
    """An access token for every purpose granted to the demo bank (no scope asked)."""
    return gateway.token(scope="")
