"""``dancu demo_banner``: print where to go and how to sign in."""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dancu.accounts.demo import citizens_file
from dancu.backoffice.services import DEMO_OFFICIALS, credentials_file
from dancu.exchange.nats.deliveries import nats_subscriptions
from dancu.registry.models import Person


class Command(BaseCommand):
    help = "Print the demo's address, accounts and a few people to look up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--gateway", default="http://127.0.0.1:8001")
        parser.add_argument("--rp", default="http://127.0.0.1:8002/", help="The demo relying party (dancu demo_rp)")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"].rstrip("/")
        known = json.loads(credentials_file().read_text()) if credentials_file().exists() else {}
        sample = Person.objects.filter(household__isnull=False, spouse__isnull=False).order_by("id").first()
        deceased = Person.objects.filter(status="deceased").order_by("id").first()
        lines = [
            "",
            "dancu demo is starting",
            f"  Back office   {url}/",
            f"  API docs      {url}/api/docs",
            f"  Admin         {url}/admin/   (vanhanh onboards connected systems; hotich reads the registry)",
            "",
            "Sign in as one of the demo officials:",
        ]
        for username, full_name, role in DEMO_OFFICIALS:
            lines.append(f"  {username:<8} password {known.get(username, '?'):<14} {full_name} ({role})")
        lines.append("")
        lines.append(f"People: {Person.objects.count():,}. Try:")
        if sample:
            lines.append(f"  a person's page   {url}/persons/{sample.pk}/   (or search {sample.pin} on the home page)")
            password = known.get("tracuu", "PASSWORD")
            lines.append(
                f"  the API           curl -u tracuu:{password} -H 'Content-Type: application/json' "
                f'{url}/api/v1/persons/lookup -d \'{{"pin": "{sample.pin}"}}\''
            )
        if deceased:
            lines.append(f"  a deceased person {url}/persons/{deceased.pk}/")
        lines.append("  search by name without accents, e.g. 'nguyen van' with a date of birth.")
        gateway = options["gateway"].rstrip("/")
        lines += [
            "",
            f"Gateway for connected systems: {gateway}  (OpenAPI {gateway}/openapi.json, docs/integrators.md)",
            "  the demo bank 'demo-bank' signs in with its key in var/demo-client/; verify a person:",
        ]
        if sample:
            lines.append(
                f"  .venv/bin/python examples/client.py --gateway {gateway} --pin {sample.pin} "
                f'--full-name "{sample.full_name}" --birth-date {sample.birth_date.isoformat()} '
                "--lookup permanent_address"
            )
        lines.append("  prove the access ledger afterwards: .venv/bin/dancu ledger verify")
        citizens_path = citizens_file()
        if citizens_path.exists():
            citizens = json.loads(citizens_path.read_text())
            l1, l2, new = citizens["level1"], citizens["level2"], citizens["self_registration"]
            lines += [
                "",
                f"Citizen portal (e-ID sign-in): {url}/portal/   (Tiếng Việt; English one click away)",
                f"  for passkeys open it as {url.replace('127.0.0.1', 'localhost')}/portal/ (no IP addresses)",
                f"  level 1  PIN {l1['pin']}  password {l1['password']}  ({l1['full_name']})",
                f"  level 2  PIN {l2['pin']}  password {l2['password']}  + authenticator app; its TOTP secret "
                f"{l2['totp_secret_base32']} (e.g. oathtool --totp -b SECRET)",
                f"  register {url}/portal/dang-ky/  as {new['full_name']}: PIN {new['pin']}, born {new['birth_date']}, "
                f"card issued {new['card_issued_on']}, phone {new['phone']}; the SMS code lands in var/outbox.jsonl",
                f"OpenID Connect: discovery {url}/o/.well-known/openid-configuration",
                f"  try single sign-on with the demo relying party, on its own origin: {options['rp'].rstrip('/')}/",
                "  (level 2: the second link; it is a separate site, as a real client's would be)",
                "  level-2 activation by the police: sign in to the back office as cutru, open a person's page",
                f"  (passwords also in {citizens_path})",
                f"Online services: as the level-1 citizen, declare a birth or a death at {url}/portal/thu-tuc/;",
                f"  officers take and decide it at {url}/ho-so/ (hotich: civil status, cutru: police, both of the",
                "  level-1 citizen's commune; bhxh: social insurance of its province; each sees only their area);",
                f"  results are signed PDFs in {url}/portal/giay-to/, checkable at {url}/ket-qua/",
            ]
        lines.append(
            f"Programme scoreboard (a simulated year of activity): {url}/chi-so/ as vanhanh (whole country), "
            "drill down to a province and a commune; open data (no sign-in): " + f"{url}/du-lieu-mo/"
        )
        lines += nats_lines()
        lines.append("Stop with Ctrl-C; `make demo` again resumes where it stopped.")
        self.stdout.write("\n".join(lines) + "\n")


def nats_lines() -> list[str]:
    """With ``NATS_URL`` set, the demo runs ``dancu relay``: say where the streams are and how to attach a consumer."""
    url = os.environ.get("NATS_URL")
    if not url:
        return []
    systems = sorted({s.system.client_id for s in nats_subscriptions()})
    client_id = systems[0] if systems else "CLIENT_ID"
    return [
        "",
        f"NATS JetStream at {url}: `dancu relay` publishes the event log (stream DANCU_EVENTS) and each system's",
        "  life events (stream DANCU_DELIVERIES, subjects dancu.deliver.<client id>.>); attach a consumer",
        "  (docs/integrators.md):",
        f"  .venv/bin/python examples/nats_consumer.py --url {url} --client-id {client_id} --password PASSWORD",
        "  (PASSWORD: .venv/bin/dancu nats-config --show-credentials CLIENT_ID on a server configured by nats-config;",
        "  any value on a server without authentication)"
        + ("" if systems else "; no NATS subscription yet: create one with channel nats"),
    ]
