"""Social insurance's operations on its record: facilities (reference data), the under-6 card of the birth group,
the bulk load of synthetic participants, the end of coverage at death, hospitals onboarded as connected systems with
their receptionists, and the check-in KPIs."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count

from dancu.core.errors import DomainError, gettext_noop
from dancu.core.names import clean_name
from dancu.core.pin import parse_pin
from dancu.insurance.choices import CoverageStatus, FacilityLevel
from dancu.insurance.models import CheckIn, CoveragePeriod, HealthFacility, Participant, Receptionist

#: The purpose code (exchange reference data) under which hospitals check insurance at the gateway.
PURPOSE = "health-insurance"

#: A realistic small set of facilities of the demo province (Hà Nội, 01): code, name, level.
FACILITIES: tuple[tuple[str, str, int], ...] = (
    ("01001", "Bệnh viện Bạch Mai", FacilityLevel.CENTRAL),
    ("01002", "Bệnh viện Hữu nghị Việt Đức", FacilityLevel.CENTRAL),
    ("01003", "Bệnh viện Nhi Trung ương", FacilityLevel.CENTRAL),
    ("01010", "Bệnh viện Đa khoa Xanh Pôn", FacilityLevel.PROVINCIAL),
    ("01011", "Bệnh viện Thanh Nhàn", FacilityLevel.PROVINCIAL),
    ("01012", "Bệnh viện Đa khoa Hà Đông", FacilityLevel.PROVINCIAL),
    ("01013", "Bệnh viện Đa khoa Đức Giang", FacilityLevel.PROVINCIAL),
    ("01020", "Bệnh viện Đa khoa Đống Đa", FacilityLevel.DISTRICT),
    ("01021", "Trung tâm Y tế Ba Đình", FacilityLevel.DISTRICT),
    ("01022", "Trung tâm Y tế Cầu Giấy", FacilityLevel.DISTRICT),
    ("01030", "Trạm Y tế phường Điện Biên", FacilityLevel.COMMUNE),
    ("01031", "Trạm Y tế phường Kim Mã", FacilityLevel.COMMUNE),
)
#: Where people register for primary care (the level-2 to level-4 facilities), by weight.
PRIMARY_CARE = (("01010", 3), ("01011", 3), ("01012", 2), ("01013", 2), ("01020", 4), ("01021", 4), ("01022", 4),
                ("01030", 2), ("01031", 2))  # fmt: skip


def ensure_facilities() -> int:
    """The reference facilities (idempotent); returns how many exist."""
    for code, name, level in FACILITIES:
        HealthFacility.objects.get_or_create(
            code=code, defaults={"name": name, "level": int(level), "province_code": code[:2]}
        )
    return HealthFacility.objects.count()


def _facility(code: str) -> HealthFacility:
    try:
        return HealthFacility.objects.get(code=code)
    except HealthFacility.DoesNotExist:
        raise DomainError(
            "facility_unknown", gettext_noop("No health facility with this code."), field="facility"
        ) from None


def _new_number(rng: random.Random, province: str, taken: set[str]) -> str:
    while True:
        number = f"{province}{rng.randrange(10**8):08d}"
        if number not in taken:  # ``taken`` holds every number already given
            taken.add(number)
            return number


@transaction.atomic
def record_under_six_card(
    *, person: Any, social_insurance_number: str, card_number: str, valid_from: date, valid_to: date
) -> CoveragePeriod:
    """The under-6 card issued in the birth group (Decree 63/2024): the child's participation in group TE, benefit
    level 1, registered at the first primary-care facility of the province (idempotent on the card number)."""
    participant, _ = Participant.objects.get_or_create(
        person=person, defaults={"social_insurance_number": social_insurance_number, "full_name": person.full_name}
    )
    ensure_facilities()
    province = str(getattr(person, "pin", "001"))[1:3]
    facility = HealthFacility.objects.filter(
        province_code=province, level__gte=2
    ).first() or HealthFacility.objects.get(code=PRIMARY_CARE[0][0])
    period, _ = CoveragePeriod.objects.get_or_create(
        participant=participant, card_number=card_number,
        defaults={"beneficiary_group": "TE", "benefit_level": 1, "facility": facility, "valid_from": valid_from,
                  "valid_to": valid_to},
    )  # fmt: skip
    return period


@dataclass(frozen=True)
class Mix:
    """Shares of people by insurance situation for the bulk load (the rest have no record at all). National
    coverage was ~93% in 2024; lapses, ends and revocations are the reasons a check-in fails."""

    active: float = 0.86
    expired: float = 0.03
    ended: float = 0.03
    suspended: float = 0.01
    revoked: float = 0.005
    other_name: float = 0.01  # of those with a record: the name at social insurance differs (old or misspelt)


_GROUPS = (("DN", 4, 30), ("HC", 4, 6), ("HT", 2, 10), ("HS", 3, 12), ("SV", 3, 4), ("GD", 4, 25), ("HN", 1, 5),
           ("CC", 1, 2))  # fmt: skip


def load(*, mix: Mix | None = None, seed: int = 6, today: date | None = None, batch: int = 5000) -> dict[str, int]:
    """Bulk load: a participation for each registered living person without one, by ``mix`` (idempotent: people
    already known to social insurance are left as they are; a rerun adds only the new ones)."""
    from dancu.registry.models import Person

    mix = mix or Mix()
    today = today or date.today()
    ensure_facilities()
    facilities = {f.code: f for f in HealthFacility.objects.all()}
    primary = [facilities[code] for code, weight in PRIMARY_CARE for _ in range(weight)]
    taken = set(Participant.objects.values_list("social_insurance_number", flat=True))
    known = set(Participant.objects.values_list("person_id", flat=True))
    counts: Counter[str] = Counter()
    people = Person.objects.exclude(status="deceased").order_by("id").values_list("id", "pin", "full_name",
                                                                                   "birth_date")  # fmt: skip
    thresholds = [("active", mix.active), ("expired", mix.expired), ("ended", mix.ended),
                  ("suspended", mix.suspended), ("revoked", mix.revoked)]  # fmt: skip
    pending: list[tuple[Participant, dict[str, Any]]] = []

    def flush() -> None:
        with transaction.atomic():
            made = Participant.objects.bulk_create([p for p, _ in pending])
            if not all(p.pk for p in made):  # SQLite before 3.35 and some backends: read the ids back
                ids = dict(Participant.objects.filter(person_id__in=[p.person_id for p in made]).values_list(
                    "person_id", "id"))  # fmt: skip
                for p in made:
                    p.pk = ids[p.person_id]
            CoveragePeriod.objects.bulk_create([CoveragePeriod(participant_id=p.pk, **fields) for p, fields in pending])
        pending.clear()

    for person_id, pin, full_name, born in people.iterator(chunk_size=batch):
        if person_id in known:
            continue
        rng = random.Random(f"{seed}:{person_id}")  # each person's draw is the same on every run: idempotent
        draw = rng.random()
        situation = "none"
        for name, share in thresholds:
            if draw < share:
                situation = name
                break
            draw -= share
        counts[situation] += 1
        if situation == "none":
            continue
        province = pin[1:3]
        number = _new_number(rng, province, taken)
        child = born is not None and (today - born).days < 6 * 365
        group, level, _weight = ("TE", 1, 0) if child else rng.choices(_GROUPS, weights=[g[2] for g in _GROUPS])[0]
        name = full_name
        if rng.random() < mix.other_name:
            name = full_name.rsplit(" ", 1)[0] + " Văn" if rng.random() < 0.5 else _strip_one_mark(full_name)
            counts["other_name"] += 1
        start = today - timedelta(days=rng.randrange(30, 330))
        end = start + timedelta(days=364)
        status = CoverageStatus.ACTIVE
        if situation == "expired":
            start, end = start - timedelta(days=400), start - timedelta(days=36)
        elif situation in ("ended", "suspended", "revoked"):
            status = CoverageStatus(situation)
        fields = {
            "card_number": f"{group}{level}{province}{number}", "beneficiary_group": group, "benefit_level": level,
            "facility": rng.choice(primary), "valid_from": start, "valid_to": end,
            "five_consecutive_years": rng.random() < 0.4, "status": status,
            "ended_reason": "" if status == CoverageStatus.ACTIVE else situation,
        }  # fmt: skip
        pending.append((Participant(person_id=person_id, social_insurance_number=number, full_name=name), fields))
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return dict(counts)


def _strip_one_mark(name: str) -> str:
    """The name with the diacritics of its last word lost (a common spelling difference at social insurance)."""
    from dancu.core.names import fold_name

    words = name.split(" ")
    folded = fold_name(words[-1])
    words[-1] = folded[:1].upper() + folded[1:]
    return " ".join(words)


@transaction.atomic
def end_coverage_at_death(pin: str) -> int:
    """Coverage ends with the participant's death (Law on Health Insurance art. 16); returns the periods ended (a
    second call ends none)."""
    return CoveragePeriod.objects.filter(participant__person__pin=pin, status=CoverageStatus.ACTIVE).update(
        status=CoverageStatus.ENDED, ended_reason="death"
    )


@transaction.atomic
def set_name(pin: str, full_name: str) -> Participant:
    """Social insurance updates the name it holds (after a change of name in the registry)."""
    participant = Participant.objects.select_for_update().get(person__pin=pin)
    participant.full_name = clean_name(full_name)
    participant.save(update_fields=["full_name", "updated_at"])
    return participant


@transaction.atomic
def onboard_facility(code: str, system: Any) -> HealthFacility:
    """Connect a facility to its connected system (of kind hospital, approved through the exchange's onboarding and
    assessment) and grant it check-ins (verification under the health-insurance purpose)."""
    from dancu.exchange import services as exchange

    facility = _facility(code)
    if system.kind != "hospital":
        raise DomainError("system_not_hospital", gettext_noop("Only a hospital system can check health insurance."))
    facility.system = system
    facility.save(update_fields=["system", "updated_at"])
    exchange.ensure_reference_data()
    exchange.grant(system, PURPOSE, operations=["verify"], rate_per_second=5000, daily_quota=10_000_000)
    return facility


@transaction.atomic
def register_receptionist(code: str, *, pin: str, full_name: str, user: Any = None) -> Receptionist:
    """A named user of the facility's system who may check cards (idempotent on facility and PIN)."""
    parse_pin(pin)
    facility = _facility(code)
    receptionist, _ = Receptionist.objects.update_or_create(
        facility=facility, pin=pin, defaults={"full_name": clean_name(full_name), "user": user, "active": True}
    )
    return receptionist


# --- KPIs -------------------------------------------------------------------------------------------------------------


def record_check_in(facility: HealthFacility, code: str, *, at: datetime, receptionist: Receptionist | None = None,
                    simulated: bool = False) -> CheckIn:  # fmt: skip
    return CheckIn.objects.create(facility=facility, code=code, at=at, receptionist=receptionist, simulated=simulated)


def check_in_counts(*, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Check-ins by province, facility and result code: ``[{"province", "facility", "code", "count"}]`` (for the
    insights scoreboard and the KPI page). The success rate is the share of codes 000 and 090."""
    rows = CheckIn.objects.all()
    if since is not None:
        rows = rows.filter(at__gte=since)
    if until is not None:
        rows = rows.filter(at__lt=until)
    return [
        {"province": r["facility__province_code"], "facility": r["facility__code"], "code": r["code"],
         "count": r["count"]}
        for r in rows.values("facility__province_code", "facility__code", "code").annotate(count=Count("id"))
        .order_by("facility__province_code", "facility__code", "code")
    ]  # fmt: skip


#: The failure mix of a simulated month: result code -> share. Hà Giang's pilot admitted 66.5% of look-ups
#: (39,547 of 59,468); the reasons' shares are an assumption to be replaced by measured ones.
SIMULATED_MIX: dict[str, float] = {
    "000": 0.625, "090": 0.04, "010": 0.07, "050": 0.06, "060": 0.05, "061": 0.04, "070": 0.025, "080": 0.005,
    "110": 0.005, "120": 0.04, "121": 0.01, "130": 0.02, "054": 0.005, "055": 0.005,
}  # fmt: skip


def parse_mix(text: str) -> dict[str, float]:
    """``"000=0.7,050=0.3"`` as a mix (shares normalised to 1); raises ``mix_invalid``."""
    from dancu.core.insurance import RESULTS

    mix: dict[str, float] = {}
    try:
        for part in text.split(","):
            code, _, share = part.partition("=")
            mix[code.strip()] = float(share)
    except ValueError:
        raise DomainError("mix_invalid", gettext_noop("Write the mix as code=share,code=share.")) from None
    total = sum(mix.values())
    if not mix or set(mix) - set(RESULTS) or total <= 0 or min(mix.values()) < 0:
        raise DomainError("mix_invalid", gettext_noop("Write the mix as code=share,code=share."))
    return {code: share / total for code, share in mix.items()}


def simulate(*, days: int = 30, per_day: int = 200, province: str = "01", mix: dict[str, float] | None = None,
             seed: int = 21, end: date | None = None) -> int:  # fmt: skip
    """A simulated period of check-ins at the province's connected facilities (or all its facilities when none is
    connected), ``per_day`` a day on average at each, codes drawn from ``mix``. Rerunning replaces the previous
    simulation of the same days (idempotent); returns the check-ins written."""
    from django.utils import timezone

    mix = mix or SIMULATED_MIX
    facilities = list(HealthFacility.objects.filter(province_code=province))
    if not facilities:
        raise DomainError("province_without_facilities", gettext_noop("No health facility in this province."))
    rng = random.Random(seed)
    last = end or timezone.localdate()
    first = last - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    stop = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    codes, weights = list(mix), list(mix.values())
    rows = []
    for day in range(days):
        opening = start + timedelta(days=day, hours=7)
        for facility in facilities:
            busy = {1: 3.0, 2: 1.5, 3: 0.8, 4: 0.2}.get(facility.level, 1.0)
            count = max(1, int(rng.gauss(per_day * busy, per_day * busy * 0.1)))
            for code in rng.choices(codes, weights=weights, k=count):
                at = opening + timedelta(seconds=rng.randrange(10 * 3600))
                rows.append(CheckIn(facility=facility, code=code, at=at, simulated=True))
    with transaction.atomic():
        CheckIn.objects.filter(simulated=True, facility__in=facilities, at__gte=start, at__lt=stop).delete()
        CheckIn.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def success_rates(counts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From :func:`check_in_counts`: per facility, the check-ins, those admitted (000, 090) and the share."""
    from dancu.core.insurance import ADMITTED

    totals: dict[tuple[str, str], list[int]] = {}
    for row in counts:
        pair = totals.setdefault((row["province"], row["facility"]), [0, 0])
        pair[0] += row["count"]
        pair[1] += row["count"] if row["code"] in ADMITTED else 0
    return [
        {"province": p, "facility": f, "check_ins": n, "admitted": ok, "rate": ok / n if n else 0.0}
        for (p, f), (n, ok) in sorted(totals.items())
    ]
