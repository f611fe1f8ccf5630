"""The web side's JSON API: ``/api/v1/``, OpenAPI docs at ``/api/docs``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dancu.accounts.services.official_views import OfficialAreaScope
from dancu.core.errors import DomainError
from dancu.exchange.api import router as subscriptions_router
from dancu.exchange.api import schemas_router as life_event_schemas
from dancu.registry.api import router as registry_router
from dancu.registry.api.common import install_area_scope

#: Sent with every 401, so that HTTP clients (curl, browsers, requests) know to answer with Basic credentials.
WWW_AUTHENTICATE = 'Basic realm="dancu"'


class RegistryAPI(NinjaAPI):
    """django-ninja's API, with the one thing its generated document cannot say by itself: the 401's header."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        header = {
            "description": "How to authenticate: HTTP Basic with a back-office account.",
            "schema": {"type": "string", "enum": [WWW_AUTHENTICATE]},
            "required": True,
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                unauthorised = operation.get("responses", {}).get(401)
                if unauthorised is not None:
                    unauthorised["headers"] = {"WWW-Authenticate": header}
        return schema


api = RegistryAPI(
    title="dancu registry API",
    version="1",
    description=(
        "Officials' API of the population registry. Authenticate with HTTP Basic (no CSRF token needed) or a "
        "back-office session (unsafe methods then need the `X-CSRFToken` header). Errors are `{code, message, "
        "field}` with a stable `code` (see docs/api.md); a 422 also lists where the request differs from the schema."
    ),
    urls_namespace="api",
    docs_url="/docs",
)
# The registry's reads stay within each official's area and are recorded for the people they show.
install_area_scope(OfficialAreaScope())
api.add_router("/v1/", registry_router)
api.add_router("/v1/subscriptions/", subscriptions_router)
api.add_router("/v1/life-events/", life_event_schemas)


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
    return _error(api, request, 422, "request_invalid", _("The request does not match the schema."), detail=details)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        api, request, 401, "authentication_required", _("Send HTTP Basic credentials of an active account.")
    )
    response["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # django-ninja's only 400 of its own: a body it cannot parse (its text may quote the body: not echoed).
        return _error(api, request, 400, "json_malformed", _("The request body is not valid JSON."))
    return _error(api, request, exc.status_code, "request_refused", str(exc))
