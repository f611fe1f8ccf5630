"""Electronic results: signed by the issuing agency, checked on the public page and offline, tampering detected,
rendered as a PDF with the signed document inside."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from dancu.core.errors import DomainError
from dancu.procedures import linked, results
from dancu.procedures.models import Document, Dossier
from tests.procedures.test_birth_group import _by_procedure, _declare, family  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _keys(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    results.agency_keys.cache_clear()


@pytest.fixture
def extract(family: dict[str, Any]) -> Document:  # noqa: F811
    birth = _by_procedure(_declare(family))[linked.BIRTH]
    linked.approve_birth(birth.pk, official="hotich")
    return Document.objects.get(pk=Dossier.objects.get(pk=birth.pk).result["document"])


def test_the_birth_extract_is_signed_and_checks(extract: Document) -> None:
    claims = results.verify(extract.token)
    assert claims["data"]["pin"] == extract.subject.pin
    assert claims["issuer"] == "commune_civil_status"
    page = Client().get(f"/ket-qua/{extract.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="check-result"' in html and extract.subject.pin in html


def test_a_tampered_document_fails_everywhere(extract: Document, tmp_path: Path) -> None:
    header, payload, signature = extract.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["data"]["full_name"] = "Người Khác"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    with pytest.raises(DomainError) as refused:
        results.verify(forged)
    assert refused.value.code == "document_signature_invalid"
    response = Client().post("/ket-qua/", {"token": f"http://x/ket-qua/{extract.pk}/#{forged}"})
    assert response.status_code == 400 and 'id="check-error"' in response.content.decode()
    # Offline, with only the published keys and the example script.
    keys = tmp_path / "khoa.json"
    keys.write_text(Client().get("/ket-qua/khoa.json").content.decode())
    script = [sys.executable, str(ROOT / "examples" / "verify_document.py"), "--keys", str(keys)]
    good = subprocess.run([*script, results.qr_text(extract, "http://x/")], capture_output=True, text=True, check=False)
    assert good.returncode == 0 and "VALID" in good.stdout
    bad = subprocess.run([*script, forged], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "INVALID" in bad.stdout


def test_the_pdf_carries_the_signed_document(extract: Document) -> None:
    pdf = results.render_pdf(extract, "http://127.0.0.1:8000/")
    assert pdf.startswith(b"%PDF-")
    assert extract.token.encode() in pdf  # in the document information (Subject)
    assert b"NotoSans" in pdf  # the embedded font that writes Vietnamese
