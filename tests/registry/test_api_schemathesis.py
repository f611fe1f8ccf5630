"""schemathesis over the web API's OpenAPI document (``/api/openapi.json``), against a real server (granian, CSRF
checks as in production) over the demo data, with every check schemathesis has but the timed one (status codes,
content types, headers and bodies as documented, valid data accepted, invalid data refused, authentication not
ignored, unsupported methods refused, ...) on valid and invalid requests.

It signs in as the demo's read-only official (``tracuu``, HTTP Basic): reads are answered, and writes whose body
passes the schema are refused 403 ``permission_denied`` before any domain rule runs. Writes by an account that may
write are covered by tests/registry/test_api.py: random schema-valid bodies would mostly break domain rules (a PIN
whose digits contradict the sex, a commune that does not exist), 400s that a schema cannot express.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, CheckContext, run_checks_for

from dancu.api import api
from tests.registry.live_demo import LiveDemo

DOCUMENT = api.get_openapi_schema(path_prefix="/api/")
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(DOCUMENT)))
schema.config.generation.update(modes=list(schemathesis.GenerationMode))  # valid and invalid requests


def test_the_server_serves_this_document(live_demo: LiveDemo) -> None:
    with urllib.request.urlopen(f"{live_demo.web}/api/openapi.json", timeout=10) as response:
        assert json.loads(response.read()) == json.loads(json.dumps(DOCUMENT))


def test_every_check_is_on() -> None:
    operation = next(iter(schema.get_all_operations())).ok()
    config = schema.config.checks_config_for(operation=operation, phase=None)
    ctx = CheckContext(
        override=None, auth=None, headers=None, config=config, transport_kwargs=None, recorder=None,
        response_checks=run_checks_for(schema).for_responses(), phase=None,
    )  # fmt: skip
    running = {check.__name__ for check in ctx.internals.checks}
    assert running == set(CHECKS.get_all_names()) - {"max_response_time"}, running


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_web_api_does_what_its_document_says(case: Any, live_demo: LiveDemo) -> None:
    credentials = base64.b64encode(f"tracuu:{live_demo.officials['tracuu']}".encode()).decode()
    case.call_and_validate(base_url=live_demo.web, headers={"Authorization": f"Basic {credentials}"}, timeout=60)
