"""What every portal page shares: the signed-in citizen, the request context, the safe ``next`` address."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dancu.accounts.services import sessions, web_sessions
from dancu.accounts.services.context import RequestContext


def _safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address if it stays on this site (Django's own check), else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None, require_https=request.is_secure()):
        return target
    return default


def context_of(request: HttpRequest) -> RequestContext:
    """The request context the account services take, built once per request."""
    if not hasattr(request, "dancu_request_context"):
        request.dancu_request_context = RequestContext.from_request(request)  # type: ignore[attr-defined]
    return request.dancu_request_context  # type: ignore[attr-defined,no-any-return]


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in citizen with an open (not revoked) session; sets ``request.account``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = web_sessions.signed_in(request)
        if found is None:
            if request.user.is_authenticated:
                logout(request)
            return HttpResponseRedirect(reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()}))
        account, session = found
        sessions.seen(session)
        request.account = account  # type: ignore[attr-defined]
        request.account_session = session  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
