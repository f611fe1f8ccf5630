"""OpenID Connect provider URLs: django-oauth-toolkit's endpoints with our authorization, token, discovery and logout
views (oidc_views: what we support, and the CSP for cross-origin clients); no application self-service (clients
are registered by operators with ``dancu oidc_client`` or in the admin)."""

from __future__ import annotations

from django.urls import path, re_path
from oauth2_provider import urls as dot_urls

from dancu.accounts.oidc_views import AuthorizeView, DiscoveryView, LogoutView, TokenEndpointView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", AuthorizeView.as_view(), name="authorize"),
    path("token/", TokenEndpointView.as_view(), name="token"),
    *(p for p in dot_urls.base_urlpatterns if p.name in {"revoke-token", "introspect"}),
    *(p for p in dot_urls.oidc_urlpatterns if p.name not in {"oidc-connect-discovery-info", "rp-initiated-logout"}),
    re_path(r"^\.well-known/openid-configuration/?$", DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path("logout/", LogoutView.as_view(), name="rp-initiated-logout"),
]
