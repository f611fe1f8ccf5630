"""OpenID Connect provider URLs: django-oauth-toolkit's endpoints with our authorization view; no application
self-service (clients are registered by operators with ``dancu oidc_client`` or in the admin)."""

from __future__ import annotations

from django.urls import path
from oauth2_provider import urls as dot_urls

from dancu.accounts.oidc_views import AuthorizeView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", AuthorizeView.as_view(), name="authorize"),
    *(p for p in dot_urls.base_urlpatterns if p.name in {"token", "revoke-token", "introspect"}),
    *dot_urls.oidc_urlpatterns,
]
