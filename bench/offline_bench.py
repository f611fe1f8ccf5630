"""The offline workspace: the bytes of its first load (the shell and every asset it names, as served, and gzipped as
a web server would send them) and the time to build the working set of the largest commune of the database.

    DANCU_VAR_DIR=var .venv/bin/python bench/offline_bench.py     # after `make demo` built var/

Prints a Markdown table for bench/RESULTS.md. The working set is built with a throw-away device of the commune's
first civil-status officer (``hotich`` in the demo); its access records are rolled back.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from dancu.accounts.models import OfficerDevice  # noqa: E402
from dancu.procedures import offline  # noqa: E402

FLOOR = 500 * 1024  # the limit for the first load


def first_load(user: User) -> tuple[int, int, list[str]]:
    client = Client()
    client.force_login(user)
    page = client.get("/offline/")
    assert page.status_code == 200, page.status_code
    html = page.content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+)"', html)
    raw, packed = len(html), len(gzip.compress(html))
    names = []
    for asset in assets:
        found = finders.find(asset.decode())
        assert found, asset
        data = Path(found).read_bytes()
        raw, packed = raw + len(data), packed + len(gzip.compress(data))
        names.append(asset.decode())
    return raw, packed, names


def main() -> None:
    user = User.objects.filter(username=sys.argv[1] if len(sys.argv) > 1 else "hotich").first()
    assert user is not None, "no such officer: run make demo first"
    raw, packed, names = first_load(user)
    with transaction.atomic():
        device = OfficerDevice.objects.create(user=user, public_key=b"")
        started = time.perf_counter()
        data = offline.working_set(user, device)
        took = time.perf_counter() - started
        people = sum(len(h["members"]) for h in data["households"])
        transaction.set_rollback(True)
    print("| measure | value | floor | ratio |")
    print("|---|---|---|---|")
    print(f"| first load, as served ({len(names) + 1} files) | {raw / 1024:,.0f} KiB | 500 KiB | {raw / FLOOR:.2f} |")
    print(f"| first load, gzipped | {packed / 1024:,.0f} KiB | 500 KiB | {packed / FLOOR:.2f} |")
    print(f"| working set: {len(data['households']):,} households, {people:,} people | {took:.2f} s | | |")


if __name__ == "__main__":
    main()
