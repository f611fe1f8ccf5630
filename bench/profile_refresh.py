"""Profile token refreshes in-process (cProfile, Django's test client) on a registry made by oidc_bench.py.

Usage: .venv/bin/python bench/profile_refresh.py VAR_DIR   (the temporary directory oidc_bench.py printed)
Prints the time per refresh and the top functions by cumulative and own time.
"""

from __future__ import annotations

import base64
import cProfile
import hashlib
import json
import os
import pstats
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

REDIRECT = "http://127.0.0.1:9/cb"


def main(var_dir: str) -> None:
    os.environ.update(DANCU_VAR_DIR=var_dir, DANCU_SECURE_COOKIES="0", DANCU_RATE_LIMIT_FACTOR="100000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    import django

    django.setup()
    from django.test import Client

    from dancu.accounts.clients import register_client

    app, secret = register_client(name="profile", redirect_uris=[REDIRECT])
    citizen = json.loads((Path(var_dir) / "demo-citizens.json").read_text())["level1"]
    client = Client()
    client.post("/portal/dang-nhap/", {"pin": citizen["pin"], "password": citizen["password"]})
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT, "scope": "openid profile",
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "s", "nonce": "n",
    })  # fmt: skip
    response: Any = client.get(f"/o/authorize/?{query}")
    if response.status_code == 200:
        html = response.content.decode().replace("&amp;", "&")
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        response = client.post(f"/o/authorize/?{query}", {**fields, "allow": "Authorize"})
    code = parse_qs(urlparse(response["Location"]).query)["code"][0]
    token = client.post(
        "/o/token/",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
         "client_id": app.client_id, "client_secret": secret},
    ).json()  # fmt: skip
    state = {"refresh": token["refresh_token"]}

    def refresh(n: int) -> None:
        for _ in range(n):
            answer = client.post(
                "/o/token/",
                {"grant_type": "refresh_token", "refresh_token": state["refresh"], "client_id": app.client_id,
                 "client_secret": secret},
            ).json()  # fmt: skip
            state["refresh"] = answer["refresh_token"]

    refresh(5)
    started = time.perf_counter()
    refresh(50)
    print(f"{(time.perf_counter() - started) * 1000 / 50:.1f} ms per refresh")
    profile = cProfile.Profile()
    profile.runcall(refresh, 50)
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(sys.argv[1])
