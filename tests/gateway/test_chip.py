"""POST /v1/chip/verify: a chip issued in the back office checked by the demo bank through the gateway, with the
card checked against the projection, a receipt that verifies with the gateway's JWKS, and the citizen's history."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from dancu.cards import chip as chips
from dancu.cards import pki
from dancu.cards.services import cancel_cards, issue_card
from dancu.exchange.projector import project
from dancu.exchange.timeline import access_timeline
from dancu.registry import services
from tests.fixtures.gateway import Setup


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def chip_setup(gateway: Setup, settings: Any) -> tuple[Setup, Any]:
    folder = gateway.config.projection.parent
    settings.DANCU_CSCA_DIR = str(folder / "keys" / "csca")
    settings.DANCU_PKI_PUBLIC_DIR = str(folder / "pki")
    pki._authorities.cache_clear()
    card = issue_card(pin=gateway.people["living"].pin, issued_on=date(2021, 6, 1), actor="t")
    pki.publish()
    project()
    yield gateway, card
    pki._authorities.cache_clear()


def body(card: Any, **changes: Any) -> dict[str, Any]:
    groups = card.chip.data_groups()
    payload = {
        "purpose": "kyc-banking",
        "sod": b64(bytes(card.chip.sod)),
        "data_groups": [b64(g) for g in groups.values()],
    }
    payload.update(changes)
    return payload


def test_genuine_chip_with_active_authentication(chip_setup):
    gateway, card = chip_setup
    token = gateway.token()
    challenge = bytes.fromhex("0102030405060708")
    aa = {"challenge": challenge.hex(), "signature": b64(chips.answer_challenge(card.chip, challenge))}
    response = gateway.call("/v1/chip/verify", body(card, active_authentication=aa), token)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["valid"] is True
    assert (answer["card_status"], answer["active_authentication"]) == ("valid", "passed")
    assert answer["data_groups"] == [1, 2, 13, 14, 15]
    assert answer["outdated_fields"] == []
    keys = KeySet.import_key_set(gateway.client.get("/.well-known/jwks.json").json())
    verified = jws.deserialize_compact(answer["receipt"], keys, algorithms=["Ed25519"])
    import json

    claims = json.loads(verified.payload)
    assert (claims["jti"], claims["aud"], claims["valid"]) == (answer["request_id"], "demo-bank", True)
    again = gateway.call("/v1/chip/verify", body(card, active_authentication=aa), token)
    assert again.status_code == 422
    assert (again.json()["code"], again.json()["step"]) == ("aa_challenge_replayed", "active_authentication")
    (line, *_rest) = access_timeline(card.number).accesses
    assert line.kind == "chip_verify"
    assert line.organisation == "Ngân hàng TMCP Demo"
    assert "chip" in line.fields


def test_tampered_dg13_fails_at_its_step(chip_setup):
    gateway, card = chip_setup
    groups = list(card.chip.data_groups().values())
    dg13 = bytearray(groups[2])
    dg13[-2] ^= 0x01
    groups[2] = bytes(dg13)
    response = gateway.call("/v1/chip/verify", body(card, data_groups=[b64(g) for g in groups]))
    assert response.status_code == 422
    answer = response.json()
    assert (answer["code"], answer["step"]) == ("dg_hash_mismatch", "data_groups")
    assert answer["receipt"].count(".") == 2


def test_cancelled_card_and_outdated_name(chip_setup):
    gateway, card = chip_setup
    services.change_name(
        pin=card.number, full_name="Đặng Thị Ánh Hồng", effective_date=date(2025, 1, 1), reason="t", actor="t"
    )
    project()
    answer = gateway.call("/v1/chip/verify", body(card)).json()
    assert answer["valid"] is True
    assert answer["outdated_fields"] == ["full_name"]
    cancel_cards(pin=card.number, reason="death", actor="t")
    project()
    answer = gateway.call("/v1/chip/verify", body(card)).json()
    assert (answer["valid"], answer["card_status"], answer["reasons"]) == (False, "cancelled", ["card_cancelled"])


def test_superseded_card(chip_setup):
    gateway, card = chip_setup
    issue_card(pin=card.number, issued_on=date(2024, 3, 1), actor="t")
    project()
    answer = gateway.call("/v1/chip/verify", body(card)).json()
    assert (answer["card_status"], answer["reasons"]) == ("superseded", ["card_superseded"])


def test_bad_input(chip_setup):
    gateway, card = chip_setup
    token = gateway.token()
    cases = [
        (body(card, sod="***"), 400, "sod_malformed"),
        (body(card, sod=b64(b"\x77\x03\x30\x01\x00")), 422, "sod_malformed"),
        (body(card, data_groups=[b64(b"\x63\x01\x00")]), 422, "dg_unknown"),
        (body(card, extra=1), 422, "request_invalid"),
        (body(card, active_authentication={"challenge": "zz", "signature": ""}), 400, "aa_challenge_invalid"),
    ]
    for payload, status, code in cases:
        response = gateway.call("/v1/chip/verify", payload, token)
        assert (response.status_code, response.json()["code"]) == (status, code), payload
    refused = gateway.call("/v1/chip/verify", body(card, purpose="sim-registration"), gateway.token("sim-registration"))
    assert (refused.status_code, refused.json()["code"]) == (403, "purpose_not_granted")
    huge = body(card, sod=b64(bytes(300 * 1024)))
    assert gateway.call("/v1/chip/verify", huge, token).status_code == 413


def test_bank_example(chip_setup, live_gateway, tmp_path):
    """examples/bank_ekyc.py against the gateway over HTTP, the simulated chip answering in this process."""
    import importlib.util
    import sys

    from tests.fixtures.gateway import ISSUER

    gateway, card = chip_setup
    spec = importlib.util.spec_from_file_location("bank_ekyc", "examples/bank_ekyc.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    sys.modules.pop("client", None)
    from django.core.management import call_command

    call_command("cards", "chip", card.number, "--out", str(tmp_path / "chip"), stdout=__import__("io").StringIO())
    sod, groups = example.read_chip(tmp_path / "chip")
    token = gateway.token()
    status, answer = example.check_chip(
        live_gateway, token, sod, groups, lambda c: chips.answer_challenge(card.chip, c)
    )
    assert status == 200, answer
    assert (answer["valid"], answer["active_authentication"]) == (True, "passed")
    jwks = gateway.client.get("/.well-known/jwks.json").json()
    claims = example.receipt_claims(ISSUER, answer["receipt"], jwks)
    assert claims["jti"] == answer["request_id"]


def test_a_replay_to_another_worker_is_refused(tmp_path):
    """Two workers' guards over the same state file: the second claim of a challenge fails."""
    from types import SimpleNamespace

    from dancu.gateway.chip import SharedChallengeGuard
    from dancu.gateway.state import SharedState

    one = SharedChallengeGuard(SimpleNamespace(state=SharedState(tmp_path / "state.sqlite3")))  # type: ignore[arg-type]
    two = SharedChallengeGuard(SimpleNamespace(state=SharedState(tmp_path / "state.sqlite3")))  # type: ignore[arg-type]
    assert one.claim(b"chip key and challenge")
    assert not two.claim(b"chip key and challenge")
    assert two.claim(b"another challenge")
