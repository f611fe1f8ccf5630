"""The OpenID Connect provider against an independent client: Authlib's OAuth2Session drives the code flow with
PKCE, a plain HTTP session plays the browser (sign-in form, consent screen), and the ID token is checked with
joserfc against the provider's published JWKS. Then the refusals: wrong redirect_uri, missing PKCE, a replayed
code, a reused refresh token, a tampered ID token, a level-1 account where level 2 is required."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from tests.live import LiveWeb

pytestmark = pytest.mark.slow
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def client(live_web: LiveWeb) -> dict[str, str]:
    import json

    out = live_web.dancu("oidc_client", "add", "--name", "Authlib test RP", "--redirect-uri", REDIRECT)
    return dict(json.loads(out))


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _hidden_fields(html: str) -> dict[str, str]:
    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html.replace("&amp;", "&"))
    }


class Browser:
    """A user agent: follows redirects within the provider, stops at the relying party's redirect URI."""

    def __init__(self, web: LiveWeb) -> None:
        self.web = web
        self.http = requests.Session()

    def sign_in(self, pin: str, password: str, next_url: str = "/portal/") -> requests.Response:
        page = self.http.get(f"{self.web.url}/portal/dang-nhap/")
        return self.http.post(
            f"{self.web.url}/portal/dang-nhap/",
            data={"csrfmiddlewaretoken": _csrf(page.text), "pin": pin, "password": password, "next": next_url},
            allow_redirects=False,
        )

    def authorize(self, url: str, *, allow: bool = True) -> str:
        """Walk the authorization URL to the redirect back to the client; returns that URL."""
        response = self.http.get(url, allow_redirects=False)
        for _ in range(5):
            location = response.headers.get("Location", "")
            if response.status_code in (301, 302) and location.startswith(REDIRECT):
                return location
            if response.status_code in (301, 302):
                response = self.http.get(requests.compat.urljoin(self.web.url, location), allow_redirects=False)
                continue
            assert response.status_code == 200, response.text[:500]
            assert 'id="authorizationForm"' in response.text, "expected the consent screen"
            fields = _hidden_fields(response.text)
            fields["allow"] = "Authorize" if allow else ""
            response = self.http.post(response.url, data=fields, allow_redirects=False)
        raise AssertionError("no redirect back to the client")


def _session(web: LiveWeb, client: dict[str, str], **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client["client_id"],
        client["client_secret"],
        scope="openid profile pin address phone",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
        **kwargs,
    )


def _discovery(web: LiveWeb) -> dict[str, Any]:
    return dict(requests.get(f"{web.url}/o/.well-known/openid-configuration", timeout=10).json())


def _validate_id_token(web: LiveWeb, id_token: str, client_id: str, nonce: str, access_token: str) -> dict[str, Any]:
    meta = _discovery(web)
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    claims = token.claims
    assert claims["iss"] == meta["issuer"]
    assert claims["aud"] == client_id
    assert claims["nonce"] == nonce
    assert claims["exp"] > time.time() > claims["iat"] - 5
    digest = hashlib.sha256(access_token.encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    return dict(claims)


def _code_flow(web: LiveWeb, client: dict[str, str], who: str = "level1") -> tuple[OAuth2Session, dict[str, Any]]:
    browser = Browser(web)
    citizen = web.citizens[who]
    assert browser.sign_in(citizen["pin"], citizen["password"]).status_code == 302
    meta = _discovery(web)
    oauth = _session(web, client)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    back = browser.authorize(url)
    token = oauth.fetch_token(meta["token_endpoint"], authorization_response=back, code_verifier=verifier, state=state)
    return oauth, {"token": dict(token), "nonce": nonce, "browser": browser, "callback": back, "verifier": verifier}


def test_discovery_says_what_we_do(live_web: LiveWeb) -> None:
    """Exactly what the provider supports; each value is exercised by a test of this module."""
    meta = _discovery(live_web)
    assert meta["issuer"] == f"{live_web.url}/o"
    assert meta["response_types_supported"] == ["code"]
    assert meta["response_modes_supported"] == ["query"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]
    assert meta["subject_types_supported"] == ["public"]
    assert meta["scopes_supported"] == ["openid", "profile", "pin", "address", "phone"]
    assert meta["acr_values_supported"] == ["urn:dancu:eid:level1", "urn:dancu:eid:level2"]
    assert meta["prompt_values_supported"] == ["consent", "login"]
    assert meta["end_session_endpoint"] == f"{live_web.url}/o/logout/"
    assert meta["request_uri_parameter_supported"] is False


def test_claims_supported_are_the_claims_we_send(live_web: LiveWeb, client: dict[str, str]) -> None:
    oauth, flow = _code_flow(live_web, client)
    token = flow["token"]
    claims = _validate_id_token(live_web, token["id_token"], client["client_id"], flow["nonce"], token["access_token"])
    userinfo = oauth.get(_discovery(live_web)["userinfo_endpoint"]).json()
    protocol = {"iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "jti", "sid", "azp"}
    sent = (set(claims) | set(userinfo)) - protocol
    assert sent == set(_discovery(live_web)["claims_supported"])


def test_authlib_completes_the_code_flow_with_pkce(live_web: LiveWeb, client: dict[str, str]) -> None:
    oauth, flow = _code_flow(live_web, client)
    token = flow["token"]
    claims = _validate_id_token(live_web, token["id_token"], client["client_id"], flow["nonce"], token["access_token"])
    citizen = live_web.citizens["level1"]
    assert claims["name"] == citizen["full_name"]
    assert claims["pin"] == citizen["pin"]
    assert claims["acr"] == "urn:dancu:eid:level1"
    assert claims["amr"] == ["pwd"]
    userinfo = oauth.get(_discovery(live_web)["userinfo_endpoint"]).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["pin"] == citizen["pin"]
    assert userinfo["phone_number"] == "+84912000001"
    assert "formatted" in userinfo["address"]


def _releases(web: LiveWeb, pin: str) -> list[list[Any]]:
    """The citizen's access records on the live server, newest first: channel, organisation, purpose, fields."""
    import json

    script = (
        "import json\nfrom dancu.exchange.access import records_of\n"
        "rows = records_of(" + repr(pin) + ", limit=1000)\n"
        "print(json.dumps([[r.channel, r.organisation, r.purpose, r.fields] for r in rows]))"
    )
    return list(json.loads(web.dancu("shell", "-c", script).strip().splitlines()[-1]))


def test_every_release_of_claims_is_recorded_for_the_citizen(live_web: LiveWeb, client: dict[str, str]) -> None:
    """The ID token (at the code exchange and at each refresh) and each userinfo answer is one release, recorded
    with the client's name and the data it carried, never the consent screen or a page view."""
    citizen = live_web.citizens["level1"]
    before = len(_releases(live_web, citizen["pin"]))
    oauth, flow = _code_flow(live_web, client)
    endpoint = _discovery(live_web)["userinfo_endpoint"]
    for _ in range(2):
        assert oauth.get(endpoint).status_code == 200
    oauth.refresh_token(_discovery(live_web)["token_endpoint"], refresh_token=flow["token"]["refresh_token"])
    new = _releases(live_web, citizen["pin"])
    new = new[: len(new) - before]
    assert [(r[0], r[1], r[2]) for r in new] == [
        ("sign_in", "Authlib test RP", "sign_in"),  # the refresh's new ID token
        ("sign_in", "Authlib test RP", "userinfo"),
        ("sign_in", "Authlib test RP", "userinfo"),
        ("sign_in", "Authlib test RP", "sign_in"),
    ]
    assert set(new[-1][3]) == {"pin", "full_name", "birth_date", "sex", "permanent_address", "phone"}


def test_consent_is_remembered_then_revocable(live_web: LiveWeb, client: dict[str, str]) -> None:
    oauth, flow = _code_flow(live_web, client)
    browser: Browser = flow["browser"]
    meta = _discovery(live_web)
    # A second authorization for the same scopes goes straight back: no consent screen.
    again = _session(live_web, client)
    url, _ = again.create_authorization_url(meta["authorization_endpoint"], code_verifier="x" * 50, nonce="n")
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith(REDIRECT)
    # Revoked on the Security page: the screen comes back and the client's tokens stop working.
    page = browser.http.get(f"{live_web.url}/portal/bao-mat/")
    # This client's row (the citizen may have allowed other applications in other tests).
    consent_id = re.search(
        r"Authlib test RP <span[^>]*>[^<]*</span></span>\s*<form[^>]*>.*?"
        r'name="action" value="revoke_client"><input type="hidden" name="consent" value="(\d+)"',
        page.text,
        re.S,
    )
    assert consent_id
    browser.http.post(
        f"{live_web.url}/portal/bao-mat/thao-tac/",
        data={"csrfmiddlewaretoken": _csrf(page.text), "action": "revoke_client", "consent": consent_id.group(1)},
    )
    assert oauth.get(meta["userinfo_endpoint"]).status_code == 401
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 200 and 'id="authorizationForm"' in response.text


def test_wrong_redirect_uri_is_refused_without_redirecting(live_web: LiveWeb, client: dict[str, str]) -> None:
    browser = Browser(live_web)
    citizen = live_web.citizens["level1"]
    browser.sign_in(citizen["pin"], citizen["password"])
    query = {
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": "https://evil.example/cb",
        "scope": "openid", "code_challenge": "a" * 43, "code_challenge_method": "S256", "state": "s",
    }  # fmt: skip
    response = browser.http.get(f"{live_web.url}/o/authorize/?{urlencode(query)}", allow_redirects=False)
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")


def test_missing_pkce_is_refused(live_web: LiveWeb, client: dict[str, str]) -> None:
    browser = Browser(live_web)
    citizen = live_web.citizens["level1"]
    browser.sign_in(citizen["pin"], citizen["password"])
    query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT, "scope": "openid"}
    response = browser.http.get(f"{live_web.url}/o/authorize/?{urlencode(query)}", allow_redirects=False)
    assert response.status_code == 302
    params = parse_qs(urlparse(response.headers["Location"]).query)
    assert params["error"] == ["invalid_request"]
    assert params["error_description"] == ["Code challenge required."]


def _authorize_redirect(live_web: LiveWeb, client: dict[str, str], **params: str) -> dict[str, list[str]]:
    """A signed-in browser's authorization request that is refused: the error parameters sent back to the client."""
    browser = Browser(live_web)
    citizen = live_web.citizens["level1"]
    browser.sign_in(citizen["pin"], citizen["password"])
    query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT, "scope": "openid",
             "state": "s", **params}  # fmt: skip
    query = {k: v for k, v in query.items() if v is not None}
    response = browser.http.get(f"{live_web.url}/o/authorize/?{urlencode(query)}", allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    location = urlparse(response.headers["Location"])
    assert location.geturl().startswith(REDIRECT)
    params_back = parse_qs(location.query) | parse_qs(location.fragment)
    assert "code" not in params_back and "access_token" not in params_back and "id_token" not in params_back
    return params_back


@pytest.mark.parametrize("method", ["plain", "", "S512"])
def test_only_s256_pkce_is_accepted(live_web: LiveWeb, client: dict[str, str], method: str) -> None:
    """``plain`` (advertised by nobody here), a missing method (RFC 7636 reads it as plain), or an unknown one."""
    params = {"code_challenge": "a" * 43, "code_challenge_method": method or None}
    back = _authorize_redirect(live_web, client, **params)  # type: ignore[arg-type]
    assert back["error"] == ["invalid_request"]
    assert back["error_description"] == ["Transform algorithm not supported."]
    assert back["state"] == ["s"]


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token", "none"])
def test_only_the_code_response_type_is_accepted(live_web: LiveWeb, client: dict[str, str], response_type: str) -> None:
    challenge = {"code_challenge": "a" * 43, "code_challenge_method": "S256", "nonce": "n"}
    back = _authorize_redirect(live_web, client, response_type=response_type, **challenge)
    # oauthlib answers unsupported_response_type for what it does not know, unauthorized_client for a combination
    # it would hand to the code grant; both are RFC 6749 refusals.
    assert back["error"][0] in {"unsupported_response_type", "unauthorized_client"}


def test_an_unknown_scope_is_refused(live_web: LiveWeb, client: dict[str, str]) -> None:
    back = _authorize_redirect(
        live_web, client, scope="openid email", code_challenge="a" * 43, code_challenge_method="S256"
    )
    assert back["error"] == ["invalid_scope"]


def test_prompt_login_asks_a_signed_in_citizen_to_sign_in_again(live_web: LiveWeb, client: dict[str, str]) -> None:
    """Even with a remembered consent, which otherwise goes straight back to the client."""
    _oauth, flow = _code_flow(live_web, client)
    browser: Browser = flow["browser"]
    url, _ = _session(live_web, client).create_authorization_url(
        _discovery(live_web)["authorization_endpoint"], code_verifier="p" * 50, nonce="n", prompt="login"
    )
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/portal/dang-nhap/"


def test_client_secret_basic_authenticates_at_the_token_endpoint(live_web: LiveWeb, client: dict[str, str]) -> None:
    browser = Browser(live_web)
    citizen = live_web.citizens["level1"]
    browser.sign_in(citizen["pin"], citizen["password"])
    meta = _discovery(live_web)
    oauth = OAuth2Session(
        client["client_id"], client["client_secret"], scope="openid", redirect_uri=REDIRECT,
        code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic",
    )  # fmt: skip
    url, state = oauth.create_authorization_url(meta["authorization_endpoint"], code_verifier="b" * 50, nonce="nb")
    back = browser.authorize(url)
    token = oauth.fetch_token(meta["token_endpoint"], authorization_response=back, code_verifier="b" * 50, state=state)
    claims = _validate_id_token(live_web, token["id_token"], client["client_id"], "nb", token["access_token"])
    assert claims["amr"] == ["pwd"]


def test_a_public_client_authenticates_with_none_and_pkce(live_web: LiveWeb) -> None:
    import json

    public = json.loads(
        live_web.dancu("oidc_client", "add", "--name", "Public test RP", "--public", "--redirect-uri", REDIRECT)
    )
    assert public["client_secret"] is None
    browser = Browser(live_web)
    citizen = live_web.citizens["level1"]
    browser.sign_in(citizen["pin"], citizen["password"])
    meta = _discovery(live_web)
    verifier = secrets.token_urlsafe(48)
    oauth = OAuth2Session(
        public["client_id"], scope="openid", redirect_uri=REDIRECT, code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )  # fmt: skip
    url, _state = oauth.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="np")
    code = parse_qs(urlparse(browser.authorize(url)).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "client_id": public["client_id"]}  # fmt: skip
    wrong = requests.post(meta["token_endpoint"], data={**exchange, "code_verifier": "x" * 50}, timeout=10)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"  # PKCE is its only proof
    code = parse_qs(urlparse(browser.authorize(url)).query)["code"][0]
    token = requests.post(
        meta["token_endpoint"], data={**exchange, "code": code, "code_verifier": verifier}, timeout=10
    ).json()
    _validate_id_token(live_web, token["id_token"], public["client_id"], "np", token["access_token"])


@pytest.mark.parametrize(
    "grant_type", ["password", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]
)
def test_grant_types_not_advertised_are_refused(live_web: LiveWeb, client: dict[str, str], grant_type: str) -> None:
    citizen = live_web.citizens["level1"]
    response = requests.post(
        _discovery(live_web)["token_endpoint"],
        data={"grant_type": grant_type, "username": citizen["pin"], "password": citizen["password"],
              "device_code": "x", "scope": "openid"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert "access_token" not in response.json()


def test_a_code_is_used_once(live_web: LiveWeb, client: dict[str, str]) -> None:
    _oauth, flow = _code_flow(live_web, client)
    code = parse_qs(urlparse(flow["callback"]).query)["code"][0]
    replay = requests.post(
        _discovery(live_web)["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": flow["verifier"],
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_a_reused_refresh_token_kills_the_family(live_web: LiveWeb, client: dict[str, str]) -> None:
    oauth, flow = _code_flow(live_web, client)
    endpoint = _discovery(live_web)["token_endpoint"]
    first = flow["token"]["refresh_token"]
    second = oauth.refresh_token(endpoint, refresh_token=first)
    assert second["refresh_token"] != first
    assert second["id_token"]
    claims = jwt.decode(
        second["id_token"],
        KeySet.import_key_set(requests.get(f"{live_web.url}/o/.well-known/jwks.json", timeout=10).json()),
    ).claims
    assert claims["acr"] == "urn:dancu:eid:level1"
    reuse = requests.post(
        endpoint,
        data={"grant_type": "refresh_token", "refresh_token": first, "client_id": client["client_id"],
              "client_secret": client["client_secret"]},
        timeout=10,
    )  # fmt: skip
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # Reuse detection revoked the whole family: the newest refresh token is dead too.
    latest = requests.post(
        endpoint,
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"],
              "client_id": client["client_id"], "client_secret": client["client_secret"]},
        timeout=10,
    )  # fmt: skip
    assert latest.status_code == 400


def test_a_tampered_id_token_fails_verification(live_web: LiveWeb, client: dict[str, str]) -> None:
    _oauth, flow = _code_flow(live_web, client)
    header, payload, signature = flow["token"]["id_token"].split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(b"level1", b"level2")
    forged = ".".join([header, base64.urlsafe_b64encode(claims).rstrip(b"=").decode(), signature])
    keys = KeySet.import_key_set(requests.get(f"{live_web.url}/o/.well-known/jwks.json", timeout=10).json())
    with pytest.raises(BadSignatureError):
        jwt.decode(forged, keys, algorithms=["RS256"])


def test_level1_account_is_refused_where_level2_is_required(live_web: LiveWeb, client: dict[str, str]) -> None:
    browser = Browser(live_web)
    citizen = live_web.citizens["level1"]
    browser.sign_in(citizen["pin"], citizen["password"])
    oauth = _session(live_web, client)
    url, state = oauth.create_authorization_url(
        _discovery(live_web)["authorization_endpoint"], code_verifier="v" * 50, nonce="n",
        acr_values="urn:dancu:eid:level2",
    )  # fmt: skip
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 302
    params = parse_qs(urlparse(response.headers["Location"]).query)
    assert params["error"] == ["unmet_authentication_requirements"]
    assert params["state"] == [state]


def test_level2_account_steps_up_with_totp_and_gets_level2(live_web: LiveWeb, client: dict[str, str]) -> None:
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    citizen = live_web.citizens["level2"]
    browser = Browser(live_web)
    # The account has an authenticator app: the password alone does not sign in.
    first = browser.sign_in(citizen["pin"], citizen["password"])
    assert "/ma-xac-thuc/" in first.headers["Location"]
    secret = base64.b32decode(citizen["totp_secret_base32"] + "=" * (-len(citizen["totp_secret_base32"]) % 8))
    code = TOTP(secret, 6, SHA1(), 30, enforce_key_length=False).generate(time.time()).decode()
    page = browser.http.get(live_web.url + first.headers["Location"])
    done = browser.http.post(
        page.url, data={"csrfmiddlewaretoken": _csrf(page.text), "code": code}, allow_redirects=False
    )
    assert done.status_code == 302
    oauth = _session(live_web, client)
    meta = _discovery(live_web)
    url, state = oauth.create_authorization_url(
        meta["authorization_endpoint"], code_verifier="w" * 50, nonce="n2", acr_values="urn:dancu:eid:level2"
    )
    back = browser.authorize(url)
    token = oauth.fetch_token(meta["token_endpoint"], authorization_response=back, code_verifier="w" * 50, state=state)
    claims = _validate_id_token(live_web, token["id_token"], client["client_id"], "n2", token["access_token"])
    assert claims["acr"] == "urn:dancu:eid:level2"
    assert claims["amr"] == ["mfa", "otp", "pwd"]
