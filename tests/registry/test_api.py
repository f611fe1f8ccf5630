"""The officials' API over HTTP (Django test client): reads, writes, permissions, and 4xx for bad input."""

from __future__ import annotations

import base64
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from dancu.events.models import Event
from dancu.registry.models import Person
from tests import factories
from tests.factories import HANOI_BA_DINH

pytestmark = pytest.mark.django_db


def _client(role: str, area: str | None = None) -> Client:
    username = f"u-{role}-{area}" if area else f"u-{role}"
    factories.official(username, role=role, area=area, password="a-long-test-password")
    token = base64.b64encode(f"{username}:a-long-test-password".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


@pytest.fixture
def officer() -> Client:
    return _client("civil_status_officer")


@pytest.fixture
def viewer() -> Client:
    return _client("viewer")


def test_person_by_pin(viewer: Client) -> None:
    person = factories.person(residence=HANOI_BA_DINH, full_name="Đặng Văn Lâm")
    response = viewer.post("/api/v1/persons/lookup", {"pin": person.pin}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["pin"] == person.pin
    assert body["full_name"] == "Đặng Văn Lâm"
    assert body["household"]["relationship_to_head"] == "head"
    assert body["permanent_residence"]["commune"]["code"] == HANOI_BA_DINH


@pytest.mark.parametrize(
    ("pin", "status", "code"), [("123", 400, "pin_malformed"), ("001090999999", 404, "person_not_found")]
)
def test_person_by_pin_errors(viewer: Client, pin: str, status: int, code: str) -> None:
    response = viewer.post("/api/v1/persons/lookup", {"pin": pin}, content_type="application/json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert pin not in response.json()["message"]


def test_unauthenticated_and_wrong_password_are_401_with_a_basic_challenge() -> None:
    token = base64.b64encode(b"nobody:wrong").decode()
    for client in (
        Client(enforce_csrf_checks=True),
        Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Basic {token}"),
    ):
        response = client.post("/api/v1/persons/lookup", {"pin": "001090000001"}, content_type="application/json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="dancu"'
        assert response.json()["code"] == "authentication_required"


def test_basic_needs_no_csrf_token_and_a_role_without_the_permission_is_403() -> None:
    """Django's test client skips CSRF checks unless told: here they are enforced, as in a real server."""
    factories.official("u-basic", role="viewer", password="a-long-test-password")
    person = factories.person(residence=HANOI_BA_DINH)
    token = base64.b64encode(b"u-basic:a-long-test-password").decode()
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Basic {token}")
    assert (
        client.post("/api/v1/persons/lookup", {"pin": person.pin}, content_type="application/json").status_code == 200
    )
    refused = client.post(
        "/api/v1/deaths", {"pin": person.pin, "death_date": "2020-01-01"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "WWW-Authenticate" not in refused


def test_a_session_still_needs_its_csrf_token() -> None:
    user = factories.official("u-session", role="viewer", password="a-long-test-password")
    person = factories.person(residence=HANOI_BA_DINH)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    body = {"pin": person.pin}
    refused = client.post("/api/v1/persons/lookup", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    csrf = get_random_string(32)  # what Django's pages set as the browser's CSRF cookie
    client.cookies["csrftoken"] = csrf
    answered = client.post("/api/v1/persons/lookup", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert answered.status_code == 200
    assert answered.json()["pin"] == person.pin


def test_a_body_that_is_not_json_is_400_json_malformed(viewer: Client) -> None:
    response = viewer.post("/api/v1/persons/lookup", '{"pin": "0010', content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "json_malformed", "message": "Nội dung yêu cầu không phải là JSON hợp lệ."}
    asked = viewer.post(
        "/api/v1/persons/lookup",
        '{"pin": "0010',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8",
    )
    assert asked.json() == {"code": "json_malformed", "message": "The request body is not valid JSON."}
    assert "Accept-Language" in asked["Vary"]


def test_search_ignores_accents_and_case(viewer: Client) -> None:
    target = factories.person(
        full_name="Đỗ Thị Ánh Tuyết", sex="F", birth_date=date(1988, 8, 8), residence=HANOI_BA_DINH
    )
    factories.person(full_name="Đỗ Thị Ánh Hồng", sex="F", birth_date=date(1987, 1, 1))
    found = search(viewer, {"name": "DO THI ANH", "birth_date": "1988-08-08"}).json()
    assert [p["pin"] for p in found] == [target.pin]
    by_commune = search(viewer, {"name": "đỗ thị", "commune": HANOI_BA_DINH}).json()
    assert [p["pin"] for p in by_commune] == [target.pin]
    assert search(viewer, {"name": "x"}).status_code == 422


def test_history_and_as_of(viewer: Client) -> None:
    person = factories.person(residence=HANOI_BA_DINH)
    from dancu.registry import services

    services.change_name(
        pin=person.pin, full_name="Nguyễn Văn Bảo", effective_date=date(2015, 1, 1), reason="r", actor="t"
    )
    services.record_death(pin=person.pin, death_date=date(2024, 1, 1), actor="t")
    events = read(viewer, "history", pin=person.pin).json()
    assert [e["type"] for e in events] == [
        "person.registered", "residence.permanent.registered", "name.changed", "death.recorded",
    ]  # fmt: skip
    before_birth = read(viewer, "as-of", pin=person.pin, date="1980-01-01").json()
    assert before_birth["record"] is None
    in_2010 = read(viewer, "as-of", pin=person.pin, date="2010-01-01").json()["record"]
    assert in_2010["full_name"] == "Nguyễn Văn An"
    assert in_2010["status"] == "living"
    assert in_2010["permanent_residence"]["commune"] == HANOI_BA_DINH
    in_2024 = read(viewer, "as-of", pin=person.pin, date="2024-06-01").json()["record"]
    assert (in_2024["full_name"], in_2024["status"]) == ("Nguyễn Văn Bảo", "deceased")


def test_household_and_events_pages(officer: Client, viewer: Client) -> None:
    head = factories.person(residence=HANOI_BA_DINH)
    household = viewer.get(f"/api/v1/households/{head.household.number}").json()
    assert household["head"]["pin"] == head.pin
    assert viewer.get("/api/v1/households/000000000000").status_code == 404
    assert viewer.get("/api/v1/events").status_code == 403  # the viewer role does not read the raw log
    commune = officer.get("/api/v1/events", {"after": 0, "limit": 1})  # the log is the whole country's
    assert (commune.status_code, commune.json()["code"]) == (403, "event_log_national_only")
    page = _client("operator").get("/api/v1/events", {"after": 0, "limit": 1}).json()
    assert len(page["events"]) == 1
    assert page["next_after"] == page["events"][0]["sequence"]


def test_birth_through_the_api(officer: Client) -> None:
    mother = factories.person(sex="F", birth_date=date(1994, 4, 4))
    body = {
        "full_name": "Nguyễn Bảo Ngọc", "sex": "F", "birth_date": "2025-09-01", "birth_commune": HANOI_BA_DINH,
        "mother_pin": mother.pin, "source": "HS-2025-0001",
    }  # fmt: skip
    response = officer.post("/api/v1/births", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    child = response.json()
    assert child["pin"].startswith("00132")
    assert child["mother"]["pin"] == mother.pin
    event = Event.objects.get(pin=child["pin"])
    assert event.source == "HS-2025-0001"
    assert event.actor == "official:u-civil_status_officer"


def search(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/persons/search", body, content_type="application/json")


def read(client: Client, what: str, **body: Any) -> Any:
    return client.post(f"/api/v1/persons/{what}", body, content_type="application/json")


def _post(client: Client, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    before = (Person.objects.count(), Event.objects.count())
    response = client.post(url, body, content_type="application/json")
    if response.status_code >= 400:
        assert (Person.objects.count(), Event.objects.count()) == before
    return response.status_code, response.json()


def test_bad_writes_are_4xx_with_codes_and_write_nothing(officer: Client, viewer: Client) -> None:
    person = factories.person(residence=HANOI_BA_DINH)
    national = _client("civil_status_officer", "national")  # the initial load is national (test_api_scope.py)
    assert _post(
        national,
        "/api/v1/persons",
        {"pin": person.pin, "full_name": "A B", "sex": "M", "birth_date": str(person.birth_date)},
    ) == (
        409,
        {"code": "pin_duplicate", "message": "Đã có người với số định danh cá nhân này.", "field": "pin"},
    )
    status, body = _post(
        officer,
        "/api/v1/persons",
        {"pin": "001090000777", "full_name": "A B", "sex": "M", "birth_date": "1990-01-01", "surprise": 1},
    )
    assert (status, body["code"]) == (422, "request_invalid")
    status, body = _post(officer, "/api/v1/deaths", {"pin": person.pin, "death_date": "1980-01-01"})
    assert (status, body["code"]) == (400, "death_before_birth")
    status, body = _post(
        officer,
        "/api/v1/permanent-residences",
        {"pin": person.pin, "commune": "99999", "address_line": "x", "valid_from": "2010-01-01"},
    )
    assert (status, body["code"]) == (400, "commune_unknown")
    status, body = _post(viewer, "/api/v1/deaths", {"pin": person.pin, "death_date": "2020-01-01"})
    assert (status, body["code"]) == (403, "permission_denied")
    status, body = _post(
        officer,
        "/api/v1/births",
        {"full_name": "Lê Văn C", "sex": "M", "birth_date": "not-a-date", "birth_commune": HANOI_BA_DINH},
    )
    assert (status, body["code"]) == (422, "request_invalid")
    assert "not-a-date" not in str(body)


def test_openapi_document_is_served() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/v1/persons/lookup" in schema["paths"]
    assert not [path for path in schema["paths"] if "{pin}" in path]  # no PIN in any URL
    docs = Client().get("/api/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.content.decode()  # Swagger UI from our own static files
    assert "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()


def test_operation_ids_do_not_depend_on_the_module_an_endpoint_lives_in() -> None:
    # Generated clients name their methods after these ids: moving an endpoint to another module must not rename it.
    schema = Client().get("/api/openapi.json").json()
    ids = {op["operationId"] for methods in schema["paths"].values() for op in methods.values()}
    assert len(ids) == sum(len(methods) for methods in schema["paths"].values())
    assert {"dancu_registry_api_get_person", "dancu_registry_api_post_birth", "dancu_registry_api_list_events"} <= ids
    assert not [i for i in ids if i.startswith(("dancu_registry_api_reads_", "dancu_registry_api_writes_"))]


def test_the_one_query_record_equals_the_orm_record() -> None:
    from dancu.registry import presenters, services

    mother = factories.person(sex="F", birth_date=date(1960, 1, 1), residence=HANOI_BA_DINH)
    father = factories.person(sex="M", birth_date=date(1958, 1, 1))
    child = factories.person(
        birth_date=date(1985, 2, 3), mother_pin=mother.pin, father_pin=father.pin, birth_commune=HANOI_BA_DINH,
        origin_commune="00008",
    )  # fmt: skip
    services.register_permanent_residence(
        pin=child.pin, commune=HANOI_BA_DINH, address_line="x", valid_from=date(2000, 1, 1),
        household_number=mother.household.number, relationship="child", actor="t",
    )  # fmt: skip
    wife = factories.person(sex="F", birth_date=date(1987, 1, 1))
    services.register_marriage(pin_a=child.pin, pin_b=wife.pin, marriage_date=date(2010, 1, 1), actor="t")
    for pin in (child.pin, mother.pin, father.pin, wife.pin):
        assert presenters.person_record(pin) == presenters.person_dict(presenters.load_person(pin))
    assert presenters.person_record("001090999999") is None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "nguyen", "birth_date": 0},  # pydantic alone would read a number as seconds since 1970
        {"name": "nguyen", "birth_date": "1990-01-01T00:00:00"},
        {"name": "nguyen", "limit": "12"},
        {"name": "nguyen", "limit": True},
    ],
)
def test_values_of_another_type_than_the_documents_are_422(viewer: Client, body: dict[str, Any]) -> None:
    response = viewer.post("/api/v1/persons/search", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "request_invalid"


def test_the_document_lists_every_answer_and_limit() -> None:
    schema = Client().get("/api/openapi.json").json()
    lookup = schema["paths"]["/api/v1/persons/lookup"]["post"]
    assert set(lookup["responses"]) == {"200", "400", "401", "403", "404", "422"}
    assert lookup["responses"]["401"]["headers"]["WWW-Authenticate"]["schema"]["enum"] == ['Basic realm="dancu"']
    pin = schema["components"]["schemas"]["PinIn"]["properties"]["pin"]
    assert pin["minLength"] == pin["maxLength"] == 12
    assert re.fullmatch(pin["pattern"], "001076108037")
    assert not re.fullmatch(pin["pattern"], "999076108037")  # not an assigned province code
    ethnicity = schema["components"]["schemas"]["BirthIn"]["properties"]["ethnicity"]["anyOf"][0]
    assert (ethnicity["minimum"], ethnicity["maximum"]) == (1, 54)
