"""E-ID and OpenID Connect benchmarks, side by side in one run on one server (granian WSGI, 2 workers x 1 thread,
the production layout), next to Keycloak's published sizing (15 password logins/s and 120 refreshes/s per vCPU):

1. password sign-ins per second (POST the portal's sign-in form: argon2id check, new session, security event);
2. token refreshes per second (rotating refresh tokens with reuse detection, each issuing a new RS256 ID token);
3. userinfo per second (bearer token check and the registry's claims).

Usage: .venv/bin/python bench/oidc_bench.py [--seconds 15] [--connections 8] [--people 2000]
Builds its own registry in a temporary directory. Load from wrk through shared/tools/http-load (found beside a parent
of the checkout, or $HTTP_LOAD; loopback only).
The per-network sign-in limits are lifted (DANCU_RATE_LIMIT_FACTOR) so that they are not what is measured.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def find_http_load() -> Path:
    """The wrk wrapper: $HTTP_LOAD, else shared/tools/http-load beside any parent of the checkout (../shared from
    /work/main, ../../shared from a worktree under /work/wt), else on PATH."""
    if os.environ.get("HTTP_LOAD"):
        return Path(os.environ["HTTP_LOAD"])
    for parent in ROOT.parents:
        candidate = parent / "shared" / "tools" / "http-load"
        if candidate.exists():
            return candidate
    found = shutil.which("http-load")
    if found:
        return Path(found)
    raise SystemExit("http-load (the wrk wrapper) not found: set HTTP_LOAD=/path/to/http-load")


REDIRECT = "http://127.0.0.1:9/cb"

SIGN_IN_LUA = """
wrk.method = "POST"
wrk.body = "csrfmiddlewaretoken=%s&pin=%s&password=%s&next=/portal/"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=%s"
"""

USERINFO_LUA = """
wrk.headers["Authorization"] = "Bearer %s"
"""

# A pool of refresh tokens: each request takes one, each response gives back the rotated one.
REFRESH_LUA = """
local pool = {%s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local suffix = "&client_id=%s&client_secret=%s"
request = function()
  local token = table.remove(pool)
  if token == nil then token = "exhausted" end
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token .. suffix)
end
local shown = 0
response = function(status, headers, body)
  local token = string.match(body, '"refresh_token": *"([^"]+)"')
  if token then
    table.insert(pool, token)
  elseif shown < 3 then
    shown = shown + 1
    io.stderr:write(status .. " " .. body .. "\\n")
  end
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dancu(env: dict[str, str], *args: str) -> str:
    return subprocess.run([str(BIN / "dancu"), *args], env=env, check=True, capture_output=True, text=True).stdout


def load(url: str, seconds: int, connections: int, script: str) -> dict[str, float]:
    done = subprocess.run(
        [str(find_http_load()), url, str(seconds), str(connections), script], capture_output=True, text=True, check=True
    )
    out = done.stdout
    if done.stderr.strip():
        print(f"{url}: {done.stderr.strip()[:600]}")

    def latency(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def wait_ready(server: subprocess.Popen[bytes], url: str, timeout: float = 120.0) -> None:
    """Wait for a real 200 from ``url``: the port opens before Django is ready, and Django's first request (URL
    resolver, templates, OIDC keys) takes over a second, so a refused connection and a slow answer both mean
    "not yet". Gives up when the server exits or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the web server exited with {server.returncode} before it was ready")
        try:
            response = requests.get(url, timeout=10)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise SystemExit(f"the web server was not ready after {timeout:.0f} s ({last})")


def csrf_pair(base: str) -> tuple[str, str]:
    """A form token and its cookie from an anonymous visit (a sign-in rotates the token, so take a fresh pair)."""
    http = requests.Session()
    page = http.get(f"{base}/portal/dang-nhap/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return token, http.cookies["csrftoken"]


def code_flow(base: str, client: dict[str, str], pin: str, password: str) -> dict[str, str]:
    http = requests.Session()
    page = http.get(f"{base}/portal/dang-nhap/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    http.post(f"{base}/portal/dang-nhap/", data={"csrfmiddlewaretoken": csrf, "pin": pin, "password": password})
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": REDIRECT, "scope": "openid profile",
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "s", "nonce": "n",
    }  # fmt: skip
    response = http.get(f"{base}/o/authorize/?{urlencode(query)}", allow_redirects=False)
    if response.status_code == 200:  # the consent screen, the first time
        fields = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text.replace("&amp;", "&"))
        )
        fields["allow"] = "Authorize"
        response = http.post(response.url, data=fields, allow_redirects=False)
    code = parse_qs(urlparse(response.headers["Location"]).query)["code"][0]
    token = http.post(
        f"{base}/o/token/",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
              "client_id": client["client_id"], "client_secret": client["client_secret"]},
    ).json()  # fmt: skip
    return dict(token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    find_http_load()  # before the setup, not after it
    var = Path(tempfile.mkdtemp(prefix="dancu-oidc-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    env.update(DANCU_VAR_DIR=str(var), DANCU_SECURE_COOKIES="0", DANCU_RATE_LIMIT_FACTOR="1000000")
    started = time.monotonic()
    dancu(env, "migrate", "--no-input", "-v0")
    dancu(env, "load_geo", "-v0")
    dancu(env, "synth", "--people", str(args.people), "--province", "01", "--seed", "5", "-v0")
    dancu(env, "demo_citizens", "--url", base, "-v0")
    client = json.loads(dancu(env, "oidc_client", "add", "--name", "bench", "--redirect-uri", REDIRECT))
    citizen = json.loads((var / "demo-citizens.json").read_text())["level1"]
    print(f"setup {time.monotonic() - started:.1f} s in {var}")
    server = subprocess.Popen(
        [str(BIN / "dancu-serve"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--blocking-threads", "1", "--log-level", "error", "dancu.wsgi:application"],
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_ready(server, f"{base}/o/.well-known/openid-configuration")
        # One refresh token per connection, one for userinfo's access token, and one more: wrk calls request() once
        # before the load starts to check the script, which takes a token from the pool.
        flows = [code_flow(base, client, citizen["pin"], citizen["password"]) for _ in range(args.connections + 2)]
        scripts = Path(tempfile.mkdtemp(prefix="dancu-oidc-lua-"))
        token, cookie = csrf_pair(base)
        (scripts / "signin.lua").write_text(SIGN_IN_LUA % (token, citizen["pin"], citizen["password"], cookie))
        (scripts / "userinfo.lua").write_text(USERINFO_LUA % flows.pop()["access_token"])
        pool = ", ".join(f'"{f["refresh_token"]}"' for f in flows)
        (scripts / "refresh.lua").write_text(REFRESH_LUA % (pool, client["client_id"], client["client_secret"]))
        results = {
            "sign-in": load(f"{base}/portal/dang-nhap/", args.seconds, args.connections, str(scripts / "signin.lua")),
            "userinfo": load(f"{base}/o/userinfo/", args.seconds, args.connections, str(scripts / "userinfo.lua")),
            "refresh": load(f"{base}/o/token/", args.seconds, args.connections, str(scripts / "refresh.lua")),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    keycloak = {"sign-in": 15 * 2, "refresh": 120 * 2, "userinfo": float("nan")}
    print(f"\n{'measure':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  Keycloak sizing for 2 vCPU")
    for name, r in results.items():
        print(f"{name:<10} {r['rps']:>9.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7.0f}  {keycloak[name]:>6}")


if __name__ == "__main__":
    main()
