"""The demo connected system: a bank whose keys are generated on first run (kept under var/, never committed)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from joserfc.jwk import OKPKey

from dancu.exchange import services
from dancu.exchange.choices import SystemStatus
from dancu.exchange.models import AssessmentCriterion, ConnectedSystem

DEMO_CLIENT_ID = "demo-bank"


def demo_key_path(client_id: str = DEMO_CLIENT_ID) -> Path:
    return Path(settings.VAR_DIR) / "demo-client" / f"{client_id}.private.jwk.json"


def ensure_demo_connected_system(
    client_id: str, *, organisation: str, name: str, kind: str, contact_email: str
) -> tuple[ConnectedSystem, Path]:
    """A demo connected system onboarded as any other: its Ed25519 key generated on first run (kept under var/,
    never committed), registered, assessed on every criterion (self-declared, for the demo) and approved. Returns the
    system and its private key's path; the caller grants what it needs."""
    services.ensure_reference_data()
    path = demo_key_path(client_id)
    if path.exists():
        key = OKPKey.import_key(json.loads(path.read_text()))
    else:
        key = OKPKey.generate_key("Ed25519", parameters={"kid": f"{client_id}-1", "use": "sig"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(key.as_dict(private=True), indent=1))
        path.chmod(0o600)
    jwks = {"keys": [key.as_dict(private=False)]}
    system = ConnectedSystem.objects.filter(client_id=client_id).first()
    if system is None:
        system = services.register_system(
            client_id=client_id, organisation=organisation, name=name, kind=kind, contact_email=contact_email,
            jwks=jwks,
        )  # fmt: skip
    elif system.jwks != jwks:
        services.set_keys(system, jwks)
    for criterion in AssessmentCriterion.objects.all():
        services.record_assessment(
            system, criterion.code, met=True, evidence="Demo: self-declared, not a real assessment.", reviewer="demo"
        )
    if system.status != SystemStatus.APPROVED:
        services.approve_system(system)
    return system, path


@transaction.atomic
def ensure_demo_system() -> tuple[ConnectedSystem, Path]:
    system, path = ensure_demo_connected_system(
        DEMO_CLIENT_ID, organisation="Ngân hàng TMCP Demo", name="Hệ thống eKYC", kind="bank",
        contact_email="security@demo-bank.invalid",
    )  # fmt: skip
    services.grant(
        system, "kyc-banking", operations=["verify", "lookup", "chip_verify"],
        fields=["full_name", "birth_date", "sex", "permanent_address", "permanent_commune", "status", "ethnicity"],
        status_flag=True, rate_per_second=5000, daily_quota=10_000_000,
    )  # fmt: skip
    services.grant(system, "sim-registration", operations=["verify"], rate_per_second=100, daily_quota=100_000)
    return system, path
