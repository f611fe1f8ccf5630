"""A demo relying party ("Cổng dịch vụ công (demo)") on its own origin: ``dancu demo_rp`` serves it (port 8002 in
``make demo``) once ``dancu demo_citizens`` has registered it. It signs citizens in through our OpenID Connect provider
with the code flow and PKCE, checks the ID token against the published JWKS, and shows the claims. Written against
the protocol only (HTTP calls, joserfc), like an outside application on another origin, which is what a browser's
Content-Security-Policy checks see; its state lives in signed cookies, not in the provider's session. This module is
also the demo server's URL configuration (``urlpatterns`` below).

Its page is in one language at a time: Vietnamese, or English once the visitor uses its switch (a language cookie of
its own, like every site's; the provider's pages follow the provider's switch)."""

from __future__ import annotations

import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import include, path
from django.views.decorators.http import require_POST
from joserfc import jwt
from joserfc.jwk import KeySet

from dancu.accounts.demo import rp_file
from dancu.accounts.services import ACR_LEVEL2
from dancu.core import base64url

STATE_COOKIE = "demo_rp_flow"
USER_COOKIE = "demo_rp_user"
SALT = "dancu.demo-rp"
CALLBACK = "/callback/"


def _pack(data: dict[str, Any]) -> str:
    """Cookie-safe text (JSON's quotes and commas would be escaped differently by different clients)."""
    return base64url.encode(json.dumps(data).encode())


def _unpack(text: str) -> dict[str, Any]:
    return json.loads(base64url.decode(text))  # type: ignore[no-any-return]


def _with_claims(user: dict[str, Any]) -> dict[str, Any]:
    payload = user["id_token_raw"].split(".")[1]
    user["id_token"] = json.loads(base64url.decode(payload))
    return user


def _config(request: HttpRequest) -> dict[str, Any]:
    file = rp_file()
    if not file.exists():
        raise Http404("demo relying party not registered")
    data = json.loads(file.read_text())
    data["op"] = data["provider"].rstrip("/") + "/o/"
    return data  # type: ignore[no-any-return]


def _home_with(query: dict[str, str]) -> HttpResponseRedirect:
    return HttpResponseRedirect("/?" + urllib.parse.urlencode(query))


def _call(url: str, *, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310 - our own provider's URL
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        return {"error": f"http_{exc.code}", "detail": exc.read().decode(errors="replace")[:500]}


def home(request: HttpRequest) -> HttpResponse:
    config = _config(request)
    user = request.get_signed_cookie(USER_COOKIE, default=None, salt=SALT)
    return render(
        request,
        "accounts/demo_rp.html",
        {
            "user": _with_claims(_unpack(user)) if user else None,
            "config": config,
            "error": request.GET.get("error", ""),
        },
    )


def start(request: HttpRequest) -> HttpResponse:
    config = _config(request)
    verifier = secrets.token_urlsafe(48)
    challenge = base64url.encode(hashlib.sha256(verifier.encode()).digest())
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": config["client_id"],
        "redirect_uri": request.build_absolute_uri(CALLBACK),
        "scope": "openid profile pin address phone",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if request.GET.get("level") == "2":
        params["acr_values"] = ACR_LEVEL2
    response = HttpResponseRedirect(config["op"] + "authorize/?" + urllib.parse.urlencode(params))
    flow = _pack({"state": state, "nonce": nonce, "verifier": verifier})
    response.set_signed_cookie(STATE_COOKIE, flow, salt=SALT, max_age=600, httponly=True, samesite="Lax")
    return response


def callback(request: HttpRequest) -> HttpResponse:
    config = _config(request)
    raw = request.get_signed_cookie(STATE_COOKIE, default=None, salt=SALT, max_age=600)
    if request.GET.get("error"):
        return _home_with({"error": request.GET["error"]})
    if raw is None:
        return _home_with({"error": "flow_expired"})
    flow = _unpack(raw)
    if not secrets.compare_digest(request.GET.get("state", ""), flow["state"]):
        return _home_with({"error": "state_mismatch"})
    tokens = _call(
        config["op"] + "token/",
        data={
            "grant_type": "authorization_code",
            "code": request.GET.get("code", ""),
            "redirect_uri": request.build_absolute_uri(CALLBACK),
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
            "code_verifier": flow["verifier"],
        },
    )
    if "id_token" not in tokens:
        return _home_with({"error": tokens.get("error", "no_token")})
    keys = KeySet.import_key_set(_call(config["op"] + ".well-known/jwks.json"))  # type: ignore[arg-type]
    token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    claims = token.claims
    issuer = config["op"].rstrip("/")
    if claims.get("aud") != config["client_id"] or claims.get("nonce") != flow["nonce"] or claims.get("iss") != issuer:
        return _home_with({"error": "id_token_invalid"})
    userinfo = _call(config["op"] + "userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    response = HttpResponseRedirect("/")
    # Only what the page shows; the ID token was verified above and its claims are re-read from it for display.
    user = {"userinfo": userinfo, "id_token_raw": tokens["id_token"]}
    response.set_signed_cookie(USER_COOKIE, _pack(user), salt=SALT, max_age=3600, httponly=True, samesite="Lax")
    response.delete_cookie(STATE_COOKIE)
    return response


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    config = _config(request)
    raw = request.get_signed_cookie(USER_COOKIE, default=None, salt=SALT)
    response: HttpResponse
    if raw:
        # client_id instead of id_token_hint: the ID token carries personal data and would land in access logs.
        params = {"post_logout_redirect_uri": request.build_absolute_uri("/"), "client_id": config["client_id"]}
        response = HttpResponseRedirect(config["op"] + "logout/?" + urllib.parse.urlencode(params))
    else:
        response = HttpResponseRedirect("/")
    response.delete_cookie(USER_COOKIE)
    return response


#: The page's only style (served by the RP itself: its policy allows no inline style): long tokens and hashes wrap
#: rather than widening a phone's screen.
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0 1rem;line-height:1.5;overflow-wrap:anywhere}"
    "dd{margin-left:1rem}header{text-align:right;padding-top:.5rem}"
)


def stylesheet(request: HttpRequest) -> HttpResponse:
    return HttpResponse(STYLE, content_type="text/css; charset=utf-8")


def elsewhere(request: HttpRequest) -> HttpResponse:
    """Mounted at /demo-rp/ on the provider in demo mode: the relying party is on its own origin."""
    file = rp_file()
    if not file.exists():
        raise Http404("demo relying party not registered")
    return HttpResponseRedirect(json.loads(file.read_text())["base_url"] + "/")


#: The demo relying party's own server (``dancu demo_rp``) uses this module as its URL configuration.
urlpatterns = [
    path("", home),
    path("login/", start),
    path("callback/", callback),
    path("logout/", logout),
    path("rp.css", stylesheet),
    path("i18n/", include("django.conf.urls.i18n")),  # the language switch (its own cookie: see demo_rp command)
]
