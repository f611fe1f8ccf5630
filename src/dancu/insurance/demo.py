"""The demo hospital: Bệnh viện Đa khoa Xanh Pôn as a connected system of kind hospital (keys generated on first
run, kept under var/), onboarded and assessed like the others, with one receptionist."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from dancu.exchange import demo as exchange_demo
from dancu.insurance import services
from dancu.insurance.models import HealthFacility

DEMO_CLIENT_ID = "demo-hospital"
DEMO_FACILITY = "01010"
DEMO_RECEPTIONIST = ("001190000654", "Phạm Thị Lan")
DEMO_USERNAME = "tiepdon"


def demo_key_path() -> Path:
    return exchange_demo.demo_key_path(DEMO_CLIENT_ID)


@transaction.atomic
def ensure_demo_hospital() -> tuple[HealthFacility, Path]:
    system, path = exchange_demo.ensure_demo_connected_system(
        DEMO_CLIENT_ID, organisation="Bệnh viện Đa khoa Xanh Pôn", name="Tiếp đón bảo hiểm y tế", kind="hospital",
        contact_email="it@demo-hospital.invalid",
    )  # fmt: skip
    services.ensure_facilities()
    facility = services.onboard_facility(DEMO_FACILITY, system)
    pin, name = DEMO_RECEPTIONIST
    services.register_receptionist(DEMO_FACILITY, pin=pin, full_name=name, user=_demo_user(name))
    return facility, path


def credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-hospital.json"


def _demo_user(full_name: str) -> Any:
    """The receptionist's sign-in to the front desk (back office, ``tiepdon``), its password generated on first run
    and kept in var/ (never in the repository)."""
    from django.contrib.auth import get_user_model

    path = credentials_file()
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    users = get_user_model()
    user = users.objects.filter(username=DEMO_USERNAME).first()
    if user is None or DEMO_USERNAME not in known:
        password = secrets.token_urlsafe(9)
        family, _, given = full_name.partition(" ")
        user = user or users(username=DEMO_USERNAME)
        user.first_name, user.last_name = given, family
        user.set_password(password)
        user.save()
        known[DEMO_USERNAME] = password
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known))
        path.chmod(0o600)
    return user
