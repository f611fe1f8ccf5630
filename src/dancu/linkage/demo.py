"""The demo telecom operator (nhà mạng) with a reconciliation grant under Directive 18 and a sample subscriber file
made from the demo registry (the truth beside it), for ``make demo``: reconcile it with
``dancu linkage submit var/linkage/demo-telecom.csv --system demo-telecom --purpose subscriber-reconciliation
--sector telecom --wait``."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from joserfc.jwk import OKPKey

from dancu.exchange import services
from dancu.exchange.choices import SystemStatus
from dancu.exchange.models import AssessmentCriterion, ConnectedSystem, Purpose
from dancu.linkage import conf, dirty
from dancu.linkage.registry_side import export_registry

DEMO_CLIENT_ID = "demo-telecom"
DEMO_PURPOSE = "subscriber-reconciliation"


@transaction.atomic
def ensure_demo_operator() -> ConnectedSystem:
    """The demo operator, approved, granted reconciliation with PIN correction and the status flag."""
    services.ensure_reference_data()
    Purpose.objects.get_or_create(
        code=DEMO_PURPOSE,
        defaults={
            "name": "Đối soát, làm sạch thông tin thuê bao di động",
            "name_en": "Reconciliation of mobile subscriber data",
            "legal_basis": "Chỉ thị 18/CT-TTg (2023); Nghị định 163/2024/NĐ-CP",
        },
    )
    system = ConnectedSystem.objects.filter(client_id=DEMO_CLIENT_ID).first()
    if system is None:
        key = OKPKey.generate_key("Ed25519", parameters={"kid": f"{DEMO_CLIENT_ID}-1", "use": "sig"})
        system = services.register_system(
            client_id=DEMO_CLIENT_ID, organisation="Nhà mạng Demo", name="Đối soát thuê bao", kind="telecom",
            contact_email="data@demo-telecom.invalid", jwks={"keys": [key.as_dict(private=False)]},
        )  # fmt: skip
    for criterion in AssessmentCriterion.objects.all():
        services.record_assessment(
            system, criterion.code, met=True, evidence="Demo: self-declared, not a real assessment.", reviewer="demo"
        )
    if system.status != SystemStatus.APPROVED:
        services.approve_system(system)
    services.grant(system, DEMO_PURPOSE, operations=["reconcile", "reconcile_pin"], status_flag=True)
    return system


def demo_sample(records: int = 2000) -> Path:
    """The sample subscriber file (and its truth, ``...-truth.csv``), made once from the current registry."""
    directory = conf.linkage_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo-telecom.csv"
    if not path.exists():
        registry, _count = export_registry()
        dirty.generate(registry, path, directory / "demo-telecom-truth.csv", records=records, seed=18)
    return path
