"""``dancu insurance ...``: the social-insurance record, for operators.

dancu insurance facilities                 the reference health facilities (idempotent)
dancu insurance load [--active 0.86 --expired 0.03 --ended 0.03 --suspended 0.01 --revoked 0.005
                     --other-name 0.01] [--seed 6]       a participation for each person without one (resumable)
dancu insurance simulate [--days 30] [--per-day 200] [--province 01] [--mix "000=0.7,050=0.3"] [--seed 21]
dancu insurance kpis [--days 30]           success rate and failure reasons by facility
dancu insurance demo                       the demo hospital (connected system) and its receptionist
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.insurance import services


class Command(BaseCommand):
    help = "Health insurance: facilities, bulk load, simulated check-ins, KPIs, the demo hospital."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("facilities", help="The reference health facilities.")
        load = sub.add_parser("load", help="Social-insurance records for the registry's people, by a mix.")
        defaults = services.Mix()
        for name in ("active", "expired", "ended", "suspended", "revoked", "other_name"):
            load.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
        load.add_argument("--seed", type=int, default=6)
        simulate = sub.add_parser("simulate", help="A simulated period of check-ins with a realistic failure mix.")
        simulate.add_argument("--days", type=int, default=30)
        simulate.add_argument("--per-day", type=int, default=200)
        simulate.add_argument("--province", default="01")
        simulate.add_argument("--mix", default="")
        simulate.add_argument("--seed", type=int, default=21)
        kpis = sub.add_parser("kpis", help="Success rate and failure reasons by facility.")
        kpis.add_argument("--days", type=int, default=30)
        sub.add_parser("demo", help="The demo hospital and its receptionist.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

    def _facilities(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"{services.ensure_facilities()} facilities")

    def _load(self, options: dict[str, Any]) -> None:
        shares = {name: options[name] for name in ("active", "expired", "ended", "suspended", "revoked")}
        if min(shares.values()) < 0 or sum(shares.values()) > 1 or not 0 <= options["other_name"] <= 1:
            raise CommandError("mix_invalid: shares are between 0 and 1 and add up to at most 1.")
        counts = services.load(mix=services.Mix(**shares, other_name=options["other_name"]), seed=options["seed"])
        self.stdout.write(", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "nothing to load")

    def _simulate(self, options: dict[str, Any]) -> None:
        if not 1 <= options["days"] <= 366 or not 1 <= options["per_day"] <= 100_000:
            raise CommandError("simulate_invalid: --days is 1-366 and --per-day 1-100000.")
        mix = services.parse_mix(options["mix"]) if options["mix"] else None
        written = services.simulate(days=options["days"], per_day=options["per_day"], province=options["province"],
                                    mix=mix, seed=options["seed"])  # fmt: skip
        self.stdout.write(f"{written} simulated check-ins")

    def _kpis(self, options: dict[str, Any]) -> None:
        counts = services.check_in_counts(since=timezone.now() - timedelta(days=options["days"]))
        for row in services.success_rates(counts):
            self.stdout.write(f"{row['facility']} {row['check_ins']:>8} {row['rate']:7.1%}")

    def _demo(self, options: dict[str, Any]) -> None:
        """The demo hospital, its receptionist, the people's insurance records (resumable), and a covered citizen's
        card QR to type or scan at the front desk."""
        from dancu.core.insurance import card_qr
        from dancu.insurance.demo import DEMO_RECEPTIONIST, ensure_demo_hospital
        from dancu.insurance.models import CoveragePeriod

        facility, _path = ensure_demo_hospital()
        services.load()
        period = (
            CoveragePeriod.objects.filter(status="active", facility=facility, valid_to__gte=timezone.localdate())
            .select_related("participant__person")
            .order_by("id")
            .first()
        )
        self.stdout.write(f"demo hospital {facility.code} {facility.name}; receptionist {' '.join(DEMO_RECEPTIONIST)}")
        if period is not None:
            person = period.participant.person
            qr = card_qr(person.pin, person.full_name, person.birth_date, person.sex)
            self.stdout.write(f"a covered citizen's card QR: {qr}")
