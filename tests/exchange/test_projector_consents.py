"""The projector brings consents up to date incrementally: only the pairs granted or revoked since its last pass."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dancu.core.crypto import Keyring
from dancu.exchange.models import ConnectedSystem, Consent
from dancu.exchange.projector import Projector
from tests import factories
from tests.fixtures.gateway import Setup

pytestmark = pytest.mark.django_db


def _projected(setup: Setup) -> dict[tuple[str, str], Any]:
    with sqlite3.connect(setup.config.projection) as db:
        return {(pin.hex(), cid): fields for pin, cid, fields in db.execute("SELECT * FROM consents")}


def _meta(setup: Setup, key: str) -> str:
    with sqlite3.connect(setup.config.projection) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])


def _lookup_ethnicity(setup: Setup, token: str) -> Any:
    person = setup.people["living"]
    body = {"pin": person.pin, "purpose": "kyc-banking", "fields": ["ethnicity"]}
    return setup.call("/v1/lookup", body, token).json()


def test_a_consent_granted_then_revoked_reaches_the_gateway(gateway: Setup) -> None:
    pin_h = Keyring(gateway.config.keys_dir).pin_hmac(gateway.people["living"].pin).hex()
    bank = ConnectedSystem.objects.get(client_id="demo-bank")
    token = gateway.token()
    assert _lookup_ethnicity(gateway, token)["refused"] == {"ethnicity": "consent_required"}
    version = _meta(gateway, "config_version")

    consent = factories.consent(bank, pin_hmac=pin_h)
    projector = Projector()
    try:
        assert projector.sync_consents() == 1  # incremental: only the pair just granted
        assert _projected(gateway) == {(pin_h, "demo-bank"): '["ethnicity"]'}
        answer = _lookup_ethnicity(gateway, token)
        assert answer["refused"] == {} and "ethnicity" in answer["fields"]

        consent.revoked_at = timezone.now()
        consent.save()
        projector.export_config()  # what `dancu project --follow` runs every second
        assert _projected(gateway) == {}
        assert _lookup_ethnicity(gateway, token)["refused"] == {"ethnicity": "consent_required"}
    finally:
        projector.close()
    assert _meta(gateway, "config_version") == version  # consents do not make the gateway reload its configuration


def test_an_incremental_pass_reads_only_what_changed(gateway: Setup) -> None:
    bank = ConnectedSystem.objects.get(client_id="demo-bank")
    old = factories.consent(bank, pin_hmac="aa" * 16)
    three_days_ago = timezone.now() - timedelta(days=3)
    Consent.objects.filter(pk=old.pk).update(granted_at=three_days_ago, updated_at=three_days_ago)
    projector = Projector()
    try:
        projector.sync_consents(full=True)
        assert set(_projected(gateway)) == {("aa" * 16, "demo-bank")}
        with sqlite3.connect(gateway.config.projection) as db:  # a row no pass would write, to see who rewrites
            db.execute("INSERT INTO consents VALUES (?, 'demo-bank', '[]')", (bytes.fromhex("bb" * 16),))
        factories.consent(bank, pin_hmac="cc" * 16, fields=("ethnicity", "religion"))
        factories.consent(bank, pin_hmac="cc" * 16)  # two at once: merged
        assert projector.sync_consents() == 1
        assert _projected(gateway) == {
            ("aa" * 16, "demo-bank"): '["ethnicity"]',
            ("bb" * 16, "demo-bank"): "[]",  # untouched by an incremental pass
            ("cc" * 16, "demo-bank"): '["ethnicity","religion"]',
        }
        assert projector.sync_consents() == 1  # within the overlap, the recent pair is read again (harmless)
        projector.sync_consents(full=True)  # a full pass rewrites the table from the registry
        assert set(_projected(gateway)) == {("aa" * 16, "demo-bank"), ("cc" * 16, "demo-bank")}
    finally:
        projector.close()


def test_a_full_pass_runs_again_after_its_interval(gateway: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from dancu.exchange import projector as module

    stray = ("bb" * 16, "demo-bank")  # a row no pass would write, that only a full pass removes
    projector = Projector()
    try:
        projector.sync_consents(full=True)
        first = _meta(gateway, "consents_full_at")
        with sqlite3.connect(gateway.config.projection) as db:
            db.execute("INSERT INTO consents VALUES (?, 'demo-bank', '[]')", (bytes.fromhex(stray[0]),))
        projector.sync_consents()
        assert _meta(gateway, "consents_full_at") == first and stray in _projected(gateway)
        monkeypatch.setattr(module, "CONSENT_FULL_SECONDS", 0.0)  # the interval has passed
        projector.sync_consents()
        assert stray not in _projected(gateway)
    finally:
        projector.close()
