"""A gateway over a projection of a small registry with social-insurance records, the demo hospital calling."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey
from starlette.testclient import TestClient

from dancu.gateway.app import create_app
from dancu.gateway.config import GatewayConfig
from dancu.insurance.demo import DEMO_CLIENT_ID, DEMO_FACILITY, DEMO_RECEPTIONIST, ensure_demo_hospital
from dancu.insurance.models import CoveragePeriod, HealthFacility, Participant
from dancu.registry import services as registry
from tests import factories

ISSUER = "http://testserver"
TODAY = date.today()


def cover(person: Any, *, name: str | None = None, status: str = "active", facility: str = DEMO_FACILITY,
          expired: bool = False, level: int = 4) -> None:  # fmt: skip
    participant = Participant.objects.create(
        person=person, social_insurance_number=f"01{person.pin[-8:]}", full_name=name or person.full_name
    )
    start = TODAY - timedelta(days=500 if expired else 100)
    CoveragePeriod.objects.create(
        participant=participant, card_number=f"DN{level}01{participant.social_insurance_number}",
        beneficiary_group="DN", benefit_level=level, facility=HealthFacility.objects.get(code=facility),
        valid_from=start, valid_to=start + timedelta(days=364), status=status, five_consecutive_years=True,
    )  # fmt: skip


@dataclass
class Hospital:
    client: TestClient
    key: OKPKey
    config: GatewayConfig
    people: dict[str, Any]
    _token: str = ""

    def token(self) -> str:
        if not self._token:
            now = int(time.time())
            claims = {"iss": DEMO_CLIENT_ID, "sub": DEMO_CLIENT_ID, "aud": f"{ISSUER}/oauth/token", "iat": now,
                      "exp": now + 60, "jti": uuid.uuid4().hex}  # fmt: skip
            assertion = jwt.encode({"alg": "Ed25519", "kid": self.key.kid}, claims, self.key, algorithms=["Ed25519"])
            response = self.client.post("/oauth/token", data={
                "grant_type": "client_credentials", "client_assertion": assertion,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            })  # fmt: skip
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def check_in(self, **body: Any) -> Any:
        pin, name = DEMO_RECEPTIONIST
        full = {"facility": DEMO_FACILITY, "receptionist_pin": pin, "receptionist_name": name, **body}
        return self.client.post(
            "/v1/health-insurance/check-in", json=full, headers={"Authorization": f"Bearer {self.token()}"}
        )

    def ledger(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.config.ledger) as db:
            return db.execute("SELECT system, purpose, operation, pin_hmac, outcome FROM entries ORDER BY sequence")\
                .fetchall()  # fmt: skip


@pytest.fixture
def hospital(db: None, tmp_path: Path, settings: Any) -> Iterator[Hospital]:
    settings.VAR_DIR = tmp_path
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    settings.DANCU_GATEWAY_PROJECTION = str(tmp_path / "projection.sqlite3")
    settings.DANCU_LEDGER = str(tmp_path / "ledger.sqlite3")
    ensure_demo_hospital()
    person = factories.person
    people = {
        "valid": person(full_name="Đặng Thị Ánh", sex="F", birth_date=date(1991, 7, 9)),
        "expired": person(full_name="Lê Văn Bình"),
        "none": person(full_name="Hoàng Văn Cường"),
        "other": person(full_name="Ngô Thị Dung", sex="F"),
        "revoked": person(full_name="Vũ Văn Em"),
        "ended": person(full_name="Bùi Văn Giang"),
        "suspended": person(full_name="Đỗ Văn Hải"),
        "renamed": person(full_name="Phan Văn Khánh"),
        "spelt": person(full_name="Trịnh Văn Lộc"),
        "child": person(full_name="Lý Minh Nhật", birth_date=TODAY - timedelta(days=400)),
        "dead": person(full_name="Cao Văn Phúc"),
    }
    cover(people["valid"], level=2)
    cover(people["expired"], expired=True)
    cover(people["other"], facility="01001")
    cover(people["revoked"], status="revoked")
    cover(people["ended"], status="ended")
    cover(people["suspended"], status="suspended")
    cover(people["renamed"], name="Phan Văn Khang")  # the registry's new name not yet at social insurance
    cover(people["spelt"], name="Trinh Van Loc")
    cover(people["dead"])
    registry.record_death(pin=people["dead"].pin, death_date=TODAY - timedelta(days=3), actor="t")
    from dancu.exchange.projector import project

    project(rebuild=True)
    config = GatewayConfig(
        projection=tmp_path / "projection.sqlite3", ledger=tmp_path / "ledger.sqlite3",
        state=tmp_path / "state.sqlite3", keys_dir=tmp_path / "keys", issuer=ISSUER, config_refresh_seconds=0.05,
    )  # fmt: skip
    from dancu.insurance.demo import demo_key_path

    key = OKPKey.import_key(json.loads(demo_key_path().read_text()))
    with TestClient(create_app(config)) as client:
        yield Hospital(client, key, config, people)
