"""The provider's Content-Security-Policy on the responses that may send the browser back to a relying party.

Every page keeps ``form-action 'self'`` (settings.SECURE_CSP), except the pages whose form submission may end in a
redirect to a client: Chromium checks ``form-action`` on every hop of the redirect chain that follows a form's
POST, so the consent screen, the sign-in, second-factor and step-up pages when they continue an authorization, and
the logout confirmation must also allow the origin of that client's redirect URI. Only that one origin is added, and
only once the URI has been checked against the client's registration (the same check django-oauth-toolkit makes
before it redirects anywhere); nothing from the request is trusted on its own."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.csp import CSP
from oauth2_provider.models import get_application_model

#: An origin as it may appear in a CSP source list: scheme, host name or IP literal, optional port; nothing else.
_ORIGIN = re.compile(r"^https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")
#: How many ``next`` hops are followed (sign-in -> step-up -> authorize at most).
_MAX_HOPS = 3


def origin_of(uri: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URI, or ``None`` when it has none or would not be a plain
    CSP source expression."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")
    return origin if _ORIGIN.match(origin) else None


def authorization_origin(client_id: str, redirect_uri: str) -> str | None:
    """The origin of ``redirect_uri`` if it is registered for ``client_id`` (or, when omitted, the client's only
    registered URI, which is where the provider would redirect), else ``None``."""
    if not client_id:
        return None
    application = get_application_model().objects.filter(client_id=client_id).first()
    if application is None:
        return None
    if not redirect_uri:
        registered = application.redirect_uris.split()
        if len(registered) != 1:
            return None
        redirect_uri = registered[0]
    elif not application.redirect_uri_allowed(redirect_uri):
        return None
    return origin_of(redirect_uri)


def logout_origin(application: Any, post_logout_redirect_uri: str | None) -> str | None:
    """The origin of a post-logout redirect URI registered for ``application``."""
    if application is None or not post_logout_redirect_uri:
        return None
    if not application.post_logout_redirect_uri_allowed(post_logout_redirect_uri):
        return None
    return origin_of(post_logout_redirect_uri)


def origin_for_next(next_url: str) -> str | None:
    """The validated client origin an authorization continued through ``next`` would redirect to: ``next`` is the
    authorization endpoint, or a page of ours whose own ``next`` leads there (sign-in -> step-up -> authorize)."""
    authorize = reverse("oauth2_provider:authorize")
    for _hop in range(_MAX_HOPS):
        if not next_url:
            return None
        parts = urlsplit(next_url)
        if parts.scheme or parts.netloc:  # only our own relative addresses continue an authorization
            return None
        query = parse_qs(parts.query)
        if parts.path == authorize:
            return authorization_origin(query.get("client_id", [""])[0], query.get("redirect_uri", [""])[0])
        next_url = query.get("next", [""])[0]
    return None


def allow_form_action(response: HttpResponseBase, origin: str | None) -> HttpResponseBase:
    """Add ``origin`` to this response's ``form-action`` (through Django's per-response CSP override)."""
    if origin:
        base = getattr(response, "_csp_config", None) or settings.SECURE_CSP
        config = {**base, "form-action": [*base.get("form-action", [CSP.SELF]), origin]}
        response._csp_config = config  # type: ignore[attr-defined]
    return response


def form_action_for_next(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For the sign-in, second-factor and step-up pages: when their ``next`` continues an authorization, their
    form may end in a redirect to the client, whose validated origin is added to ``form-action``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        return allow_form_action(response, origin_for_next(next_url))

    return wrapper
