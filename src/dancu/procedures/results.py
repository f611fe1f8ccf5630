"""Results as electronic documents: the data signed by the issuing agency (a compact JWS, EdDSA), rendered as a PDF
with a QR code. The QR code holds the public page's address and, after ``#`` (never sent to a server, so no personal
data in access logs), the signed document itself: anyone can check it on the page or offline against the keys
published at ``/ket-qua/khoa.json`` (examples/verify_document.py)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from fpdf import FPDF
from fpdf.fonts import FontFace
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from dancu.core.crypto import SigningKeys, public_jwk
from dancu.core.errors import DomainError
from dancu.core.money import format_vnd
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


#: The verdicts of a check, each with its stable code (on the page as ``data-code``, and as the error's code).
VALID = "document_valid"
REVOKED = "document_revoked"
NOT_RECOGNISED = "document_not_recognised"
ALTERED = "document_altered"


def verify(token: str, jwks: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document's claims if the signature is right under a published key of the issuing agency. Raises
    ``document_not_recognised`` for text that is not a dancu document at all (not a signed document of our type), and
    ``document_altered`` for a dancu document whose signature does not verify under its issuer's keys (changed after
    signing, or signed by someone else). Works offline given the JWKS."""
    not_recognised = DomainError(NOT_RECOGNISED, _("This is not a dancu document."))
    try:
        unverified = jws.extract_compact(token.strip().encode(), registry=_REGISTRY)
        claims = json.loads(unverified.payload)
        typ = unverified.headers().get("typ")
    except (JoseError, ValueError, TypeError, KeyError):
        raise not_recognised from None
    if not isinstance(claims, dict) or typ != DOCUMENT_TYPE:
        raise not_recognised
    try:
        issuer_keys = [k for k in (jwks or published_keys())["keys"] if k.get("agency") == claims.get("issuer")]
        jws.deserialize_compact(token.strip(), KeySet.import_key_set({"keys": issuer_keys}), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError, KeyError):
        raise DomainError(
            ALTERED,
            _("This document has been altered, or was not issued by a dancu agency: its signature does not verify."),
        ) from None
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


#: The data of every kind of result, in the order a reader expects it; a field a kind does not have is skipped.
LABELS: dict[str, Any] = {
    "full_name": gettext_lazy("Full name"),
    "pin": gettext_lazy("Personal ID number"),
    "birth_date": gettext_lazy("Date of birth"),
    "sex": gettext_lazy("Sex"),
    "birth_place": gettext_lazy("Place of birth"),
    "mother": gettext_lazy("Mother"),
    "father": gettext_lazy("Father"),
    "household_number": gettext_lazy("Household number"),
    "address": gettext_lazy("Permanent residence"),
    "card_number": gettext_lazy("Health-insurance card number"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_to": gettext_lazy("Valid until"),
    "death_date": gettext_lazy("Date of death"),
    "death_place": gettext_lazy("Place of death"),
    "amount_vnd": gettext_lazy("Amount"),
    "contribution_months": gettext_lazy("Months of social-insurance contributions"),
    "kind": pgettext_lazy("survivor benefit", "Kind"),
}
#: Each kind of result's title in the reader's language (the signed title is bilingual).
TITLES: dict[str, Any] = {
    "birth-extract": gettext_lazy("Birth extract"),
    "residence-confirmation": gettext_lazy("Residence confirmation"),
    "health-insurance-card": gettext_lazy("Health-insurance card"),
    "death-extract": gettext_lazy("Death extract"),
    "funeral-allowance": gettext_lazy("Funeral allowance decision"),
    "survivor-benefit": gettext_lazy("Survivor benefit decision"),
}
_DATES = {"birth_date", "valid_from", "valid_to", "death_date"}


def human_date(value: object) -> str:
    """An ISO date (or a date already written dd/mm/yyyy) as dd/mm/yyyy."""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    try:
        return f"{date.fromisoformat(str(value)):%d/%m/%Y}"
    except ValueError:
        return str(value)


def human_time(value: object) -> str:
    """A signed ISO timestamp in Vietnam time (Asia/Ho_Chi_Minh, like every page), as dd/mm/yyyy HH:MM."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}"


def _human_value(key: str, value: object) -> str:
    if value in (None, ""):
        return "—"
    if key in _DATES:
        return human_date(value)
    if key == "amount_vnd":
        try:
            return format_vnd(int(str(value).replace(",", "").replace(".", "")), translation.get_language() or "vi")
        except ValueError:
            return str(value)
    return str(value)


def title_of(claims: dict[str, Any]) -> str:
    return str(TITLES[claims["kind"]]) if claims.get("kind") in TITLES else str(claims.get("title", ""))


def fields(claims: dict[str, Any]) -> list[tuple[str, str]]:
    """The document's data as (label, value) pairs in the active language, in a fixed order: the known fields in
    the order of ``LABELS``, then any other field by its key."""
    data = claims.get("data") or {}
    known = [(str(label), _human_value(key, data[key])) for key, label in LABELS.items() if key in data]
    return known + [(key, _human_value(key, data[key])) for key in sorted(data) if key not in LABELS]


def about(claims: dict[str, Any]) -> list[tuple[str, str]]:
    """Who issued the document, when (Vietnam time), for which dossier, and its number."""
    issuer = claims.get("issuer")
    return [
        (_("Issued by"), str(Agency(issuer).label) if issuer in Agency.values else str(issuer)),
        (_("Issued on"), human_time(claims.get("issued_at", ""))),
        (_("Dossier number"), str(claims.get("dossier", ""))),
        (_("Document number"), str(claims.get("id", ""))),
    ]


LABEL_WIDTH = 62  # mm: the longest label of LABELS in either language fits on two lines at most


def render_pdf(document: Document, base_url: str, language: str | None = None) -> bytes:
    """The result as an A4 PDF in the given language (the active one by default): labels beside their values in a
    table (a long label wraps in its own column, never over the value), dates dd/mm/yyyy, times in Vietnam time."""
    with translation.override(language or translation.get_language() or "vi"):
        return _render_pdf(document, base_url)


def _render_pdf(document: Document, base_url: str) -> bytes:
    claims = {"kind": document.kind, "title": document.title, "issuer": document.issuer,
              "issued_at": document.issued_at.isoformat(), "dossier": document.dossier.number,
              "id": str(document.id), "data": document.data}  # fmt: skip
    title = title_of(claims)
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author(str(Agency(document.issuer).label))
    pdf.set_creator("dancu")
    pdf.set_lang(translation.get_language() or "vi")
    pdf.set_subject(document.token)  # the signed document travels with the file
    pdf.add_font("Noto", "", str(FONTS / "NotoSans_400Regular.ttf"))
    pdf.add_font("Noto", "B", str(FONTS / "NotoSans_700Bold.ttf"))
    pdf.add_page()
    pdf.set_font("Noto", "B", 10)
    pdf.cell(0, 6, _("SOCIALIST REPUBLIC OF VIETNAM"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", "", 10)
    pdf.cell(0, 6, _("Independence - Freedom - Happiness"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Noto", "B", 16)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Noto", "", 10)
    body = pdf.epw - LABEL_WIDTH
    with pdf.table(
        col_widths=(LABEL_WIDTH, body), width=pdf.epw, first_row_as_headings=False, borders_layout="HORIZONTAL_LINES",
        line_height=6, padding=(1.5, 2, 1.5, 0), v_align="TOP", text_align=("LEFT", "LEFT"),
    ) as table:  # fmt: skip
        for label, value in fields(claims):
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(value)
    pdf.ln(4)
    pdf.set_font("Noto", "", 9)
    for label, value in about(claims):
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    qr = segno.make(qr_text(document, base_url), error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=4, border=2)
    image.seek(0)
    if pdf.get_y() + 50 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(image, x=pdf.l_margin, y=top, w=50)
    pdf.set_xy(pdf.l_margin + 55, top)
    pdf.multi_cell(
        0, 5,
        _("This electronic document is signed by the issuing agency. Scan the QR code to check it on the public "
          "page, or check it offline with the published keys at /ket-qua/khoa.json."),
        align="L", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    return bytes(pdf.output())
