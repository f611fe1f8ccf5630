"""Results as electronic documents: the data signed by the issuing agency (a compact JWS, EdDSA), rendered as a PDF
with a QR code. The QR code holds the public page's address and, after ``#`` (never sent to a server, so no personal
data in access logs), the signed document itself: anyone can check it on the page or offline against the keys
published at ``/ket-qua/khoa.json`` (examples/verify_document.py)."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from fpdf import FPDF
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from dancu.core.crypto import SigningKeys, public_jwk
from dancu.core.errors import DomainError
from dancu.procedures.models import Agency, Document, Dossier

FONTS = Path(__file__).with_name("fonts")


@cache
def agency_keys(agency: str) -> SigningKeys:
    if agency not in Agency.values:
        raise ValueError(agency)
    return SigningKeys(Path(settings.DANCU_KEYS_DIR) / "documents" / f"{agency}.json")


def published_keys() -> dict[str, Any]:
    """Every agency's public keys as a JWKS, with the agency in each key."""
    keys = []
    for agency in Agency.values:
        for kid, key in agency_keys(agency).public_keys().items():
            keys.append({**public_jwk(kid, key), "agency": agency})
    return {"keys": keys}


#: The JWS ``alg`` of result documents. RFC 9864 deprecates "EdDSA" for the fully-specified "Ed25519" (the same
#: signature with an Ed25519 key); documents keep "EdDSA", which every verifier already in the field knows, and both
#: names verify.
ALGORITHM = "EdDSA"
DOCUMENT_TYPE = "dancu-document"


class _DocumentRegistry(jws.JWSRegistry):
    """joserfc's registry, with "EdDSA" read as RFC 9864's Ed25519 (our keys are Ed25519): without joserfc's
    deprecation warning, and without accepting an Ed448 key under that name."""

    algorithms = {**jws.JWSRegistry.algorithms, "EdDSA": jws.JWSRegistry.algorithms["Ed25519"]}


_REGISTRY = _DocumentRegistry(algorithms=["EdDSA", "Ed25519"])


def sign(agency: str, claims: dict[str, Any]) -> str:
    """The claims as a compact JWS signed with the agency's active key (the payload is canonical JSON: sorted keys,
    no spaces, UTF-8)."""
    kid, key = agency_keys(agency).active()
    payload = json.dumps(claims, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    header = {"alg": ALGORITHM, "kid": kid, "typ": DOCUMENT_TYPE}
    return jws.serialize_compact(header, payload, OKPKey.import_key(key, {"kid": kid}), registry=_REGISTRY)


def verify(token: str, jwks: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document's claims if the signature is right under a published key of the issuing agency; raises
    ``document_signature_invalid`` otherwise. Works offline given the JWKS."""
    invalid = DomainError("document_signature_invalid", "The document's signature does not verify.")
    try:
        unverified = jws.extract_compact(token.strip().encode(), registry=_REGISTRY)
        claims = json.loads(unverified.payload)
        if not isinstance(claims, dict) or unverified.headers().get("typ") != DOCUMENT_TYPE:
            raise invalid
        issuer_keys = [k for k in (jwks or published_keys())["keys"] if k.get("agency") == claims.get("issuer")]
        jws.deserialize_compact(token.strip(), KeySet.import_key_set({"keys": issuer_keys}), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError, KeyError):
        raise invalid from None
    return claims


def issue(dossier: Dossier, *, kind: str, title: str, data: dict[str, Any], subject_id: int | None = None) -> Document:
    """Sign and store a result in the applicant's documents (inside the decision's transaction)."""
    document = Document(
        kind=kind, title=title, issuer=dossier.procedure.agency, owner=dossier.applicant, subject_id=subject_id,
        dossier=dossier, data=data, issued_at=timezone.now(),
    )  # fmt: skip
    claims = {
        "id": str(document.id),
        "kind": kind,
        "title": title,
        "issuer": document.issuer,
        "dossier": dossier.number,
        "issued_at": document.issued_at.isoformat(timespec="seconds"),
        "data": data,
    }
    document.token = sign(document.issuer, claims)
    document.save()
    return document


def qr_text(document: Document, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/ket-qua/{document.id}/#{document.token}"


#: The data's labels, in the active language on pages; a PDF carries both (:func:`pdf_label`).
LABELS = {
    "full_name": _("Full name"),
    "pin": _("Personal ID number"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "birth_place": _("Place of birth"),
    "mother": _("Mother"),
    "father": _("Father"),
    "household_number": _("Household number"),
    "address": _("Permanent residence"),
    "card_number": _("Card number"),
    "valid_from": _("Valid from"),
    "valid_to": _("Valid until"),
    "death_date": _("Date of death"),
    "death_place": _("Place of death"),
    "amount_vnd": _("Amount (VND)"),
    "contribution_months": _("Months of contributions"),
    "kind": _("Kind"),
}


def pdf_label(key: str) -> str:
    """A label on the issued PDF: Vietnamese with the English below it in the same cell, as on the identity card."""
    label = LABELS.get(key)
    if label is None:
        return key
    with translation.override("vi"):
        vietnamese = str(label)
    with translation.override("en"):
        english = str(label)
    return f"{vietnamese} / {english}"


def render_pdf(document: Document, base_url: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(document.title)
    pdf.set_author(Agency(document.issuer).label)
    pdf.set_creator("dancu")
    pdf.set_subject(document.token)  # the signed document travels with the file
    pdf.add_font("Noto", "", str(FONTS / "NotoSans_400Regular.ttf"))
    pdf.add_font("Noto", "B", str(FONTS / "NotoSans_700Bold.ttf"))
    pdf.add_page()
    pdf.set_font("Noto", "", 10)
    pdf.cell(0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Noto", "B", 16)
    pdf.multi_cell(0, 9, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", "", 10)
    pdf.cell(0, 6, f"{Agency(document.issuer).label} · {document.issued_at:%d/%m/%Y %H:%M}", align="C",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.cell(0, 6, f"Số hồ sơ / Dossier: {document.dossier.number}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for key, value in document.data.items():
        pdf.set_font("Noto", "B", 10)
        pdf.cell(75, 7, pdf_label(key))
        pdf.set_font("Noto", "", 11)
        pdf.multi_cell(0, 7, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    qr = segno.make(qr_text(document, base_url), error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=4, border=2)
    image.seek(0)
    top = pdf.get_y()
    pdf.image(image, x=pdf.l_margin, y=top, w=50)
    pdf.set_xy(pdf.l_margin + 55, top)
    pdf.set_font("Noto", "", 9)
    pdf.multi_cell(
        0, 5,
        "Văn bản điện tử được ký số bởi cơ quan cấp. Quét mã QR để kiểm tra trên trang công khai, hoặc kiểm tra "
        "ngoại tuyến bằng khóa công khai tại /ket-qua/khoa.json.\nThis electronic document is signed by the issuing "
        "agency. Scan the QR code to verify it, or verify it offline with the published keys.\n"
        f"Mã văn bản: {document.id}",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    return bytes(pdf.output())
