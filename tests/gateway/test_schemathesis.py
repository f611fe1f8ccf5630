"""Property-based API testing with schemathesis against the gateway's own OpenAPI document: whatever it sends,
valid or not, with a valid token or none, the gateway never answers 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from dancu.gateway.openapi import document
from tests.gateway.conftest import ISSUER, Setup

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(document(ISSUER))
schema.config.generation.update(modes=list(schemathesis.GenerationMode))  # valid and invalid requests


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, gateway: Setup, live_gateway: str) -> None:
    token = gateway.token()
    headers = {"Authorization": f"Bearer {token}"} if case.path != "/oauth/token" else {}
    response = case.call(base_url=live_gateway, headers=headers)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text
