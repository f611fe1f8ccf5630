"""``dancu oidc_client add|list|remove``: relying parties of the OpenID Connect provider."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.models import Application

from dancu.accounts.clients import register_client
from dancu.core.errors import DomainError


class Command(BaseCommand):
    help = "Register, list or remove OpenID Connect clients (authorization code + PKCE, RS256 ID tokens)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register a client; prints its id and (confidential) secret once, as JSON")
        add.add_argument("--name", required=True)
        add.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        add.add_argument("--post-logout-uri", action="append", default=[], dest="post_logout_uris")
        add.add_argument("--public", action="store_true", help="A public client (no secret; PKCE only)")
        add.add_argument("--client-id")
        sub.add_parser("list", help="List clients")
        remove = sub.add_parser("remove", help="Remove a client and its tokens")
        remove.add_argument("client_id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            try:
                app, secret = register_client(
                    name=options["name"],
                    redirect_uris=options["redirect_uris"],
                    post_logout_uris=options["post_logout_uris"],
                    confidential=not options["public"],
                    client_id=options["client_id"],
                )
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from None
            self.stdout.write(json.dumps({"client_id": app.client_id, "client_secret": secret}))
        elif action == "list":
            for app in Application.objects.order_by("name"):
                self.stdout.write(f"{app.client_id}\t{app.client_type}\t{app.name}\t{app.redirect_uris}")
        else:
            deleted, _ = Application.objects.filter(client_id=options["client_id"]).delete()
            if not deleted:
                raise CommandError("client_not_found")
            self.stdout.write("removed")
