"""The gateway end to end: token, verify, batch, lookup, refusals, ledger entries."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from dancu.core.crypto import Keyring
from dancu.gateway.ledger import verify_ledger
from tests.fixtures.gateway import Setup

pytestmark = pytest.mark.django_db


def ledger_rows(setup: Setup) -> list[tuple[Any, ...]]:
    with sqlite3.connect(setup.config.ledger) as db:
        return db.execute(
            "SELECT system, purpose, operation, pin_hmac, outcome FROM entries ORDER BY sequence"
        ).fetchall()


def test_verify_matches_each_attribute(gateway: Setup) -> None:
    person = gateway.people["living"]
    answer = gateway.call(
        "/v1/verify",
        {
            "pin": person.pin,
            "purpose": "kyc-banking",
            "full_name": "đặng thị ánh",
            "birth_date": "1991-07-09",
            "sex": "F",
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["found"] is True
    assert body["attributes"] == {
        "full_name": "match", "full_name_without_diacritics": "match", "birth_date": "match", "sex": "match",
    }  # fmt: skip
    assert body["status"] == "living"
    wrong = gateway.call(
        "/v1/verify", {"pin": person.pin, "purpose": "kyc-banking", "full_name": "Dang Thi Anh", "sex": "M"}
    ).json()
    assert wrong["attributes"] == {
        "full_name": "no_match", "full_name_without_diacritics": "match", "birth_date": "not_provided",
        "sex": "no_match",
    }  # fmt: skip
    assert "Đặng" not in answer.text  # never returns data


def test_deceased_flag_only_where_permitted(gateway: Setup) -> None:
    pin = gateway.people["deceased"].pin
    kyc = gateway.call("/v1/verify", {"pin": pin, "purpose": "kyc-banking", "birth_date": "1931-05-05"}).json()
    assert kyc["status"] == "deceased"
    assert "person_deceased" in kyc["reasons"]
    assert kyc["attributes"]["birth_date"] == "match"  # known only to the year
    assert "birth_date_known_to_year" in kyc["reasons"]
    token = gateway.token("sim-registration")
    sim = gateway.call("/v1/verify", {"pin": pin, "purpose": "sim-registration", "sex": "M"}, token).json()
    assert "status" not in sim
    assert "person_deceased" not in sim["reasons"]


def test_unknown_pin_and_batch(gateway: Setup) -> None:
    person = gateway.people["living"]
    absent = gateway.call("/v1/verify", {"pin": "001090999999", "purpose": "kyc-banking", "sex": "M"}).json()
    assert absent["found"] is False
    assert absent["reasons"] == ["pin_not_found"]
    items = [{"pin": person.pin, "sex": "F"}, {"pin": "bad"}, {"pin": "001090999999", "full_name": "A"}]
    batch = gateway.call("/v1/verify/batch", {"purpose": "kyc-banking", "items": items})
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert results[0]["attributes"]["sex"] == "match"
    assert results[1]["error"] == "pin_malformed"
    assert results[2]["found"] is False
    batch_rows = [row for row in ledger_rows(gateway) if row[2] == "verify_batch"]
    assert len(batch_rows) == 1  # one hashed entry for the call, listing its three items
    assert batch_rows[0][4] == "items=3"
    from dancu.exchange.services import access_history

    mine = access_history(person.pin)
    assert [(h["operation"], h["fields"], h["outcome"]) for h in mine] == [("verify_batch", ["sex"], "found")]


def test_lookup_returns_only_permitted_fields_and_needs_consent(gateway: Setup) -> None:
    person = gateway.people["living"]
    fields = ["full_name", "permanent_address", "religion", "ethnicity"]
    answer = gateway.call("/v1/lookup", {"pin": person.pin, "purpose": "kyc-banking", "fields": fields})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["fields"] == {"full_name": "Đặng Thị Ánh", "permanent_address": "Số 1 Phố Đội Cấn"}
    assert body["refused"] == {"religion": "field_not_permitted", "ethnicity": "consent_required"}
    token = gateway.token("sim-registration")
    refused = gateway.call(
        "/v1/lookup", {"pin": person.pin, "purpose": "sim-registration", "fields": ["full_name"]}, token
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "purpose_not_granted")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"pin": "123", "purpose": "kyc-banking"}, 400, "pin_malformed"),
        ({"pin": "001090000001", "purpose": "kyc-banking", "extra": 1}, 422, "request_invalid"),
        ({"pin": "001090000001", "purpose": "no-such-purpose"}, 400, "purpose_unknown"),
        ({"pin": "001090000001", "purpose": "public-service"}, 403, "purpose_not_in_token"),
        ({"pin": "001090000001", "purpose": "kyc-banking", "birth_date": "1990-13-01"}, 400, "birth_date_invalid"),
    ],
)
def test_bad_requests_are_4xx_and_in_the_ledger(gateway: Setup, body: dict[str, Any], status: int, code: str) -> None:
    answer = gateway.call("/v1/verify", body)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert ledger_rows(gateway)[-1][4] == f"refused:{code}"


def test_authentication_failures(gateway: Setup) -> None:
    client = gateway.client
    no_token = client.post("/v1/verify", json={"pin": "001090000001", "purpose": "kyc-banking"})
    assert (no_token.status_code, no_token.json()["code"]) == (401, "token_missing")
    bad = client.post(
        "/v1/verify", json={"pin": "001090000001", "purpose": "kyc-banking"}, headers={"Authorization": "Bearer x.y.z"}
    )
    assert bad.json()["code"] == "token_invalid"
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assertion = gateway.assertion()
    assert client.post("/oauth/token", data={**form, "client_assertion": assertion}).status_code == 200
    replay = client.post("/oauth/token", data={**form, "client_assertion": assertion})
    assert (replay.status_code, replay.json()["error"]) == (401, "invalid_client")
    assert "replay" in replay.json()["error_description"]
    expired = client.post("/oauth/token", data={**form, "client_assertion": gateway.assertion(exp=1)})
    assert expired.status_code == 401
    wrong_aud = client.post("/oauth/token", data={**form, "client_assertion": gateway.assertion(aud="https://evil")})
    assert wrong_aud.status_code == 401
    scope = client.post(
        "/oauth/token", data={**form, "client_assertion": gateway.assertion(), "scope": "public-service"}
    )
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    outcomes = [row[4] for row in ledger_rows(gateway) if row[2] == "token"]
    assert outcomes.count("issued") == 1
    assert len(outcomes) == 5


@pytest.mark.parametrize("path", ["/v1/verify", "/v1/verify/batch", "/v1/lookup"])
@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b'{"pin": "001090000001", "purpose": "kyc-banking"}', {"Content-Type": "application/json"}),
        (b'{"pin": 1, "purpose": [], "items": {}, "fields": 0, "extra": 1}', {"Content-Type": "application/json"}),
        (b"not json", {"Content-Type": "application/json"}),
        (b"pin=001090000001", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"{}", {"Content-Type": "application/json", "Content-Length": "99999999"}),
    ],
    ids=["valid", "schema", "json", "content-type", "too-large"],
)
@pytest.mark.parametrize("authorization", [None, "Bearer x.y.z", "Basic ZGVtbzpkZW1v"])
def test_authentication_comes_before_the_body(
    gateway: Setup, path: str, content: bytes, headers: dict[str, str], authorization: str | None
) -> None:
    """Whatever the body, a caller without a valid token gets 401 with a Bearer challenge and learns nothing of the
    schema: the body is neither read nor checked."""
    if authorization:
        headers = {**headers, "Authorization": authorization}
    answer = gateway.client.post(path, content=content, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    body = answer.json()
    assert body["code"] in {"token_missing", "token_invalid"}
    assert set(body) == {"code", "message", "request_id"}
    assert ledger_rows(gateway)[-1][0::4] == ("", f"refused:{body['code']}")


def test_router_refusals_have_the_error_body(gateway: Setup) -> None:
    missing = gateway.client.get("/v1/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    method = gateway.client.get("/v1/verify")
    assert (method.status_code, method.json()["code"]) == (405, "method_not_allowed")
    assert method.headers["Allow"] == "POST"
    assert set(method.json()) == {"code", "message", "request_id"}


def test_oversized_and_wrong_content_type(gateway: Setup) -> None:
    token = gateway.token()
    big = gateway.client.post(
        "/v1/verify",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert (big.status_code, big.json()["code"]) == (413, "payload_too_large")
    text = gateway.client.post("/v1/verify", content=b"x", headers={"Authorization": f"Bearer {token}"})
    assert (text.status_code, text.json()["code"]) == (415, "content_type_invalid")


def test_suspension_takes_effect_at_once(gateway: Setup) -> None:

    from dancu.exchange.models import ConnectedSystem
    from dancu.exchange.projector import project
    from dancu.exchange.services import set_status

    token = gateway.token()
    set_status(ConnectedSystem.objects.get(client_id="demo-bank"), "suspended")
    project()
    gateway.refresh()
    answer = gateway.call("/v1/verify", {"pin": "001090000001", "purpose": "kyc-banking"}, token)
    assert (answer.status_code, answer.json()["code"]) == (403, "system_not_active")


def test_every_call_is_in_a_verifiable_ledger(gateway: Setup) -> None:
    person = gateway.people["living"]
    for _ in range(3):
        gateway.call("/v1/verify", {"pin": person.pin, "purpose": "kyc-banking", "sex": "F"})
    gateway.client.post(
        "/v1/verify", content=b"not json",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {gateway.token()}"},
    )  # fmt: skip
    rows = ledger_rows(gateway)
    keys = Keyring(gateway.config.keys_dir)
    assert [r for r in rows if r[2] == "verify" and r[3] == keys.pin_hmac(person.pin).hex()]
    assert rows[-1][4] == "refused:json_malformed"
    assert person.pin not in str(rows)
    assert verify_ledger(gateway.config.ledger, keys.ledger_public_keys()).ok


def test_health_metrics_openapi(gateway: Setup) -> None:
    assert gateway.client.get("/v1/health").json()["status"] == "ok"
    metrics = gateway.client.get("/metrics").text
    assert "dancu_gateway_requests_total" in metrics
    assert "dancu_projection_lag_events 0.0" in metrics
    schema = gateway.client.get("/openapi.json").json()
    assert "/v1/verify" in schema["paths"]
    assert gateway.client.get("/.well-known/jwks.json").json()["keys"][0]["crv"] == "Ed25519"


def test_lone_surrogate_in_purpose_is_refused_and_recorded(gateway: Setup) -> None:
    token = gateway.token()
    body = b'{"pin": "001090000001", "purpose": "\\ud800"}'
    answer = gateway.client.post(
        "/v1/verify", content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    assert answer.status_code < 500
    assert ledger_rows(gateway)[-1][4].startswith("refused:")


def test_ledger_verify_command_names_an_edited_row(gateway: Setup, settings: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    for _ in range(4):
        gateway.call("/v1/verify", {"pin": gateway.people["living"].pin, "purpose": "kyc-banking", "sex": "F"})
    gateway.client.__exit__(None, None, None)  # stop the gateway: flush and write a final checkpoint
    call_command("ledger", "verify", "--file", str(gateway.config.ledger))
    with sqlite3.connect(gateway.config.ledger) as db:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f"DROP TRIGGER {name}")  # an attacker with file access drops the guards first
        db.execute("UPDATE entries SET outcome = 'not_found' WHERE sequence = 3")
    with pytest.raises(CommandError, match=r"^ledger_tampered: .*3"):
        call_command("ledger", "verify", "--file", str(gateway.config.ledger))


def test_a_citizen_sees_only_their_own_access_entries(gateway: Setup) -> None:
    from dancu.exchange.services import access_history

    mine, other = gateway.people["living"], gateway.people["deceased"]
    gateway.call("/v1/verify", {"pin": mine.pin, "purpose": "kyc-banking", "sex": "F"})
    gateway.call("/v1/lookup", {"pin": mine.pin, "purpose": "kyc-banking", "fields": ["full_name"]})
    gateway.call("/v1/verify", {"pin": other.pin, "purpose": "kyc-banking", "sex": "M"})
    history = access_history(mine.pin)
    assert [(h["operation"], h["organisation"], h["purpose"]) for h in history] == [
        ("verify", "Ngân hàng TMCP Demo", "kyc-banking"),
        ("lookup", "Ngân hàng TMCP Demo", "kyc-banking"),
    ]
    assert history[1]["fields"] == ["full_name"]
    assert len(access_history(other.pin)) == 1
    assert access_history("001090999999") == []


def test_projection_follows_the_event_log(gateway: Setup) -> None:
    from datetime import date

    from dancu.exchange.projector import Projector, project
    from dancu.registry import services
    from tests import factories

    newcomer = factories.person(full_name="Vũ Minh Hiếu", birth_date=date(2001, 3, 3))
    question = {"pin": newcomer.pin, "purpose": "kyc-banking", "full_name": "Vũ Minh Hiếu"}
    assert gateway.call("/v1/verify", question).json()["found"] is False  # not projected yet
    report = project()  # incremental: only the new events
    assert not report.rebuilt
    assert report.events == 1
    assert gateway.call("/v1/verify", question).json()["attributes"]["full_name"] == "match"
    services.change_name(
        pin=newcomer.pin, full_name="Vũ Minh Hoàng", effective_date=date(2024, 1, 1), reason="r", actor="t"
    )
    services.record_death(pin=newcomer.pin, death_date=date(2025, 1, 1), actor="t")
    projector = Projector()
    assert projector.lag() == 2
    projector.catch_up()
    assert projector.lag() == 0
    projector.close()
    after = gateway.call("/v1/verify", question).json()
    assert after["attributes"]["full_name"] == "no_match"
    assert after["status"] == "deceased"


def _set_grant(gateway: Setup, **values: Any) -> None:
    from dancu.exchange.models import Grant
    from dancu.exchange.projector import project

    Grant.objects.filter(system__client_id="demo-bank", purpose__code="kyc-banking").update(**values)
    project()
    gateway.refresh()


def test_rate_limit_answers_429_with_retry_after(gateway: Setup) -> None:
    token = gateway.token()
    _set_grant(gateway, rate_per_second=2)
    question = {"pin": gateway.people["living"].pin, "purpose": "kyc-banking", "sex": "F"}
    statuses = [gateway.call("/v1/verify", question, token) for _ in range(4)]
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    limited = statuses[2]
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert ledger_rows(gateway)[-1][4] == "refused:rate_limited"


def test_daily_quota(gateway: Setup) -> None:
    token = gateway.token()
    _set_grant(gateway, daily_quota=3)
    question = {"pin": gateway.people["living"].pin, "purpose": "kyc-banking"}
    answers = [gateway.call("/v1/verify", question, token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["code"] == "daily_quota_exceeded"
    assert 0 < int(answers[3].headers["Retry-After"]) <= 86_401
    batch = gateway.call("/v1/verify/batch", {"purpose": "kyc-banking", "items": [{"pin": "001090000001"}]}, token)
    assert (batch.status_code, batch.json()["code"]) == (429, "daily_quota_exceeded")


def test_suspended_system_gets_no_token(gateway: Setup) -> None:

    from dancu.exchange.models import ConnectedSystem
    from dancu.exchange.projector import project
    from dancu.exchange.services import set_status

    set_status(ConnectedSystem.objects.get(client_id="demo-bank"), "suspended")
    project()
    gateway.refresh()
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": gateway.assertion(),
    }
    refused = gateway.client.post("/oauth/token", data=form)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


def test_keys_rotate_without_downtime(gateway: Setup) -> None:

    from joserfc.jwk import OKPKey

    from dancu.core.crypto import rotate_key
    from dancu.exchange.models import ConnectedSystem
    from dancu.exchange.projector import project
    from dancu.exchange.services import set_keys

    old_token = gateway.token()
    # The platform rotates its token-signing and ledger-signing keys: old tokens stay valid, new ones use the new key.
    rotate_key(gateway.config.keys_dir / "token-signing.json", 32)
    rotate_key(gateway.config.keys_dir / "ledger-signing.json", 32)
    gateway.refresh()
    question = {"pin": gateway.people["living"].pin, "purpose": "kyc-banking", "sex": "F"}
    assert gateway.call("/v1/verify", question, old_token).status_code == 200
    new_token = gateway.token()
    assert gateway.call("/v1/verify", question, new_token).status_code == 200
    assert len(gateway.client.get("/.well-known/jwks.json").json()["keys"]) == 2
    # The bank publishes a second key, then signs with it: both work during the overlap.
    second = OKPKey.generate_key("Ed25519", parameters={"kid": "demo-bank-2"})
    system = ConnectedSystem.objects.get(client_id="demo-bank")
    set_keys(system, {"keys": [*system.jwks["keys"], second.as_dict(private=False)]})
    project()
    gateway.refresh()
    old_key, gateway.key = gateway.key, second
    assert gateway.token()
    gateway.key = old_key
    assert gateway.token()
    gateway.client.__exit__(None, None, None)
    assert verify_ledger(gateway.config.ledger, Keyring(gateway.config.keys_dir).ledger_public_keys()).ok


def test_every_error_code_is_documented() -> None:
    """Each code the gateway raises is in the OpenAPI document's table, and each code there in docs/integrators.md."""
    import inspect
    import re
    from pathlib import Path

    from dancu.core.pin import parse_pin
    from dancu.gateway import auth, errors, handlers, openapi, requests, schemas, worker

    source = "".join(inspect.getsource(code) for code in (auth, errors, handlers, requests, schemas, worker, parse_pin))
    raised = set(re.findall(r'(?:RequestFailed\(\s*\d+,|AuthError\(|DomainError\()\s*"([a-z_]+)"', source))
    documented = {code for table in openapi.ERROR_CODES.values() for codes in table.values() for code in codes}
    assert raised and raised <= documented, raised - documented
    assert "rate_limited" in raised and "pin_unknown_province" in raised
    guide = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
    errors = guide.read_text().split("## 4. Errors")[1].split("## 5.")[0]
    router = {code for codes in openapi.ROUTER_CODES.values() for code in codes}
    assert {code for code in documented | router if f"`{code}`" not in errors} == set()


def test_the_document_follows_the_projection(gateway: Setup) -> None:
    """The purpose codes (an enum in the document) and the batch size come from the running gateway."""
    from dancu.exchange.models import Purpose
    from dancu.exchange.projector import project

    before = gateway.client.get("/openapi.json").json()
    schemas = before["components"]["schemas"]
    assert "kyc-banking" in schemas["VerifyRequest"]["properties"]["purpose"]["enum"]
    assert schemas["BatchRequest"]["properties"]["items"]["maxItems"] == gateway.config.max_batch_items
    Purpose.objects.create(code="tax-filing", name="Tax", legal_basis="-")
    project()
    gateway.refresh()
    after = gateway.client.get("/openapi.json").json()["components"]["schemas"]
    assert "tax-filing" in after["LookupRequest"]["properties"]["purpose"]["enum"]
