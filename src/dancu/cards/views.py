"""The public face of the chip PKI: the CSCA master list and CRL, as relying parties and the ICAO PKD fetch them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from dancu.cards import pki


@require_GET
@cache_control(public=True, max_age=3600)
def master_list(request: HttpRequest) -> HttpResponse:
    """The CSCA master list (CMS SignedData, content type 2.23.136.1.1.2, DER)."""
    response = HttpResponse(pki.master_list_der(), content_type="application/pkcs7-mime")
    response["Content-Disposition"] = 'attachment; filename="masterlist.ml"'
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def certificate_revocation_list(request: HttpRequest) -> HttpResponse:
    """The CSCA's CRL (DER) with every revoked Document Signer."""
    response = HttpResponse(pki.crl_der(), content_type="application/pkix-crl")
    response["Content-Disposition"] = 'attachment; filename="csca.crl"'
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def csca_certificate(request: HttpRequest) -> HttpResponse:
    """The active CSCA certificate (DER)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return HttpResponse(pki.csca().certificate.public_bytes(Encoding.DER), content_type="application/pkix-cert")
