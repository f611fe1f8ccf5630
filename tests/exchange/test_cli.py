"""Onboarding through the CLI: approval only when every criterion is met; refusals are one line."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from joserfc.jwk import ECKey

from dancu.exchange.models import ConnectedSystem
from dancu.exchange.services import DEFAULT_CRITERIA

pytestmark = pytest.mark.django_db


def test_onboarding_flow(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(
        json.dumps({"keys": [ECKey.generate_key("P-256", parameters={"kid": "h1"}).as_dict(private=False)]})
    )
    call_command("exchange", "register", "bv-bachmai", "--organisation", "Bệnh viện Bạch Mai", "--name", "HIS",
                 "--kind", "hospital", "--jwks", str(jwks), stdout=StringIO())  # fmt: skip
    with pytest.raises(CommandError, match=r"^assessment_incomplete: 10 tiêu chí chưa đạt"):
        call_command("exchange", "approve", "bv-bachmai", stdout=StringIO())
    with pytest.raises(CommandError, match=r"^evidence_missing"):
        call_command("exchange", "assess", "bv-bachmai", "pentest", "--met", "--reviewer", "A", stdout=StringIO())
    for code, _text in DEFAULT_CRITERIA:
        call_command("exchange", "assess", "bv-bachmai", code, "--met", "--evidence", "Biên bản số 12",
                     "--reviewer", "Nguyễn Văn Kiểm", stdout=StringIO())  # fmt: skip
    call_command("exchange", "approve", "bv-bachmai", stdout=StringIO())
    call_command("exchange", "grant", "bv-bachmai", "health-insurance", "--operations", "verify", "lookup",
                 "--fields", "full_name", "birth_date", "--rate", "20", stdout=StringIO())  # fmt: skip
    out = StringIO()
    call_command("exchange", "show", "bv-bachmai", stdout=out)
    assert "grant health-insurance: lookup, verify; fields birth_date, full_name; 20/s" in out.getvalue()
    call_command("exchange", "suspend", "bv-bachmai", stdout=StringIO())
    assert ConnectedSystem.objects.get(client_id="bv-bachmai").status == "suspended"


def test_private_keys_and_unknown_systems_are_refused(tmp_path: Path) -> None:
    jwks = tmp_path / "private.json"
    jwks.write_text(json.dumps({"keys": [ECKey.generate_key("P-256", parameters={"kid": "p"}).as_dict(private=True)]}))
    with pytest.raises(CommandError, match=r"^jwks_private"):
        call_command("exchange", "register", "x-bank", "--organisation", "X", "--name", "Y", "--kind", "bank",
                     "--jwks", str(jwks), stdout=StringIO())  # fmt: skip
    with pytest.raises(CommandError, match=r"^system_not_found"):
        call_command("exchange", "approve", "nobody", stdout=StringIO())


def test_admin_form_refuses_private_keys_and_unsupported_findings() -> None:
    from django.core.exceptions import ValidationError

    from dancu.exchange.demo import ensure_demo_system
    from dancu.exchange.models import AssessmentResult

    system, _path = ensure_demo_system()
    system.jwks = {"keys": [{"kty": "OKP", "kid": "x", "crv": "Ed25519", "x": "AA", "d": "BB"}]}
    with pytest.raises(ValidationError, match="khóa công khai"):
        system.full_clean()
    result = AssessmentResult.objects.filter(system=system).first()
    assert result is not None
    result.evidence = " "
    with pytest.raises(ValidationError, match="evidence"):
        result.full_clean()
