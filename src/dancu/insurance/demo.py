"""The demo hospital: Bệnh viện Đa khoa Xanh Pôn as a connected system of kind hospital (keys generated on first
run, kept under var/), onboarded and assessed like the others, with one receptionist."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from joserfc.jwk import OKPKey

from dancu.exchange import services as exchange
from dancu.exchange.choices import SystemStatus
from dancu.exchange.models import AssessmentCriterion, ConnectedSystem
from dancu.insurance import services
from dancu.insurance.models import HealthFacility

DEMO_CLIENT_ID = "demo-hospital"
DEMO_FACILITY = "01010"
DEMO_RECEPTIONIST = ("001190000654", "Phạm Thị Lan")


def demo_key_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-client" / f"{DEMO_CLIENT_ID}.private.jwk.json"


@transaction.atomic
def ensure_demo_hospital() -> tuple[HealthFacility, Path]:
    exchange.ensure_reference_data()
    services.ensure_facilities()
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
        system = exchange.register_system(
            client_id=DEMO_CLIENT_ID, organisation="Bệnh viện Đa khoa Xanh Pôn", name="Tiếp đón bảo hiểm y tế",
            kind="hospital", contact_email="it@demo-hospital.invalid", jwks=jwks,
        )  # fmt: skip
    elif system.jwks != jwks:
        exchange.set_keys(system, jwks)
    for criterion in AssessmentCriterion.objects.all():
        exchange.record_assessment(
            system, criterion.code, met=True, evidence="Demo: self-declared, not a real assessment.", reviewer="demo"
        )
    if system.status != SystemStatus.APPROVED:
        exchange.approve_system(system)
    facility = services.onboard_facility(DEMO_FACILITY, system)
    pin, name = DEMO_RECEPTIONIST
    services.register_receptionist(DEMO_FACILITY, pin=pin, full_name=name)
    return facility, path
