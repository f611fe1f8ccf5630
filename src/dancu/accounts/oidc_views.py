"""The authorization endpoint as citizens meet it: sign in with the e-ID, step up to level 2 when a client asks for
it, and a consent screen per client that is remembered until the citizen revokes it in the portal."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse, reverse_lazy
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.views import AuthorizationView, ConnectDiscoveryInfoView, RPInitiatedLogoutView, TokenView

from dancu.accounts import oidc_csp, services
from dancu.accounts.models import Account, ClientConsent
from dancu.accounts.oidc import GRANT_TYPES, RESPONSE_TYPES
from dancu.accounts.services import client_consents
from dancu.accounts.services.context import RequestContext
from dancu.exchange.choices import data_names

ACR_VALUES = (services.ACR_LEVEL1, services.ACR_LEVEL2)


class AuthorizeView(AuthorizationView):
    template_name = "accounts/authorize.html"
    login_url = reverse_lazy("portal:login")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            found = services.signed_in(request)
            if found is None:  # an official's session, or a revoked one: the citizen must sign in
                logout(request)
            else:
                account = found[0]
                self.account = account
                amr = list(request.session.get("amr", []))
                request.user.dancu_auth = {"acr": services.acr_for(account, amr), "amr": amr}  # type: ignore[union-attr]
        response = super().dispatch(request, *args, **kwargs)
        # The consent screen's POST (and a remembered consent's redirect) ends at the client's redirect URI.
        params = request.POST if request.method == "POST" else request.GET
        origin = oidc_csp.authorization_origin(params.get("client_id", ""), params.get("redirect_uri", ""))
        return oidc_csp.allow_form_action(response, origin)  # type: ignore[return-value]

    def _unmet(self, credentials: dict[str, Any], description: str) -> HttpResponse:
        query = {"error": "unmet_authentication_requirements", "error_description": description}
        if credentials.get("state"):
            query["state"] = credentials["state"]
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        return self.redirect(f"{credentials['redirect_uri']}?{urlencode(query)}", application)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        wanted = request.GET.get("acr_values", "").split()
        if services.ACR_LEVEL2 in wanted and services.ACR_LEVEL1 not in wanted:
            account: Account = self.account
            if account.level < 2:
                return self._unmet(credentials, "This service needs a level-2 e-ID account (activated in person).")
            amr = list(request.session.get("amr", []))
            if services.acr_for(account, amr) != services.ACR_LEVEL2:
                return HttpResponseRedirect(
                    reverse("portal:step_up") + "?" + urlencode({"next": request.get_full_path()})
                )
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        remembered = ClientConsent.objects.filter(
            account=self.account, application=application, revoked_at__isnull=True
        ).first()
        if (
            remembered is not None
            and set(scopes) <= set(remembered.scopes)
            and not {"consent", "login"} & set(request.GET.get("prompt", "").split())
        ):  # prompt=consent shows the screen again, prompt=login signs in again (handled by the toolkit's view)
            try:
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
                )
            except OAuthToolkitError as error:
                return self.error_response(error, application)
            return self.redirect(uri, application)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["account"] = self.account
        # What the application will receive, as data names in the reader's language (not the scopes' descriptions).
        context["data_names"] = data_names(client_consents.scope_data(list(context.get("scopes") or [])))
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data.get("allow") and isinstance(response, HttpResponse) and response.status_code in (302, 200):
            application = get_application_model().objects.get(client_id=form.cleaned_data["client_id"])
            client_consents.remember_client_consent(
                self.account,
                application,
                form.cleaned_data.get("scope", "").split(),
                RequestContext.from_request(self.request),
            )
        return response


class LogoutView(RPInitiatedLogoutView):
    """RP-initiated logout whose confirmation form may redirect to the client's registered post-logout URI."""

    def validate_logout_request(self, id_token_hint: Any, client_id: Any, post_logout_redirect_uri: Any) -> Any:
        application, token_user = super().validate_logout_request(
            id_token_hint=id_token_hint, client_id=client_id, post_logout_redirect_uri=post_logout_redirect_uri
        )
        self.form_action_origin = oidc_csp.logout_origin(application, post_logout_redirect_uri)
        return application, token_user

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form_action_origin = None
        response = super().dispatch(request, *args, **kwargs)
        return oidc_csp.allow_form_action(response, self.form_action_origin)  # type: ignore[return-value]


#: What the token endpoint accepts: django-oauth-toolkit reads a secret from the body or from HTTP Basic, and a
#: public client (registered without a secret) authenticates with nothing but its client_id and PKCE.
TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


class TokenEndpointView(TokenView):
    """django-oauth-toolkit's token endpoint, without its device-code shortcut (which answers 404 for an unknown
    device code before oauthlib would refuse the grant): we do not offer the device flow."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("grant_type") == DEVICE_CODE:
            return JsonResponse(
                {"error": "unsupported_grant_type", "error_description": "The device flow is not offered."},
                status=400,
            )
        return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]


class DiscoveryView(ConnectDiscoveryInfoView):
    """OpenID Provider Metadata saying exactly what this provider does (each value is exercised by a test)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            {
                "response_types_supported": RESPONSE_TYPES,
                "response_modes_supported": ["query"],
                "grant_types_supported": GRANT_TYPES,
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": TOKEN_ENDPOINT_AUTH_METHODS,
                "acr_values_supported": list(ACR_VALUES),
                "claims_supported": sorted(data["claims_supported"]),
                "prompt_values_supported": ["consent", "login"],
                "claims_parameter_supported": False,
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
            }
        )
        data.pop("client_id_metadata_document_supported", None)
        out = JsonResponse(data)
        out["Access-Control-Allow-Origin"] = "*"
        return out
