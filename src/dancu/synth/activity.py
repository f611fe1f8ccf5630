"""A year of simulated activity (``dancu simulate --days 365``) driven through the real services on a simulated
clock, so that the scoreboard of a demo opens on months of plausible data rather than on empty charts.

Day by day, on working days mostly and within office hours: citizens register e-ID accounts and sign in; dossiers are
submitted online or at the counter (the online share rising over the year), fees paid online or not, data re-used,
officers take them up a few working days later and approve or refuse them, results issued as signed electronic
documents or on paper; births registered (most within the legal 60 days), identity cards issued; linked cases
finished (faster as the year goes on); connected systems of every kind call the gateway, a few refused.

Volumes are per 50,000 people and scale with the registry's population (:data:`PER_50K`). The services read the time
from ``django.utils.timezone.now``, which the simulation moves forward (:func:`simulated_clock`): the records carry
the simulated times, as they would have been written on those days. Records it creates are marked (accounts'
usernames ``sim:``, actors ``sim:``) so a second run is refused rather than doubling the year.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from dancu.core import workdays
from dancu.core.errors import DomainError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: Activity a working day per 50,000 people (weekends: a fifth), at the start and at the end of the year.
PER_50K = {
    "dossiers": 5.0,
    "accounts": 2.0,
    "activations": 1.5,
    "sign_ins": (10.0, 40.0),
    "cards": 4.0,
    "gateway": 250.0,
    "linked": 0.6,
}
#: Shares that improve over the year: (first day, last day).
SHARES = {
    "online": (0.35, 0.62),
    "pay_online": (0.30, 0.52),
    "reuse": (0.05, 0.16),
    "e_result": (0.25, 0.45),
    "digitised_papers": (0.20, 0.35),
}
BIRTH_RATE = 14.1  # per 1,000 a year
GATEWAY_KINDS = (
    ("sim-bhxh", "ministry", "Bảo hiểm xã hội Việt Nam", ("social_insurance", "health_insurance")),
    ("sim-ubnd", "province", "UBND tỉnh (một cửa)", ("public_service",)),
    ("sim-viettel", "telecom", "Nhà mạng di động", ("subscriber_check",)),
    ("sim-benhvien", "hospital", "Bệnh viện đa khoa tỉnh", ("health_insurance",)),
)
OUTCOMES = (("ok", 0.90), ("no_match", 0.06), ("refused:rate_limited", 0.02),
            ("refused:purpose_not_granted", 0.01), ("refused:consent_required", 0.01))  # fmt: skip
ACTOR = "sim:canbo"


class AlreadySimulated(DomainError):
    pass


@contextlib.contextmanager
def simulated_clock(moment: dt.datetime) -> Iterator[None]:
    """Every ``timezone.now()`` (services, ``auto_now`` fields, ``localdate``) answers ``moment`` meanwhile."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@dataclass
class Report:
    days: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


@dataclass
class _Pending:
    dossier_id: Any
    due: dt.date


class Simulation:
    def __init__(
        self, *, days: int, until: dt.date, seed: int, ledger: Path | None = None, scale: float | None = None
    ) -> None:
        from dancu.registry.models import Person

        self.days, self.until, self.rng = days, until, random.Random(seed)
        self.ledger_path = ledger or Path(settings.DANCU_LEDGER)
        self.report = Report()
        people = Person.objects.filter(status="living", household__isnull=False)
        self.population = people.count()
        self.scale = scale if scale is not None else self.population / 50_000
        born_before = until - dt.timedelta(days=16 * 365)
        self.adults = list(
            people.filter(birth_date__lte=born_before, eid_account__isnull=True).values_list(
                "pk", "pin", "sex", "household__commune__code"
            )
        )
        self.rng.shuffle(self.adults)
        self.mothers = [row for row in self.adults if row[2] == "F"][:2000]
        self.accounts: list[Any] = []
        self.level1: list[Any] = []
        self.pending: list[_Pending] = []

    # -- helpers ------------------------------------------------------------------------------------------------

    def _count(self, per_day: float, day: dt.date) -> int:
        rate = per_day * self.scale * (1.0 if workdays.is_working_day(day) else 0.2)
        whole = int(rate)
        return whole + (1 if self.rng.random() < rate - whole else 0)

    def _share(self, name: str, progress: float) -> float:
        first, last = SHARES[name]
        return first + (last - first) * progress

    def _moment(self, day: dt.date, start: int = 8, end: int = 17) -> dt.datetime:
        seconds = self.rng.randint(start * 3600, end * 3600 - 1)
        return dt.datetime.combine(day, dt.time(), tzinfo=VIETNAM) + dt.timedelta(seconds=seconds)

    # -- the day ------------------------------------------------------------------------------------------------

    def run(self) -> Report:
        from dancu.accounts.models import Account

        if Account.objects.filter(user__username__startswith="sim:").exists():
            raise AlreadySimulated("simulation_done", "Simulated activity is already recorded in this registry.")
        if not self.adults:
            raise DomainError("population_missing", "There is nobody to simulate: run dancu synth first.")
        self._systems()
        first = self.until - dt.timedelta(days=self.days - 1)
        for index in range(self.days):
            day = first + dt.timedelta(days=index)
            progress = index / max(self.days - 1, 1)
            with transaction.atomic():
                self._day(day, progress)
            self.report.days += 1
        return self.report

    def _day(self, day: dt.date, progress: float) -> None:
        self._accounts(day)
        self._sign_ins(day, progress)
        self._dossiers(day, progress)
        self._decisions(day, progress)
        self._births(day)
        self._cards(day)
        self._linked(day, progress)
        self._gateway(day)

    def _accounts(self, day: dt.date) -> None:
        from dancu.accounts.models import Account
        from dancu.accounts.services.context import record

        for _ in range(self._count(PER_50K["accounts"], day) + (30 if not self.accounts else 0)):
            if not self.adults:
                return
            _pk, pin, _sex, _commune = self.adults.pop()
            with simulated_clock(self._moment(day, 7, 22)):
                user = User.objects.create(username=f"sim:{pin}", password=make_password(None))
                account = Account.objects.create(user=user, person_id=_pk)
                record(account, "registered")
            self.accounts.append(account)
            self.level1.append(account)
            self.report.add("accounts")
        for _ in range(self._count(PER_50K["activations"], day)):
            if not self.level1:
                return
            account = self.level1.pop(self.rng.randrange(len(self.level1)))
            with simulated_clock(self._moment(day)):
                account.level = 2
                account.level2_activated_at = timezone.now()
                account.level2_activated_by = ACTOR
                account.save(update_fields=["level", "level2_activated_at", "level2_activated_by"])
                record(account, "level2_activated", official=ACTOR)
            self.report.add("activations")

    def _sign_ins(self, day: dt.date, progress: float) -> None:
        from dancu.accounts.services.context import record

        low, high = PER_50K["sign_ins"]
        for _ in range(self._count(low + (high - low) * progress, day)):
            with simulated_clock(self._moment(day, 6, 23)):
                record(self.rng.choice(self.accounts), "signed_in", amr=["pwd"])
            self.report.add("sign_ins")

    def _dossiers(self, day: dt.date, progress: float) -> None:
        from dancu.procedures import workflow
        from dancu.procedures.models import Dossier, Payment, Procedure, Reuse, Status

        procedures = getattr(self, "_procedures", None) or list(Procedure.objects.filter(active=True))
        self._procedures = procedures
        for _ in range(self._count(PER_50K["dossiers"], day)):
            account = self.rng.choice(self.accounts)
            commune = getattr(account, "_commune", None) or account.person.household.commune.code
            account._commune = commune
            procedure = self.rng.choice(procedures)
            online = self.rng.random() < self._share("online", progress)
            with simulated_clock(self._moment(day, 7 if online else 8, 22 if online else 17)):
                dossier = Dossier.objects.create(
                    number=workflow.next_number("HS"), procedure=procedure, applicant=account, commune=commune,
                    data={"simulated": True},
                )  # fmt: skip
                who = (str(account.pk), "citizen") if online else (ACTOR, "official")
                workflow.move_through(dossier, [(Status.SUBMITTED, *who), (Status.RECEIVED, "system", "system")])
                if self.rng.random() < self._share("reuse", progress):
                    Reuse.objects.create(dossier=dossier, source="registry.person", reference=str(account.person_id),
                                         fields=["full_name", "birth_date", "permanent_address"])  # fmt: skip
                fee = procedure.fee_online_vnd if online else procedure.fee_vnd
                if (
                    fee
                    and online
                    and self.rng.random() < self._share("pay_online", progress) / self._share("online", progress)
                ):
                    Payment.objects.create(dossier=dossier, account=account, amount_vnd=fee, description="Lệ phí",
                                           provider="simulated", status="paid", paid_at=timezone.now())  # fmt: skip
            wait = self.rng.choice((1, 2, 2, 3, 3, 4, 5, 7))
            self.pending.append(_Pending(dossier.pk, workdays.add_working_days(day, wait)))
            self.report.add("dossiers")

    def _decisions(self, day: dt.date, progress: float) -> None:
        from dancu.procedures import results, workflow
        from dancu.procedures.models import Attachment, Status

        due = [p for p in self.pending if p.due <= day]
        if not workdays.is_working_day(day) or not due:
            return
        self.pending = [p for p in self.pending if p.due > day]
        for item in due:
            with simulated_clock(self._moment(day)):
                dossier = workflow.locked(item.dossier_id)
                workflow.move(dossier, Status.IN_PROCESS, actor=ACTOR, actor_kind="official")
                if self.rng.random() < 0.08:
                    workflow.move(dossier, Status.REJECTED, actor=ACTOR, actor_kind="official",
                                  reason="Thiếu giấy tờ")  # fmt: skip
                    self.report.add("refused")
                    continue
                if self.rng.random() < self._share("digitised_papers", progress):
                    Attachment.objects.create(dossier=dossier, code="scan", content_type="application/pdf", size=1,
                                              sha256="0" * 64, stored="")  # fmt: skip
                workflow.move(dossier, Status.APPROVED, actor=ACTOR, actor_kind="official")
                if self.rng.random() < self._share("e_result", progress):
                    results.issue(dossier, kind="residence-confirmation", title=dossier.procedure.name_vi,
                                  data={"dossier": dossier.number})  # fmt: skip
                workflow.move(dossier, Status.RESULT_ISSUED, actor=ACTOR, actor_kind="official")
                self.report.add("results")

    def _births(self, day: dt.date) -> None:
        from dancu.registry.services import register_birth

        expected = BIRTH_RATE * self.population / 1000 / 365
        n = int(expected * 0.93) + (1 if self.rng.random() < (expected * 0.93) % 1 else 0)
        for _ in range(n):
            if not self.mothers:
                return
            _pk, pin, _sex, commune = self.rng.choice(self.mothers)
            roll = self.rng.random()
            delay = (
                self.rng.randint(1, 60)
                if roll < 0.86
                else self.rng.randint(61, 365)
                if roll < 0.96
                else (self.rng.randint(366, 1500))
            )
            with simulated_clock(self._moment(day)):
                try:
                    register_birth(full_name="Nguyễn Minh Anh", sex=self.rng.choice("MF"),
                                   birth_date=day - dt.timedelta(days=delay), birth_commune=commune, mother_pin=pin,
                                   actor=ACTOR, source="simulate")  # fmt: skip
                except DomainError:
                    continue  # a mother too young or too old for that date: the clerk would refuse it too
            self.report.add("births")

    def _cards(self, day: dt.date) -> None:
        from dancu.cards.services import issue_card

        for _ in range(self._count(PER_50K["cards"], day)):
            account = self.rng.choice(self.accounts)
            with simulated_clock(self._moment(day)):
                try:
                    issue_card(pin=account.person.pin, issued_on=day, actor=ACTOR, source="simulate")
                except DomainError:
                    continue
            self.report.add("cards")

    def _linked(self, day: dt.date, progress: float) -> None:
        from dancu.procedures import workflow
        from dancu.procedures.models import Case, Dossier, Procedure, ProcedureGroup

        group = ProcedureGroup.objects.first()
        member = (
            Procedure.objects.filter(code__in=[m.get("procedure") for m in group.members]).first() if group else None
        )
        if group is None or member is None:
            return
        for _ in range(self._count(PER_50K["linked"], day)):
            account = self.rng.choice(self.accounts)
            slow = max(1, round(12 * (1 - progress) + 3 * progress))
            days = max(1, int(self.rng.gauss(slow, slow / 3)))
            finished = workdays.add_working_days(day, days)
            if finished > self.until:
                continue
            received = self._moment(day)
            with simulated_clock(received):
                case = Case.objects.create(number=workflow.next_number("LT"), group=group, applicant=account,
                                           received_at=received, due_on=finished, finished_on=finished)  # fmt: skip
                Dossier.objects.create(number=workflow.next_number("HS"), procedure=member, case=case,
                                       applicant=account, commune=account.person.household.commune.code,
                                       status="issued", data={"simulated": True}, finished_on=finished)  # fmt: skip
            self.report.add("linked")

    def _systems(self) -> None:
        from dancu.exchange.models import ConnectedSystem

        for client_id, kind, organisation, _purposes in GATEWAY_KINDS:
            ConnectedSystem.objects.get_or_create(
                client_id=client_id, defaults={"organisation": organisation, "name": organisation, "kind": kind}
            )

    def _gateway(self, day: dt.date) -> None:
        from dancu.exchange.demo import DEMO_CLIENT_ID
        from dancu.exchange.projector import keyring
        from dancu.gateway.ledger import Ledger, LedgerEntry

        if not hasattr(self, "_keys"):
            keys = keyring()
            self._keys = keys.ledger_signing_key()
            # Whom the simulated systems ask about: keys of nobody in the registry, so that no real person's "who
            # accessed my data" shows a read that never happened.
            self._asked = [self.rng.randbytes(32).hex() for _ in range(3000)]
        systems = [*((c, p) for c, _k, _o, p in GATEWAY_KINDS), (DEMO_CLIENT_ID, ("kyc_account_opening",))]
        outcomes, weights = zip(*OUTCOMES, strict=True)
        entries = []
        for i in range(self._count(PER_50K["gateway"], day)):
            system, purposes = self.rng.choice(systems)
            moment = self._moment(day, 0, 24).astimezone(dt.UTC)
            entries.append(LedgerEntry(
                f"{moment:%Y-%m-%dT%H:%M:%S}.000Z", system, self.rng.choice(purposes),
                "lookup" if self.rng.random() < 0.3 else "verify", self.rng.choice(self._asked),
                ("full_name", "birth_date"),
                self.rng.choices(outcomes, weights)[0], f"sim-{day:%Y%m%d}-{i}",
            ))  # fmt: skip
        if not entries:
            return
        entries.sort(key=lambda e: e.time)
        kid, key = self._keys
        ledger = Ledger(self.ledger_path, signing_key=key, key_id=kid)
        try:
            ledger.append_batch(entries)
        finally:
            ledger.close()
        self.report.add("gateway", len(entries))
