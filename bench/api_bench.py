"""Benchmarks on a populated SQLite registry (made by synth_bench.py --keep DIR):

1. reading the whole event log by sequence (in process), events/s;
2. person by PIN through the API (granian WSGI, 2 workers, session auth), random PINs, with wrk through
   ../shared/tools/http-load: requests/s, p50 and p99 latency.

Usage: .venv/bin/python bench/api_bench.py --var-dir /tmp/bench1m [--seconds 20] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8011


def setup_django(var_dir: Path) -> None:
    os.environ["DANCU_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    import django

    django.setup()


def bench_event_log() -> None:
    from dancu.events.services import read_events

    started = time.perf_counter()
    count = 0
    for _event in read_events(0, batch_size=10_000):
        count += 1
    elapsed = time.perf_counter() - started
    print(f"event log: read {count:,} events by sequence in {elapsed:.1f} s = {count / elapsed:,.0f} events/s")


def session_cookie() -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from dancu.backoffice.services import ensure_roles

    groups = ensure_roles()
    user, _ = User.objects.get_or_create(username="bench-viewer")
    user.set_unusable_password()
    user.save()
    user.groups.set([groups["viewer"]])
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def bench_person_by_pin(var_dir: Path, seconds: int, connections: int) -> None:
    from dancu.registry.models import Person

    total = Person.objects.count()
    ids = random.Random(1).sample(range(1, total + 1), 20_000)
    pins = list(Person.objects.filter(id__in=ids).values_list("pin", flat=True))
    cookie = session_cookie()
    # Session authentication with Django's CSRF check on POST: a token in the cookie and the same in the header.
    csrf = "benchcsrf0123456789abcdef0123456"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("pins = {" + ",".join(f'"{p}"' for p in pins) + "}\n")
        script.write('wrk.method = "POST"\n')
        script.write(f'wrk.headers["Cookie"] = "{cookie}; csrftoken={csrf}"\n')
        script.write(f'wrk.headers["X-CSRFToken"] = "{csrf}"\n')
        script.write('wrk.headers["Content-Type"] = "application/json"\n')
        script.write(
            "request = function()\n"
            "  local body = '{\"pin\": \"' .. pins[math.random(#pins)] .. '\"}'\n"
            '  return wrk.format("POST", "/api/v1/persons/lookup", nil, body)\n'
            "end\n"
        )
    env = dict(os.environ, DANCU_VAR_DIR=str(var_dir))
    threads = os.environ.get("BENCH_THREADS", "1")  # blocking threads per granian worker
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/dancu-serve"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(PORT),
         "--workers", "2", "--blocking-threads", threads, "--log-level", "error", "dancu.wsgi:application"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(50):
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{PORT}/api/v1/persons/lookup",
                    data=json.dumps({"pin": pins[0]}).encode(),
                    headers={"Cookie": f"{cookie}; csrftoken={csrf}", "X-CSRFToken": csrf,
                             "Content-Type": "application/json"},
                )  # fmt: skip
                with urllib.request.urlopen(request, timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.3)
        load = [str(ROOT.parent / "shared/tools/http-load"), f"http://127.0.0.1:{PORT}/"]
        load += [str(seconds), str(connections), script.name]
        out = subprocess.run(load, capture_output=True, text=True, check=True).stdout
    finally:
        server.terminate()
        server.wait(10)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"(?m)^\s+50%\s+(\S+)", out)
    p99 = re.search(r"(?m)^\s+99%\s+(\S+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    print(
        f"person by PIN (API, {total:,} people, random PINs, {connections} connections, {seconds} s): "
        f"{float(rps.group(1)) if rps else 0:,.0f} req/s, p50 {p50.group(1) if p50 else '?'}, "
        f"p99 {p99.group(1) if p99 else '?'}, non-2xx {errors.group(1) if errors else 0}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    setup_django(args.var_dir)
    bench_event_log()
    bench_person_by_pin(args.var_dir, args.seconds, args.connections)


if __name__ == "__main__":
    main()
