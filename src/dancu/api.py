"""The web side's JSON API: ``/api/v1/``, OpenAPI docs at ``/api/docs``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dancu.core.errors import DomainError
from dancu.registry.api import router as registry_router

api = NinjaAPI(
    title="dancu registry API",
    version="1",
    description=(
        "Officials' API of the population registry. Authenticate with a back-office session (and CSRF token) or "
        "HTTP Basic. Errors are `{code, message, field}` with a stable `code` (see docs/api.md)."
    ),
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("/v1/", registry_router)


def _error(api_: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, **extra: object) -> HttpResponse:
    return api_.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Keep the locations and messages but never echo the submitted values (they may be personal data).
    details = [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    return _error(api, request, 422, "request_invalid", "The request does not match the schema.", detail=details)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(api, request, 401, "authentication_required", "Sign in or send HTTP Basic credentials.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(api, request, exc.status_code, "request_refused", str(exc))
