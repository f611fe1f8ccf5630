"""``dancu exchange ...``: onboard and manage connected systems from the command line.

dancu exchange list
dancu exchange register CLIENT_ID --organisation ORG --name NAME --kind bank --jwks keys.json [--email E]
dancu exchange keys CLIENT_ID --jwks keys.json
dancu exchange assess CLIENT_ID CRITERION (--met --evidence TEXT | --not-met) --reviewer NAME
dancu exchange approve CLIENT_ID | suspend CLIENT_ID | retire CLIENT_ID
dancu exchange grant CLIENT_ID PURPOSE --operations verify lookup [--fields f ...] [--status-flag]
                     [--rate N] [--daily N]
dancu exchange show CLIENT_ID
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.errors import DomainError
from dancu.exchange import services
from dancu.exchange.models import AssessmentResult, ConnectedSystem, Grant


class Command(BaseCommand):
    help = "Onboard and manage connected systems (register, keys, assessment, approve, suspend, grants)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="All systems with their status.")
        register = sub.add_parser("register", help="Register a system with its public JWKS.")
        register.add_argument("client_id")
        register.add_argument("--organisation", required=True)
        register.add_argument("--name", required=True)
        register.add_argument("--kind", required=True)
        register.add_argument("--jwks", type=Path, required=True, help="File with the public JWKS.")
        register.add_argument("--email", default="")
        keys = sub.add_parser("keys", help="Replace the public JWKS (rotation).")
        keys.add_argument("client_id")
        keys.add_argument("--jwks", type=Path, required=True)
        assess = sub.add_parser("assess", help="Record one assessment criterion.")
        assess.add_argument("client_id")
        assess.add_argument("criterion")
        met = assess.add_mutually_exclusive_group(required=True)
        met.add_argument("--met", action="store_true")
        met.add_argument("--not-met", action="store_true")
        assess.add_argument("--evidence", default="")
        assess.add_argument("--reviewer", required=True)
        for action in ("approve", "suspend", "retire", "show"):
            sub.add_parser(action).add_argument("client_id")
        grant = sub.add_parser("grant", help="Grant (or change) what a system may do for a purpose.")
        grant.add_argument("client_id")
        grant.add_argument("purpose")
        grant.add_argument("--operations", nargs="+", required=True)
        grant.add_argument("--fields", nargs="*", default=[])
        grant.add_argument("--status-flag", action="store_true")
        grant.add_argument("--rate", type=int, default=50)
        grant.add_argument("--daily", type=int, default=100_000)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"jwks_unreadable: {error}") from None

    def _handle(self, options: dict[str, Any]) -> None:
        action = options["action"]
        services.ensure_reference_data()
        if action == "list":
            for s in ConnectedSystem.objects.all():
                self.stdout.write(f"{s.client_id:<24} {s.status:<10} {s.kind:<9} {s.organisation} / {s.name}")
            return
        if action == "register":
            system = services.register_system(
                client_id=options["client_id"], organisation=options["organisation"], name=options["name"],
                kind=options["kind"], contact_email=options["email"], jwks=json.loads(options["jwks"].read_text()),
            )  # fmt: skip
            self.stdout.write(f"Registered {system.client_id} (pending: record the assessment, then approve).")
            return
        system = services.get_system(options["client_id"])
        if action == "keys":
            services.set_keys(system, json.loads(options["jwks"].read_text()))
        elif action == "assess":
            services.record_assessment(
                system, options["criterion"], met=options["met"], evidence=options["evidence"],
                reviewer=options["reviewer"],
            )  # fmt: skip
        elif action == "approve":
            services.approve_system(system)
        elif action in ("suspend", "retire"):
            services.set_status(system, "suspended" if action == "suspend" else "retired")
        elif action == "grant":
            services.grant(
                system, options["purpose"], operations=options["operations"], fields=options["fields"],
                status_flag=options["status_flag"], rate_per_second=options["rate"], daily_quota=options["daily"],
            )  # fmt: skip
        system.refresh_from_db()
        self.stdout.write(f"{system.client_id}: {system.status}")
        if action == "show":
            for result in AssessmentResult.objects.filter(system=system).select_related("criterion"):
                mark = "met" if result.met else "NOT MET"
                self.stdout.write(f"  {result.criterion.code:<20} {mark:<8} {result.reviewer}")
            for g in Grant.objects.filter(system=system).select_related("purpose"):
                self.stdout.write(
                    f"  grant {g.purpose.code}: {', '.join(g.operations)}; fields {', '.join(g.fields) or '-'}; "
                    f"{g.rate_per_second}/s, {g.daily_quota}/day{'; may see deaths' if g.status_flag else ''}"
                )
        self.stdout.write("Run `dancu project` (or keep `dancu project --follow` running) to reach the gateway.")
