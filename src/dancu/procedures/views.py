"""Public pages for electronic results: check a document (no sign-in: whoever holds the QR code holds the
document), and the agencies' published keys for offline checks."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dancu.core.errors import DomainError
from dancu.procedures import payments, results
from dancu.procedures.models import Agency, Document, Payment, PaymentStatus


@cache_control(max_age=300, public=True)
def keys(request: HttpRequest) -> JsonResponse:
    return JsonResponse(results.published_keys())


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, document_id: str | None = None) -> HttpResponse:
    """GET /ket-qua/<id>/: the stored document with its signature re-checked. POST a document's text (what the QR
    holds after '#', or the whole scanned text) to check a copy. The verdict carries a stable code
    (``document_valid``, ``document_revoked``, ``document_altered``, ``document_not_recognised``,
    ``document_not_found``); the document's fields come in a fixed, labelled order."""
    context: dict[str, object] = {}
    document = Document.objects.filter(pk=document_id).select_related("dossier").first() if document_id else None
    token = ""
    if request.method == "POST":
        token = request.POST.get("token", "").strip().rsplit("#", 1)[-1]
    elif document is not None:
        token = document.token
    if token:
        try:
            claims = results.verify(token)
        except DomainError as exc:
            context.update(code=exc.code, error=exc.message)
        else:
            stored = Document.objects.filter(pk=claims.get("id")).first()
            revoked = bool(stored and stored.revoked_at)
            context.update(
                code=results.REVOKED if revoked else results.VALID,
                claims=claims,
                title=results.title_of(claims),
                issuer=Agency(claims["issuer"]).label,
                fields=results.fields(claims),
                about=results.about(claims),
                revoked=revoked,
                known=stored is not None,
            )
    elif document_id or request.method == "POST":
        code = "document_not_found" if document_id else results.NOT_RECOGNISED
        message = _("There is no such document.") if document_id else _("This is not a dancu document.")
        context.update(code=code, error=message)
    status = 400 if "error" in context and request.method == "POST" else 404 if "error" in context else 200
    return render(request, "procedures/check.html", context, status=status)


@csrf_exempt  # a server-to-server notification: authenticated by its HMAC signature, not by a browser session
@require_POST
def payment_callback(request: HttpRequest) -> JsonResponse:
    try:
        payment = payments.handle_callback({k: v for k, v in request.POST.items()})
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"ok": True, "status": payment.status})


@require_http_methods(["GET", "POST"])
def simulated_checkout(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The simulated provider's checkout page (what a bank's page would be): pay or cancel, then back to dancu."""
    payment = Payment.objects.filter(pk=payment_id, provider="simulated").first()
    if payment is None:
        raise Http404("No such payment")
    back = request.GET.get("return", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = "/portal/thu-tuc/"
    if request.method == "POST" and payment.status == PaymentStatus.PENDING:
        provider = payments.SimulatedProvider()
        if request.POST.get("action") == "pay":
            notification = provider.charge(payment)
        else:
            fields = {
                "payment": str(payment.pk),
                "amount": str(payment.amount_vnd),
                "reference": "",
                "status": "failed",
            }
            notification = {**fields, "signature": payments.sign_fields(provider.secret(), fields)}
        payments.handle_callback(notification)  # the provider's server-to-server notification
        return HttpResponseRedirect(back)
    return render(request, "procedures/checkout.html", {"payment": payment, "back": back})
