"""The synthetic population as a plan: households of people with consistent ages, parents, names, ethnicity, births
and residences, expressed as the registry operations that would record them (DOMAIN.md §9).

A plan is pure data, deterministic for (seed, chunk index): the same operations can be carried out through the
domain services one by one (:class:`~dancu.synth.writers.ServiceWriter`) or by the bulk path
(:class:`~dancu.synth.writers.BulkWriter`), which applies the same rules and writes the same state and events.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dancu.core.ages import age_on, birthday
from dancu.core.pin import OLD_CODES_BY_CURRENT, pin_prefix
from dancu.synth import tables

# ---- weighted choice with precomputed cumulative weights ---------------------------------------------------------


class Weighted[T]:
    """Values with weights; ``pick(rng)`` draws one (bisect on cumulative weights: O(log n))."""

    __slots__ = ("cumulative", "total", "values")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        if not pairs:
            raise ValueError("no values to choose from")
        self.values = [v for v, _ in pairs]
        self.cumulative = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _cohort(year: int) -> str:
    for first, last, key in tables.COHORTS:
        if first <= year <= last:
            return key
    return tables.COHORTS[-1][2]


class NameTables:
    """Precomputed weighted tables for drawing names by region, sex, birth cohort and ethnicity."""

    def __init__(self) -> None:
        self.family = {region: Weighted(pairs) for region, pairs in tables.FAMILY_NAMES.items()}
        self.middle = {key: Weighted(pairs) for key, pairs in tables.MIDDLE_NAMES.items()}
        self.given = {key: Weighted(pairs) for key, pairs in tables.GIVEN_NAMES.items()}
        self.second_middle = {sex: Weighted(pairs) for sex, pairs in tables.SECOND_MIDDLE_NAMES.items()}
        self.ethnic_family = {code: Weighted(pairs) for code, pairs in tables.ETHNIC_FAMILY_NAMES.items()}
        self.ethnic_middle = {key: Weighted(pairs) for key, pairs in tables.ETHNIC_MIDDLE_NAMES.items()}
        self.ethnic_given = {key: Weighted(pairs) for key, pairs in tables.ETHNIC_GIVEN_NAMES.items()}

    def family_name(self, rng: random.Random, region: str, ethnicity: int) -> str:
        table = self.ethnic_family.get(ethnicity) or self.family[region]
        return table.pick(rng)

    def full_name(self, rng: random.Random, *, sex: str, year: int, ethnicity: int, family: str) -> str:
        """A full name as a registry writes it: family, middle word(s), given name; a few groups write the family
        name last ("Y Bih Niê") or attach a prefix ("H'Hen Niê")."""
        cohort = _cohort(year)
        given_table = self.ethnic_given.get((ethnicity, sex)) or self.given[(sex, cohort)]
        given = given_table.pick(rng)
        ethnic_middle = self.ethnic_middle.get((ethnicity, sex))
        middle: list[str] = []
        if ethnic_middle is not None:
            if rng.random() >= tables.NO_MIDDLE_SHARE.get((ethnicity, sex), 0.0):
                middle.append(ethnic_middle.pick(rng))
        else:
            middle.append(self.middle[(sex, cohort)].pick(rng))
            if rng.random() < tables.FOUR_WORD_SHARE[(sex, cohort)]:
                second = self.second_middle[sex].pick(rng)
                if second not in middle and second != given:
                    middle.append(second)
        middle = [word for word in middle if word != given]
        if ethnicity in tables.FAMILY_NAME_LAST_ETHNIC_CODES:
            words = [*middle, given, family]
        else:
            words = [family, *middle, given]
        words = [w for w in words if w]
        # A prefix such as "H'" is written joined to the word after it ("H'Hen").
        joined: list[str] = []
        for word in words:
            if joined and joined[-1] in tables.ATTACHED_PREFIXES:
                joined[-1] += word
            else:
                joined.append(word)
        return " ".join(joined)


# ---- the plan ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedPerson:
    """A person to register (``register_person``), with the facts the generator chose."""

    pin: str
    full_name: str
    sex: str
    birth_date: date
    birth_date_precision: str
    ethnicity: int
    religion: str
    birth_commune: str
    origin_commune: str
    father_pin: str | None = None
    mother_pin: str | None = None
    death_date: date | None = None


@dataclass(frozen=True, slots=True)
class Op:
    """One registry operation, in the order it must be carried out.

    kinds and args: ``person`` (PlannedPerson); ``marriage`` (pin_a, pin_b, date); ``permanent`` (pin, commune,
    address, valid_from, head_pin or None to found a household, relationship); ``temporary`` (pin, commune, address,
    valid_from, valid_until); ``name`` (pin, new full name, date, reason); ``death`` (pin, date); ``removal``
    (pin, date, reason).
    """

    kind: str
    args: tuple[object, ...]


@dataclass(slots=True)
class ChunkPlan:
    index: int
    people: int = 0
    ops: list[Op] = field(default_factory=list)


STREETS = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung", "Nguyễn Huệ",
    "Lê Duẩn", "Hùng Vương", "Phan Đình Phùng", "Điện Biên Phủ", "Nguyễn Du", "Bà Triệu", "Trần Phú", "Lê Lai",
    "Nguyễn Văn Cừ", "Võ Thị Sáu", "Cách Mạng Tháng Tám", "Lạc Long Quân", "Âu Cơ", "Ngô Quyền", "Phạm Ngũ Lão",
    "Nguyễn Thị Minh Khai", "Trường Chinh", "Tôn Đức Thắng", "Lê Thánh Tông", "Nguyễn Chí Thanh", "Kim Mã",
)  # fmt: skip
HAMLETS_NORTH = ("Thôn", "Xóm")
HAMLETS_SOUTH = ("Ấp", "Khóm")
HAMLET_NAMES = (
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Tân Lập", "Tân Phú", "Hòa Bình", "An Thịnh", "Phú Xuân",
    "Đồng Tâm", "Thống Nhất", "Quyết Tiến", "Bình An", "Mỹ Lợi", "Long Hưng", "Thạnh Phú", "Vĩnh Phước",
)  # fmt: skip
MINORITY_VILLAGE = {8: "Bản", 3: "Bản", 9: "Bản", 2: "Bản", 7: "Bản", 10: "Làng", 13: "Làng", 12: "Buôn", 5: "Phum"}


@dataclass
class Geography:
    """Communes to place people in: current province code -> commune codes with weights; phường are urban."""

    communes: dict[str, list[tuple[str, str]]]  # province -> [(commune code, division type)]

    def __post_init__(self) -> None:
        self.by_province: dict[str, Weighted[str]] = {}
        self.urban: dict[str, Weighted[str]] = {}
        self.rural: dict[str, Weighted[str]] = {}
        for province, items in self.communes.items():
            self.by_province[province] = Weighted([(c, 3.0 if t == "phường" else 1.0) for c, t in items])
            urban = [(c, 1.0) for c, t in items if t == "phường"]
            rural = [(c, 1.0) for c, t in items if t != "phường"]
            self.urban[province] = Weighted(urban or rural)
            self.rural[province] = Weighted(rural or urban)


def _old_population_by_current() -> dict[str, Weighted[str]]:
    grouped: dict[str, list[tuple[str, float]]] = {}
    for old, (_name, current, _region) in tables.OLD_PROVINCES.items():
        grouped.setdefault(current, []).append((old, float(tables.OLD_PROVINCE_POPULATION[old])))
    return {current: Weighted(pairs) for current, pairs in grouped.items()}


class Planner:
    """Draws households for a province (or the whole country, weighted by population) as registry operations."""

    def __init__(self, *, seed: int, geography: Geography, province: str | None, reference_date: date) -> None:
        self.seed = seed
        self.geo = geography
        self.province = province
        self.today = reference_date
        self.names = NameTables()
        self.old_by_current = _old_population_by_current()
        provinces = [p for p in geography.communes if province in (None, p)]
        self.current_provinces = Weighted(
            [(p, sum(tables.OLD_PROVINCE_POPULATION[o] for o in OLD_CODES_BY_CURRENT[p])) for p in provinces]
        )
        all_old = [(o, float(n)) for o, n in tables.OLD_PROVINCE_POPULATION.items()]
        self.any_old_province = Weighted(all_old)
        self.ethnicity = {old: Weighted(pairs) for old, pairs in tables.ETHNICITY_BY_OLD_PROVINCE.items()}
        self.religion = {region: Weighted(pairs) for region, pairs in tables.RELIGIONS.items()}
        #: PINs of people registered so far; a household's draws are added only once it is planned, so that a run
        #: resumed from the database draws exactly what an uninterrupted run would have drawn.
        self.used_pins: set[str] = set()
        self._pending_pins: set[str] = set()

    # -- small draws

    def _birth_date(self, rng: random.Random, age: int) -> date:
        """A date of birth for someone ``age`` years old on the reference date."""
        latest = date(self.today.year - age, self.today.month, min(self.today.day, 28))
        return latest - timedelta(days=rng.randrange(365))

    def _pin(self, rng: random.Random, old_province: str, sex: str, year: int) -> str:
        prefix = pin_prefix(old_province, sex, year)
        while True:
            candidate = f"{prefix}{rng.randrange(1_000_000):06d}"
            if candidate not in self.used_pins and candidate not in self._pending_pins:
                self._pending_pins.add(candidate)
                return candidate

    def _precision(self, rng: random.Random, born: date) -> str:
        if born.year < 1950:
            roll = rng.random()
            return "year" if roll < 0.3 else "month" if roll < 0.4 else "day"
        return "day"

    def _address(self, rng: random.Random, commune_urban: bool, region: str, ethnicity: int) -> str:
        if commune_urban:
            street = rng.choice(STREETS)
            if rng.random() < 0.4:
                return f"Số {rng.randint(1, 60)}, ngõ {rng.randint(1, 400)} {street}"
            return f"Số {rng.randint(1, 400)} {street}"
        village = MINORITY_VILLAGE.get(ethnicity)
        if village:
            return f"{village} {rng.choice(HAMLET_NAMES)}"
        kind = rng.choice(HAMLETS_SOUTH if region == "south" else HAMLETS_NORTH)
        if rng.random() < 0.5:
            return f"{kind} {rng.randint(1, 12)}"
        return f"{kind} {rng.choice(HAMLET_NAMES)}"

    def _commune_in(self, rng: random.Random, current_province: str) -> str:
        return self.geo.by_province[current_province].pick(rng)

    def _person(
        self,
        rng: random.Random,
        *,
        sex: str,
        age: int,
        family: str,
        ethnicity: int,
        religion: str,
        home_old: str,
        father: PlannedPerson | None = None,
        mother: PlannedPerson | None = None,
        born: date | None = None,
    ) -> PlannedPerson:
        born = born or self._birth_date(rng, age)
        # Most people were born (and registered) where their family lives; the rest came from elsewhere.
        birth_old = (
            home_old if rng.random() < 0.82 or born.year >= self.today.year - 1 else self.any_old_province.pick(rng)
        )
        birth_current = tables.OLD_PROVINCES[birth_old][1]
        if birth_current not in self.geo.communes:
            birth_old, birth_current = home_old, tables.OLD_PROVINCES[home_old][1]
        if born >= date(2025, 7, 1):
            # Births registered after the merger carry the code of the current province.
            birth_old = "0" + birth_current
        full_name = self.names.full_name(rng, sex=sex, year=born.year, ethnicity=ethnicity, family=family)
        birth_commune = self._commune_in(rng, birth_current)
        origin = father.origin_commune if father else birth_commune
        return PlannedPerson(
            pin=self._pin(rng, birth_old, sex, born.year),
            full_name=full_name,
            sex=sex,
            birth_date=born,
            birth_date_precision=self._precision(rng, born),
            ethnicity=ethnicity,
            religion=religion,
            birth_commune=birth_commune,
            origin_commune=origin,
            father_pin=father.pin if father else None,
            mother_pin=mother.pin if mother else None,
        )

    # -- households

    def chunk(self, index: int, people_wanted: int) -> ChunkPlan:
        """Households for chunk ``index`` until ``people_wanted`` people (the last household may be trimmed)."""
        rng = random.Random(f"dancu-synth:{self.seed}:{index}")
        plan = ChunkPlan(index=index)
        while plan.people < people_wanted:
            self._household(rng, plan, people_wanted - plan.people)
        return plan

    def _household(self, rng: random.Random, plan: ChunkPlan, room: int) -> None:
        current = self.province or self.current_provinces.pick(rng)
        home_old = self.old_by_current[current].pick(rng)
        region = tables.OLD_PROVINCES[home_old][2]
        ethnicity = self.ethnicity[home_old].pick(rng)
        religion = self.religion[region].pick(rng)
        urban = rng.random() < tables.URBAN_SHARE_BY_OLD_PROVINCE[home_old]
        commune = (self.geo.urban if urban else self.geo.rural)[current].pick(rng)
        address = self._address(rng, urban, region, ethnicity)
        today = self.today
        common = {"religion": religion, "home_old": home_old}

        kind = rng.random()
        members: list[tuple[PlannedPerson, str]] = []  # (person, relationship to the head); the head first
        marriages: list[tuple[PlannedPerson, PlannedPerson, date]] = []
        grandparents: list[PlannedPerson] = []

        if kind < 0.13 or room == 1:  # one person living alone
            sex = "M" if rng.random() < 0.5 else "F"
            family = self.names.family_name(rng, region, ethnicity)
            head = self._person(rng, sex=sex, age=rng.randint(19, 88), family=family, ethnicity=ethnicity, **common)
            members.append((head, "head"))
        else:
            husband_age = min(95, max(22, int(rng.gauss(44, 14))))
            wife_age = max(20, min(husband_age + 8, husband_age - int(rng.gauss(3, 3))))
            husband_family = self.names.family_name(rng, region, ethnicity)
            grandfather = grandmother = None
            if kind > 0.78 and husband_age < 62 and room >= 4:  # three generations: the husband's parents live in
                gf_age = husband_age + rng.randint(22, 34)
                gm_age = gf_age - rng.randint(0, 6)
                grandfather = self._person(
                    rng, sex="M", age=gf_age, family=husband_family, ethnicity=ethnicity, **common
                )
                grandmother = self._person(
                    rng,
                    sex="F",
                    age=gm_age,
                    family=self.names.family_name(rng, region, ethnicity),
                    ethnicity=ethnicity,
                    **common,
                )
                grandparents = [grandfather, grandmother]
            husband = self._person(
                rng,
                sex="M",
                age=husband_age,
                family=husband_family,
                ethnicity=ethnicity,
                father=grandfather,
                mother=grandmother,
                **common,
            )
            wife_ethnicity = ethnicity if rng.random() < 0.93 else self.ethnicity[home_old].pick(rng)
            wife = self._person(
                rng,
                sex="F",
                age=wife_age,
                family=self.names.family_name(rng, region, wife_ethnicity),
                ethnicity=wife_ethnicity,
                **common,
            )
            single_parent = 0.13 <= kind < 0.20 and not grandparents
            if single_parent:
                head, partner = (wife, None) if rng.random() < 0.75 else (husband, None)
            else:
                head = husband if rng.random() < 0.85 else wife
                partner = wife if head is husband else husband
            members.append((head, "head"))
            members.extend((gp, "parent") for gp in grandparents)
            if partner is not None:
                members.append((partner, "spouse"))
            # Married when the wife was 18-30 and the husband at least 20 (the legal ages), before the first child.
            earliest = max(birthday(wife.birth_date, 18), birthday(husband.birth_date, 20))
            married_on = min(earliest + timedelta(days=rng.randrange(365 * 6)), today - timedelta(days=30))
            if partner is not None:
                marriages.append((husband, wife, married_on))
            father = husband if head is husband or partner is husband else None
            mother = wife if head is wife or partner is wife else None
            wanted = 0 if 0.20 <= kind < 0.32 else rng.choices((1, 2, 3, 4), weights=(35, 45, 15, 5))[0]
            child_birth = married_on + timedelta(days=rng.randint(300, 900))
            for _ in range(min(room - len(members), wanted)):
                if child_birth > today or child_birth > birthday(wife.birth_date, 43):
                    break
                sex = "M" if rng.random() < 112 / 212 else "F"
                child = self._person(
                    rng,
                    sex=sex,
                    age=0,
                    family=husband_family,
                    ethnicity=husband.ethnicity,
                    father=father,
                    mother=mother,
                    born=child_birth,
                    **common,
                )
                members.append((child, "child"))
                child_birth += timedelta(days=rng.randint(500, 2500))

        head_person = members[0][0]
        head_from = self._residence_start(rng, head_person)
        starts = {head_person.pin: head_from}
        for person, _relationship in members[1:]:
            starts[person.pin] = max(head_from, self._residence_start(rng, person))
        deaths: list[tuple[PlannedPerson, date]] = []
        for gp in grandparents:
            # Many grandparents have died since; the residence is removed after the death is recorded.
            lived_from = starts[gp.pin] + timedelta(days=30)
            if rng.random() < 0.35 and lived_from < today - timedelta(days=2):
                died = lived_from + timedelta(days=rng.randrange((today - lived_from).days - 1))
                gp.death_date = died
                deaths.append((gp, died))

        for person, _relationship in sorted(members, key=lambda m: (m[0].birth_date, m[0].pin)):
            plan.ops.append(Op("person", (person,)))
        for husband_, wife_, when in marriages:
            plan.ops.append(Op("marriage", (husband_.pin, wife_.pin, when)))
        plan.ops.append(Op("permanent", (head_person.pin, commune, address, head_from, None, "head")))
        for person, relationship in members[1:]:
            plan.ops.append(
                Op("permanent", (person.pin, commune, address, starts[person.pin], head_person.pin, relationship))
            )
        for person, _relationship in members:
            if person.death_date is not None:
                continue
            age = self._age(person.birth_date)
            if 18 <= age <= 45 and rng.random() < 0.06:
                elsewhere = self._commune_in(rng, current)
                if elsewhere != commune:
                    start = today - timedelta(days=rng.randint(1, 700))
                    until = start + timedelta(days=rng.choice((180, 365, 730)))
                    plan.ops.append(
                        Op("temporary", (person.pin, elsewhere, self._address(rng, True, region, 1), start, until))
                    )
            if age >= 20 and rng.random() < 0.003:
                family = person.full_name.split(" ")[0]
                new_name = self.names.full_name(
                    rng, sex=person.sex, year=person.birth_date.year, ethnicity=1, family=family
                )
                when = today - timedelta(days=rng.randint(1, 3000))
                if new_name != person.full_name and when > person.birth_date:
                    plan.ops.append(Op("name", (person.pin, new_name, when, "Thay đổi tên theo nguyện vọng")))
        for person, died in deaths:
            plan.ops.append(Op("death", (person.pin, died)))
            plan.ops.append(
                Op("removal", (person.pin, min(today, died + timedelta(days=rng.randint(5, 60))), "deceased"))
            )
        plan.people += len(members)
        self.used_pins.update(person.pin for person, _relationship in members)
        self._pending_pins.clear()

    def _residence_start(self, rng: random.Random, person: PlannedPerson) -> date:
        adult = birthday(person.birth_date, 18)
        if adult > self.today:
            return min(self.today, person.birth_date + timedelta(days=rng.randint(7, 60)))
        span = max(1, (self.today - adult).days)
        start = adult + timedelta(days=rng.randrange(span))
        return start

    def _age(self, born: date) -> int:
        return age_on(born, self.today)
