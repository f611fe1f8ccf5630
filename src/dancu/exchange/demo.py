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


def demo_key_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-client" / f"{DEMO_CLIENT_ID}.private.jwk.json"


@transaction.atomic
def ensure_demo_system() -> tuple[ConnectedSystem, Path]:
    services.ensure_reference_data()
    path = demo_key_path()
    if path.exists():
        key = OKPKey.import_key(json.loads(path.read_text()))
    else:
        key = OKPKey.generate_key("Ed25519", parameters={"kid": f"{DEMO_CLIENT_ID}-1", "use": "sig"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(key.as_dict(private=True), indent=1))
        path.chmod(0o600)
    jwks = {"keys": [key.as_dict(private=False)]}
    system = ConnectedSystem.objects.filter(client_id=DEMO_CLIENT_ID).first()
    if system is None:
        system = services.register_system(
            client_id=DEMO_CLIENT_ID, organisation="Ngân hàng TMCP Demo", name="Hệ thống eKYC", kind="bank",
            contact_email="security@demo-bank.invalid", jwks=jwks,
        )  # fmt: skip
    elif system.jwks != jwks:
        services.set_keys(system, jwks)
    for criterion in AssessmentCriterion.objects.all():
        services.record_assessment(
            system, criterion.code, met=True, evidence="Demo: self-declared, not a real assessment.", reviewer="demo"
        )
    if system.status != SystemStatus.APPROVED:
        services.approve_system(system)
    services.grant(
        system, "kyc-banking", operations=["verify", "lookup", "chip_verify"],
        fields=["full_name", "birth_date", "sex", "permanent_address", "permanent_commune", "status", "ethnicity"],
        status_flag=True, rate_per_second=5000, daily_quota=10_000_000,
    )  # fmt: skip
    services.grant(system, "sim-registration", operations=["verify"], rate_per_second=100, daily_quota=100_000)
    return system, path
