"""``dancu oidc_keys rotate|show``: the OpenID Connect provider's signing keys (see accounts/oidc_keys.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dancu.accounts import oidc_keys


class Command(BaseCommand):
    help = "Rotate the ID-token signing key (the old one stays in the JWKS); restart web workers to sign with the new."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate", "show"])

    def handle(self, *args: Any, **options: Any) -> None:
        from jwcrypto.jwk import JWK

        if options["action"] == "rotate":
            retired = oidc_keys.rotate(settings.DANCU_KEYS_DIR)
            self.stdout.write(f"retired {retired.name}; restart the web workers to sign with the new key")
        active, retired_keys = oidc_keys.load(settings.DANCU_KEYS_DIR)
        for label, pem in [("active", active), *(("retired", p) for p in retired_keys)]:
            self.stdout.write(f"{label}\t{JWK.from_pem(pem.encode()).thumbprint()}")
