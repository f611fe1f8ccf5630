"""The demo's citizens and relying party: accounts with generated passwords (written to var/demo-citizens.json,
never printed to logs), one person left to self-register, and the demo relying-party app's client."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from dancu.accounts import services
from dancu.accounts.clients import register_client
from dancu.accounts.models import Account, Level, TotpDevice
from dancu.cards.models import CardStatus, IdentityCard
from dancu.cards.services import issue_synthetic_cards
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person

DEMO_RP_CLIENT_ID = "demo-rp"


def citizens_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-citizens.json"


def rp_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-rp.json"


def _password() -> str:
    return "Dancu-" + secrets.token_urlsafe(9)


def _candidates(count: int) -> list[Person]:
    today = timezone.localdate()
    adult = date(today.year - 25, today.month, 1)
    return list(
        Person.objects.filter(
            status=LifeStatus.LIVING,
            birth_date__lte=adult,
            household__isnull=False,
            eid_account__isnull=True,
            cards__status=CardStatus.VALID,
            birth_date_precision="day",
        ).order_by("pk")[:count]
    )


def _account(person: Person, password: str, phone: str, level: int) -> Account:
    user = User.objects.create(username=f"eid:{secrets.token_hex(8)}", password=make_password(password))
    account = Account.objects.create(user=user, person=person, phone=phone, level=level)
    if level == Level.TWO:
        account.level2_activated_at = timezone.now()
        account.level2_activated_by = "demo"
        account.save(update_fields=["level2_activated_at", "level2_activated_by"])
    user.username = f"eid:{account.pk}"
    user.save(update_fields=["username"])
    services.record(account, "registered", None, level=level, demo=True)
    return account


def _card_row(person: Person) -> IdentityCard:
    return IdentityCard.objects.get(person=person, status=CardStatus.VALID)


@transaction.atomic
def ensure_demo_citizens(
    *, provider_url: str = "http://127.0.0.1:8000", rp_url: str = "http://127.0.0.1:8002"
) -> dict[str, Any]:
    """Idempotent: reuses var/demo-citizens.json when its accounts still exist."""
    path = citizens_file()
    if path.exists():
        data = json.loads(path.read_text())
        if Account.objects.filter(person__pin=data["level1"]["pin"]).exists():
            ensure_demo_rp(provider_url, rp_url)
            return data  # type: ignore[no-any-return]
    issue_synthetic_cards(seed=1)
    level1, level2, newcomer = _candidates(3)
    p1, p2 = _password(), _password()
    _account(level1, p1, "+84912000001", Level.ONE)
    a2 = _account(level2, p2, "+84912000002", Level.TWO)
    a2.email, a2.email_confirmed_at = "cong-dan-muc-2@example.com", timezone.now()  # notices also by e-mail
    a2.save(update_fields=["email", "email_confirmed_at"])
    secret = secrets.token_bytes(20)
    TotpDevice.objects.create(
        account=a2,
        secret=services._secret_box().seal(b"totp:" + str(a2.pk).encode(), secret),
        confirmed_at=timezone.now(),
    )
    card = _card_row(newcomer)
    data = {
        "note": "Synthetic demo citizens. Passwords are generated on first run; keep this file private.",
        "level1": {"pin": level1.pin, "full_name": level1.full_name, "password": p1},
        "level2": {
            "pin": level2.pin,
            "full_name": level2.full_name,
            "password": p2,
            "totp_secret_base32": base64.b32encode(secret).decode().rstrip("="),
            "email": a2.email,
        },
        "self_registration": {
            "pin": newcomer.pin,
            "full_name": newcomer.full_name,
            "birth_date": newcomer.birth_date.isoformat(),
            "card_issued_on": card.issued_on.isoformat(),
            "phone": "0912000003",
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    path.chmod(0o600)
    ensure_demo_rp(provider_url, rp_url)
    return data


def _loopback_variants(base: str) -> list[str]:
    """The same loopback server answers as 127.0.0.1 and as localhost (passkeys need a host name): allow both."""
    bases = [base]
    for a, b in (("//127.0.0.1", "//localhost"), ("//localhost", "//127.0.0.1")):
        if a in base:
            bases.append(base.replace(a, b))
    return bases


def ensure_demo_rp(provider_url: str, rp_url: str) -> dict[str, Any]:
    """Register the demo relying party, served by ``dancu demo_rp`` on its own origin ``rp_url``, as a client of
    the provider at ``provider_url``. Idempotent; a different ``rp_url`` (another port) re-registers its URIs."""
    path = rp_file()
    provider, base = provider_url.rstrip("/"), rp_url.rstrip("/")
    bases = _loopback_variants(base)
    redirect_uris = " ".join(f"{b}/callback/" for b in bases)
    post_logout_uris = " ".join(f"{b}/" for b in bases)
    app = Application.objects.filter(client_id=DEMO_RP_CLIENT_ID).first()
    if path.exists() and app is not None:
        data: dict[str, Any] = json.loads(path.read_text())
        if data.get("base_url") != base or data.get("provider") != provider:
            app.redirect_uris, app.post_logout_redirect_uris = redirect_uris, post_logout_uris
            app.save(update_fields=["redirect_uris", "post_logout_redirect_uris"])
            data.update(base_url=base, provider=provider)
            path.write_text(json.dumps(data, indent=2))
        return data
    Application.objects.filter(client_id=DEMO_RP_CLIENT_ID).delete()
    app, secret = register_client(
        name="Cổng dịch vụ công (demo)",
        redirect_uris=redirect_uris.split(),
        post_logout_uris=post_logout_uris.split(),
        client_id=DEMO_RP_CLIENT_ID,
    )
    data = {"client_id": app.client_id, "client_secret": secret, "base_url": base, "provider": provider}
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)
    return data
