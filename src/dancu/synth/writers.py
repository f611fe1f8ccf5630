"""Carrying out a synthetic-population plan: through the domain services, or by the bulk path.

Both apply the same rules (:mod:`dancu.registry.rules`) and produce the same current state and the same events
(checked by tests/synth/test_writers.py); the bulk path computes the state in memory and writes each table with
one multi-row statement per batch (COPY on PostgreSQL), inside one transaction per chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from dancu.core.ages import age_on
from dancu.core.errors import DomainError
from dancu.core.ids import uuid7
from dancu.core.names import split_name
from dancu.events.models import Event
from dancu.events.services import lock_event_log
from dancu.geo.models import Commune, Era
from dancu.registry import rules, services
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence
from dancu.synth.plan import ChunkPlan, PlannedPerson

ACTOR = "synth"


def _source(seed: int, chunk: int) -> str:
    return f"synth:seed={seed}:chunk={chunk}"


class ServiceWriter:
    """One domain-service call per operation: slow, and the reference the bulk path is checked against."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def write(self, plan: ChunkPlan) -> int:
        source = _source(self.seed, plan.index)
        households: dict[str, str] = {}
        before = Event.objects.count()
        for op in plan.ops:
            a = op.args
            if op.kind == "person":
                p: PlannedPerson = a[0]  # type: ignore[assignment]
                services.register_person(
                    pin=p.pin, full_name=p.full_name, sex=p.sex, birth_date=p.birth_date,
                    birth_date_precision=p.birth_date_precision, ethnicity=p.ethnicity, religion=p.religion,
                    birth_commune=p.birth_commune, origin_commune=p.origin_commune, father_pin=p.father_pin,
                    mother_pin=p.mother_pin, actor=ACTOR, source=source,
                )  # fmt: skip
            elif op.kind == "marriage":
                services.register_marriage(pin_a=a[0], pin_b=a[1], marriage_date=a[2], actor=ACTOR, source=source)  # type: ignore[arg-type]
            elif op.kind == "permanent":
                pin, commune, address, start, head_pin, relationship = a
                residence = services.register_permanent_residence(
                    pin=pin, commune=commune, address_line=address, valid_from=start,  # type: ignore[arg-type]
                    household_number=households.get(head_pin) if head_pin else None,  # type: ignore[arg-type]
                    relationship=relationship, actor=ACTOR, source=source,  # type: ignore[arg-type]
                )  # fmt: skip
                if head_pin is None:
                    households[pin] = residence.household.number  # type: ignore[index,union-attr]
            elif op.kind == "temporary":
                services.register_temporary_residence(
                    pin=a[0], commune=a[1], address_line=a[2], valid_from=a[3], valid_until=a[4],  # type: ignore[arg-type]
                    actor=ACTOR, source=source,
                )  # fmt: skip
            elif op.kind == "name":
                services.change_name(
                    pin=a[0], full_name=a[1], effective_date=a[2], reason=a[3], actor=ACTOR, source=source
                )  # type: ignore[arg-type]
            elif op.kind == "death":
                services.record_death(pin=a[0], death_date=a[1], actor=ACTOR, source=source)  # type: ignore[arg-type]
            elif op.kind == "removal":
                services.remove_permanent_residence(pin=a[0], valid_to=a[1], reason=a[2], actor=ACTOR, source=source)  # type: ignore[arg-type]
            else:  # pragma: no cover - a planner bug
                raise ValueError(f"unknown operation {op.kind}")
        return Event.objects.count() - before


@dataclass(slots=True)
class _PersonState:
    id: int
    facts: rules.PersonFacts
    father_id: int | None
    mother_id: int | None
    spouse_id: int | None = None
    household_id: int | None = None
    relationship: str = ""
    status: str = "living"
    death_date: date | None = None
    version: int = 1
    open_residence: list[Any] | None = None  # the open permanent-residence row


@dataclass(slots=True)
class _Tables:
    people: dict[str, _PersonState] = field(default_factory=dict)
    households: list[list[Any]] = field(default_factory=list)
    permanent: list[list[Any]] = field(default_factory=list)
    temporary: list[list[Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


class BulkWriter:
    """Applies the registry rules in memory and writes a chunk's rows in bulk, with explicit ids and sequences.

    Runs inside the chunk's transaction; takes the event-log lock (and, on PostgreSQL, table locks) so that the ids
    and sequences it hands out cannot collide with a concurrent writer.
    """

    def __init__(self, seed: int, *, today: date) -> None:
        self.seed = seed
        self.today = today
        self.commune_ids: dict[str, int] = dict(Commune.objects.filter(era=Era.CURRENT).values_list("code", "id"))
        self.vendor = connection.vendor

    # -- id allocation

    def _next_ids(self) -> dict[str, int]:
        def top(model: type[Any], column: str = "id") -> int:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {model._meta.db_table}")
                return int(cursor.fetchone()[0])

        return {
            "person": top(Person) + 1,
            "household": top(Household) + 1,
            "permanent": top(PermanentResidence) + 1,
            "temporary": top(TemporaryResidence) + 1,
            "event": top(Event, "sequence") + 1,
        }

    def _household_serials(self, communes: Iterable[str]) -> dict[str, int]:
        """Last household serial of each commune in the chunk: the same look-up as
        :func:`dancu.registry.services.last_household_serial`, in raw SQL (one indexed probe per commune)."""
        serials = {}
        with connection.cursor() as cursor:
            for code in set(communes):
                cursor.execute(
                    "SELECT MAX(number) FROM registry_household WHERE number >= %s AND number <= %s",
                    [code + "0000000", code + "9999999"],
                )
                last = cursor.fetchone()[0]
                serials[code] = int(last[5:]) if last else 0
        return serials

    # -- the chunk

    def write(self, plan: ChunkPlan) -> int:
        lock_event_log()
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A crash may lose the last chunks "committed" before it, with their progress row: a rerun redoes
                # exactly those. Nothing else in the transaction needs the flush to disk to wait.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute(
                    "LOCK TABLE registry_person, registry_household, registry_permanentresidence, "
                    "registry_temporaryresidence IN SHARE ROW EXCLUSIVE MODE"
                )
        ids = self._next_ids()
        now = timezone.now()
        source = _source(self.seed, plan.index)
        serials = self._household_serials(a.args[1] for a in plan.ops if a.kind == "permanent")  # type: ignore[misc]
        t = _Tables()
        event_seq = ids["event"]
        households_by_head: dict[str, list[Any]] = {}
        today = self.today

        def event(kind: str, pin: str, effective: date, payload: dict[str, Any]) -> None:
            nonlocal event_seq
            t.events.append((event_seq, kind, pin, effective, payload))
            event_seq += 1

        def living(pin: str) -> _PersonState:
            state = t.people[pin]
            if state.status == "deceased":
                raise DomainError("person_deceased", "The person is recorded as deceased.", status=409)
            return state

        for op in plan.ops:
            a = op.args
            if op.kind == "person":
                p: PlannedPerson = a[0]  # type: ignore[assignment]
                facts = rules.validate_person_facts(
                    pin=p.pin, full_name=p.full_name, sex=p.sex, birth_date=p.birth_date,
                    birth_date_precision=p.birth_date_precision, ethnicity=p.ethnicity, religion=p.religion,
                    birth_commune=p.birth_commune, origin_commune=p.origin_commune, father_pin=p.father_pin,
                    mother_pin=p.mother_pin, today=today,
                )  # fmt: skip
                parent_ids: dict[str, int | None] = {}
                for role, parent_pin in (("father", p.father_pin), ("mother", p.mother_pin)):
                    if parent_pin is None:
                        parent_ids[role] = None
                        continue
                    parent = t.people[parent_pin]
                    rules.check_parent(
                        role, parent_sex=parent.facts.sex, parent_birth=parent.facts.birth_date,
                        parent_death=parent.death_date, child_birth=facts.birth_date,
                    )  # fmt: skip
                    parent_ids[role] = parent.id
                if p.pin in t.people:
                    raise DomainError("pin_duplicate", "A person with this personal ID number already exists.")
                t.people[p.pin] = _PersonState(
                    id=ids["person"], facts=facts, father_id=parent_ids["father"], mother_id=parent_ids["mother"]
                )
                ids["person"] += 1
                event(rules.PERSON_REGISTERED, p.pin, facts.birth_date, facts.payload())
            elif op.kind == "marriage":
                pin_a, pin_b, when = a
                people = (living(pin_a), living(pin_b))  # type: ignore[arg-type]
                for s in people:
                    if s.spouse_id is not None:
                        raise DomainError("person_married", "One of the two is already married.")
                    if age_on(s.facts.birth_date, when) < rules.MARRIAGE_AGE[s.facts.sex]:  # type: ignore[arg-type]
                        raise DomainError("marriage_under_age", "Under the legal age of marriage.")
                people[0].spouse_id, people[1].spouse_id = people[1].id, people[0].id
                for own, other in ((people[0], people[1]), (people[1], people[0])):
                    own.version += 1
                    event(
                        rules.MARRIAGE_REGISTERED,
                        own.facts.pin,
                        when,  # type: ignore[arg-type]
                        {"spouse": other.facts.pin, "marriage_date": when.isoformat()},  # type: ignore[attr-defined]
                    )
            elif op.kind == "permanent":
                pin, commune, address, start, head_pin, relationship = a
                s = living(pin)  # type: ignore[arg-type]
                rules.check_residence_dates(valid_from=start, birth_date=s.facts.birth_date, today=today)  # type: ignore[arg-type]
                if s.open_residence is not None:
                    raise DomainError("permanent_residence_exists", "The person already has a permanent residence.")
                if head_pin is None:
                    serials[commune] += 1  # type: ignore[index]
                    number = f"{commune}{serials[commune]:07d}"  # type: ignore[index]
                    household = [ids["household"], number, s.id, self.commune_ids[commune], address, start]  # type: ignore[index]
                    ids["household"] += 1
                    t.households.append(household)
                    households_by_head[pin] = household  # type: ignore[index]
                    created, relationship = True, "head"
                else:
                    household = households_by_head[head_pin]  # type: ignore[index]
                    address, created = household[4], False
                row = [ids["permanent"], s.id, self.commune_ids[commune], None, address, household[0], start, None, ""]  # type: ignore[index]
                ids["permanent"] += 1
                t.permanent.append(row)
                s.open_residence = row
                s.household_id, s.relationship = household[0], relationship  # type: ignore[assignment]
                s.version += 1
                event(
                    rules.PERMANENT_RESIDENCE_REGISTERED, pin, start,  # type: ignore[arg-type]
                    {
                        "commune": commune, "recorded_commune": None, "recorded_era": "current",
                        "address_line": address, "household": household[1], "household_created": created,
                        "relationship": relationship, "valid_from": start.isoformat(),  # type: ignore[attr-defined]
                    },
                )  # fmt: skip
            elif op.kind == "temporary":
                pin, commune, address, start, until = a
                s = living(pin)  # type: ignore[arg-type]
                rules.check_residence_dates(valid_from=start, birth_date=s.facts.birth_date, today=today)  # type: ignore[arg-type]
                if (until - start).days > rules.TEMPORARY_RESIDENCE_MAX_DAYS:  # type: ignore[operator]
                    raise DomainError("temporary_residence_too_long", "One registration lasts at most two years.")
                rid = ids["temporary"]
                ids["temporary"] += 1
                t.temporary.append([rid, s.id, self.commune_ids[commune], address, start, until, None])  # type: ignore[index]
                s.version += 1
                event(
                    rules.TEMPORARY_RESIDENCE_REGISTERED, pin, start,  # type: ignore[arg-type]
                    {
                        "residence_id": rid, "commune": commune, "address_line": address,
                        "valid_from": start.isoformat(), "valid_until": until.isoformat(),  # type: ignore[attr-defined]
                    },
                )  # fmt: skip
            elif op.kind == "name":
                pin, new_name, when, reason = a
                s = living(pin)  # type: ignore[arg-type]
                parts = split_name(new_name)  # type: ignore[arg-type]
                if parts.full == s.facts.name.full:
                    raise DomainError("name_unchanged", "The new name is the same as the recorded one.")
                s.facts = rules.PersonFacts(**{**{f: getattr(s.facts, f) for f in s.facts.__slots__}, "name": parts})  # type: ignore[attr-defined]
                s.version += 1
                event(
                    rules.NAME_CHANGED, pin, when,  # type: ignore[arg-type]
                    {
                        "full_name": parts.full, "family_name": parts.family, "middle_name": parts.middle,
                        "given_name": parts.given, "reason": reason,
                    },
                )  # fmt: skip
            elif op.kind == "death":
                pin, when = a
                s = living(pin)  # type: ignore[arg-type]
                rules.check_death(death_date=when, birth_date=s.facts.birth_date, today=today)  # type: ignore[arg-type]
                s.status, s.death_date = "deceased", when  # type: ignore[assignment]
                s.version += 1
                event(rules.DEATH_RECORDED, pin, when, {"death_date": when.isoformat(), "place_text": ""})  # type: ignore[arg-type,attr-defined]
            elif op.kind == "removal":
                pin, end, reason = a
                s = t.people[pin]  # type: ignore[index]
                row = s.open_residence
                if row is None:
                    raise DomainError("permanent_residence_missing", "The person has no open permanent residence.")
                if end < row[6]:  # type: ignore[operator]
                    raise DomainError("residence_end_before_start", "The residence cannot end before it began.")
                row[7], row[8] = end, reason
                s.open_residence = None
                household = next(h for h in t.households if h[0] == row[5])
                if household[2] == s.id:
                    household[2] = None
                s.household_id, s.relationship = None, ""
                s.version += 1
                event(
                    rules.PERMANENT_RESIDENCE_REMOVED,
                    pin,
                    end,  # type: ignore[arg-type]
                    {"valid_to": end.isoformat(), "reason": reason, "household": household[1]},  # type: ignore[attr-defined]
                )
            else:  # pragma: no cover
                raise ValueError(f"unknown operation {op.kind}")

        self._insert(t, now, source)
        return len(t.events)

    # -- writing the rows

    def _insert(self, t: _Tables, now: datetime, source: str) -> None:
        ops = connection.ops
        stamp = ops.adapt_datetimefield_value(now) if self.vendor == "sqlite" else now
        person_rows = []
        for s in t.people.values():
            f = s.facts
            person_rows.append(
                (
                    s.id, f.pin, f.name.full, f.name.family, f.name.middle, f.name.given, f.name_folded, f.sex,
                    f.birth_date, f.birth_date_precision,
                    self.commune_ids[f.birth_commune] if f.birth_commune else None, f.birth_place_text,
                    self.commune_ids[f.origin_commune] if f.origin_commune else None,
                    f.ethnicity, f.religion, f.nationality, s.status, s.death_date, s.father_id, s.mother_id,
                    s.spouse_id, s.household_id, s.relationship, s.version, stamp, stamp,
                )
            )  # fmt: skip
        # Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's DDL on both databases), so rows may point at rows
        # written later in the same transaction (spouse, household head).
        self._copy(
            "registry_household",
            ("id", "number", "head_id", "commune_id", "address_line", "created_on"),
            [tuple(h) for h in t.households],
        )
        self._copy(
            "registry_person",
            (
                "id", "pin", "full_name", "family_name", "middle_name", "given_name", "name_folded", "sex",
                "birth_date", "birth_date_precision", "birth_commune_id", "birth_place_text", "origin_commune_id",
                "ethnicity", "religion", "nationality", "status", "death_date", "father_id", "mother_id",
                "spouse_id", "household_id", "relationship_to_head", "version", "created_at", "updated_at",
            ),
            person_rows,
        )  # fmt: skip
        self._copy(
            "registry_permanentresidence",
            (
                "id", "person_id", "commune_id", "recorded_commune_id", "address_line", "household_id", "valid_from",
                "valid_to", "end_reason",
            ),
            [tuple(r) for r in t.permanent],
        )  # fmt: skip
        self._copy(
            "registry_temporaryresidence",
            ("id", "person_id", "commune_id", "address_line", "valid_from", "valid_until", "ended_on"),
            [tuple(r) for r in t.temporary],
        )
        sqlite = self.vendor == "sqlite"
        dumps = json.dumps
        event_rows = [
            (
                seq,
                uuid7().hex if sqlite else uuid7(),
                kind,
                pin,
                effective,
                stamp,
                ACTOR,
                source,
                dumps(payload, ensure_ascii=False),
            )
            for seq, kind, pin, effective, payload in t.events
        ]
        self._copy(
            "events_event",
            ("sequence", "event_id", "type", "pin", "effective_date", "recorded_at", "actor", "source", "payload"),
            event_rows,
        )
        if not sqlite:
            with connection.cursor() as cursor:
                for table, column in (
                    ("registry_person", "id"),
                    ("registry_household", "id"),
                    ("registry_permanentresidence", "id"),
                    ("registry_temporaryresidence", "id"),
                    ("events_event", "sequence"),
                ):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
                    )

    def _copy(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.vendor == "postgresql":
            raw = connection.connection.cursor()  # the same transaction as Django's
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
