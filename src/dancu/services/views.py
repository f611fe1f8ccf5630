"""Public pages for electronic results: check a document (no sign-in: whoever holds the QR code holds the
document), and the agencies' published keys for offline checks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods

from dancu.core.errors import DomainError
from dancu.services import results
from dancu.services.models import Agency, Document


@cache_control(max_age=300, public=True)
def keys(request: HttpRequest) -> JsonResponse:
    return JsonResponse(results.published_keys())


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, document_id: str | None = None) -> HttpResponse:
    """GET /ket-qua/<id>/: the stored document with its signature re-checked. POST a document's text (what the QR
    holds after '#', or the whole scanned text) to check a copy."""
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
            context["error"] = exc.message
        else:
            stored = Document.objects.filter(pk=claims.get("id")).first()
            context.update(
                claims=claims,
                issuer=Agency(claims["issuer"]).label,
                revoked=bool(stored and stored.revoked_at),
                known=stored is not None,
                labels=results.LABELS,
            )
    elif document_id:
        context["error"] = "Không có văn bản này. / No such document."
    status = 400 if "error" in context and request.method == "POST" else 404 if "error" in context else 200
    return render(request, "services/check.html", context, status=status)
