"""Electronic results: signed by the issuing agency, checked on the public page and offline, tampering detected,
rendered as a PDF with the signed document inside."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client
from django.utils import timezone, translation
from joserfc import jws
from joserfc.jwk import OKPKey

from dancu.core.errors import DomainError
from dancu.procedures import linked, results
from dancu.procedures.models import Document, Dossier
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _keys(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    results.agency_keys.cache_clear()


@pytest.fixture
def extract(family: dict[str, Any]) -> Document:
    birth = factories.dossiers_by_procedure(factories.birth_case(family["account"], family["father"]))[linked.BIRTH]
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
    assert refused.value.code == "document_altered"
    response = Client().post("/ket-qua/", {"token": f"http://x/ket-qua/{extract.pk}/#{forged}"})
    assert response.status_code == 400 and 'data-code="document_altered"' in response.content.decode()
    assert "Người Khác" not in response.content.decode()  # nothing of an altered document is shown as if true
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


# A document signed by the hand-written signer that preceded joserfc (commit 0b3d0a8), under a fixed test key: it must
# keep verifying, and today's signer must produce the same bytes from the same key and claims.
OLD_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OLD_KID = "commune_civil_status-20261204-0a1b2c"
OLD_JWKS = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
                      "kid": OLD_KID, "use": "sig", "agency": "commune_civil_status"}]}  # fmt: skip
OLD_CLAIMS = {
    "id": "01938f7e-0000-7000-8000-000000000001", "kind": "birth-extract",
    "title": "Trích lục khai sinh / Birth extract", "issuer": "commune_civil_status", "dossier": "HS-2026-000001",
    "issued_at": "2026-12-04T18:30:00+07:00",
    "data": {"full_name": "Nguyễn Thị Lan", "pin": "001326000001", "birth_date": "01/12/2026", "sex": "Nữ"},
}  # fmt: skip
OLD_TOKEN = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImNvbW11bmVfY2l2aWxfc3RhdHVzLTIwMjYxMjA0LTBhMWIyYyIsInR5cCI6ImRhbmN1LWRvY3VtZW50In0."
    "eyJkYXRhIjp7ImJpcnRoX2RhdGUiOiIwMS8xMi8yMDI2IiwiZnVsbF9uYW1lIjoiTmd1eeG7hW4gVGjhu4sgTGFuIiwicGluIjoiMDAxMzI2MDAwM"
    "DAxIiwic2V4IjoiTuG7ryJ9LCJkb3NzaWVyIjoiSFMtMjAyNi0wMDAwMDEiLCJpZCI6IjAxOTM4ZjdlLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwM"
    "DAwMSIsImlzc3VlZF9hdCI6IjIwMjYtMTItMDRUMTg6MzA6MDArMDc6MDAiLCJpc3N1ZXIiOiJjb21tdW5lX2NpdmlsX3N0YXR1cyIsImtpbmQiO"
    "iJiaXJ0aC1leHRyYWN0IiwidGl0bGUiOiJUcsOtY2ggbOG7pWMga2hhaSBzaW5oIC8gQmlydGggZXh0cmFjdCJ9."
    "GEh-O99u4L-puRH4mUY9QCT38vsxWKDNGJQEjT84Rm1FVSyJuDM9vhvzyANX6vKGBkFSBncU3s1UjynjZj0hCQ"
)


class _FixedKeys:
    def active(self) -> tuple[str, Ed25519PrivateKey]:
        return OLD_KID, OLD_KEY


def test_a_document_signed_before_joserfc_still_verifies(tmp_path: Path) -> None:
    assert results.verify(OLD_TOKEN, OLD_JWKS) == OLD_CLAIMS
    keys = tmp_path / "khoa.json"
    keys.write_text(json.dumps(OLD_JWKS))
    script = [sys.executable, str(ROOT / "examples" / "verify_document.py"), "--keys", str(keys), OLD_TOKEN]
    checked = subprocess.run(script, capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "VALID" in checked.stdout
    garbled = subprocess.run([*script[:-1], "not-a-document"], capture_output=True, text=True, check=False)
    assert garbled.returncode == 1 and "INVALID" in garbled.stdout and "Traceback" not in garbled.stderr


def test_the_joserfc_signer_writes_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results, "agency_keys", lambda agency: _FixedKeys())
    assert results.sign("commune_civil_status", OLD_CLAIMS) == OLD_TOKEN


def _signed(header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey = OLD_KEY) -> str:
    payload = json.dumps(claims).encode()
    return jws.serialize_compact(header, payload, OKPKey.import_key(key), registry=results._REGISTRY)


def test_rfc_9864_ed25519_verifies_too() -> None:
    token = _signed({"alg": "Ed25519", "kid": OLD_KID, "typ": "dancu-document"}, OLD_CLAIMS)
    assert results.verify(token, OLD_JWKS) == OLD_CLAIMS


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "not.a.jws", "Xin chào", OLD_TOKEN.replace(".", ""),
     _signed({"alg": "EdDSA", "kid": OLD_KID, "typ": "JWT"}, OLD_CLAIMS),  # a signed token, but not a document
     OLD_TOKEN.split(".")[0] + "." + base64.urlsafe_b64encode(b"[1]").decode().rstrip("=") + ".AAAA"],
)  # fmt: skip
def test_what_is_not_a_document(token: str) -> None:
    with pytest.raises(DomainError) as refused:
        results.verify(token, OLD_JWKS)
    assert refused.value.code == "document_not_recognised"


@pytest.mark.parametrize(
    "token",
    [
        OLD_TOKEN[:-4] + "AAAA",  # another signature
        _signed({"alg": "EdDSA", "kid": "someone-else", "typ": "dancu-document"}, OLD_CLAIMS),  # unpublished kid
        _signed({"alg": "EdDSA", "kid": OLD_KID, "typ": "dancu-document"}, {**OLD_CLAIMS, "issuer": "police"}),
        _signed(  # signed by a key that is not the published one
            {"alg": "EdDSA", "kid": OLD_KID, "typ": "dancu-document"}, OLD_CLAIMS, Ed25519PrivateKey.generate()
        ),
    ],
)
def test_what_is_altered(token: str) -> None:
    with pytest.raises(DomainError) as refused:
        results.verify(token, OLD_JWKS)
    assert refused.value.code == "document_altered"


def _verdict(html: str) -> str:
    return html.split('data-code="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_check_page_has_a_clear_verdict_for_each_case(extract: Document, language: str) -> None:
    client = Client()
    client.cookies["django_language"] = language
    valid = client.get(f"/ket-qua/{extract.pk}/").content.decode()
    assert _verdict(valid) == "document_valid"
    garbage = client.post("/ket-qua/", {"token": "Xin chào, đây là một tờ giấy"})
    assert garbage.status_code == 400 and _verdict(garbage.content.decode()) == "document_not_recognised"
    text = "Đây không phải là một văn bản của dancu" if language == "vi" else "This is not a dancu document"
    assert text in garbage.content.decode()
    header, payload, signature = extract.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["data"]["birth_date"] = "2020-01-01"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = client.post("/ket-qua/", {"token": f"{header}.{forged}.{signature}"})
    assert tampered.status_code == 400 and _verdict(tampered.content.decode()) == "document_altered"
    assert ("đã bị sửa đổi" if language == "vi" else "has been altered") in tampered.content.decode()
    missing = client.get("/ket-qua/01938f7e-0000-7000-8000-00000000dead/")
    assert missing.status_code == 404 and _verdict(missing.content.decode()) == "document_not_found"


def test_the_check_page_lists_fields_in_a_fixed_labelled_order(extract: Document) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    html = client.get(f"/ket-qua/{extract.pk}/").content.decode()
    fields = html.split('id="document-fields"', 1)[1].split("</dl>", 1)[0]
    labels = [part.split("</dt>", 1)[0].rsplit(">", 1)[-1] for part in fields.split("<dt")[1:]]
    assert labels == ["Full name", "Personal ID number", "Date of birth", "Sex", "Place of birth", "Mother", "Father"]
    birth = extract.data["birth_date"]
    assert f"{birth[8:10]}/{birth[5:7]}/{birth[:4]}" in fields and birth not in fields  # dd/mm/yyyy, not ISO
    about = html.split('id="document-about"', 1)[1].split("</dl>", 1)[0]
    issued = timezone.localtime(extract.issued_at)
    assert f"{issued:%d/%m/%Y %H:%M}" in about  # Vietnam time, not the signed UTC offset
    assert extract.dossier.number in about and "T" + f"{issued:%H}" not in about


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
@pytest.mark.parametrize(
    ("language", "pin_label", "birth_label"),
    [("vi", "Số định danh cá nhân", "Ngày sinh"), ("en", "Personal ID number", "Date of birth")],
)
def test_the_pdf_is_readable_in_its_language(
    extract: Document, tmp_path: Path, language: str, pin_label: str, birth_label: str
) -> None:
    text = _pdf_text(results.render_pdf(extract, "http://127.0.0.1:8000/", language), tmp_path)
    lines = text.splitlines()
    # Each label and its value on one line, the label whole and apart from the value: nothing overlaps.
    pin_line = next(line for line in lines if extract.subject.pin in line)
    assert re.search(re.escape(pin_label) + r"\s{2,}" + extract.subject.pin, pin_line), pin_line
    birth = extract.data["birth_date"]
    birth_line = next(line for line in lines if birth_label in line)
    assert f"{birth[8:10]}/{birth[5:7]}/{birth[:4]}" in birth_line and birth not in text
    issued = timezone.localtime(extract.issued_at)
    assert f"{issued:%d/%m/%Y %H:%M}" in text  # Vietnam time
    other = "Personal ID number" if language == "vi" else "Số định danh"
    assert other not in text


def test_the_pdf_labels_never_overlap_their_values(extract: Document) -> None:
    """fpdf2 lays out the table; every label's cell ends before its value's cell starts."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("Noto", "B", str(results.FONTS / "NotoSans_700Bold.ttf"))
    pdf.set_font("Noto", "B", 10)
    for language in ("vi", "en"):
        with translation.override(language):
            for key, label in results.LABELS.items():
                words = str(label).split()
                assert max(pdf.get_string_width(w) for w in words) < results.LABEL_WIDTH - 2, (language, key)
