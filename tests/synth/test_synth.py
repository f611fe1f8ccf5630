"""synth: realistic, deterministic, resumable; the bulk path writes exactly what the domain services write."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from dancu.core.ages import age_on
from dancu.core.pin import PROVINCE_CODES, check_pin
from dancu.events.models import Event
from dancu.registry import rules
from dancu.registry.models import Household, PermanentResidence, Person, TemporaryResidence
from dancu.synth import writers
from dancu.synth.models import SynthRun
from dancu.synth.services import run_synth

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 1)


def snapshot() -> dict[str, Any]:
    """The whole registry by natural keys (no surrogate ids, no recording times)."""
    pins = dict(Person.objects.values_list("id", "pin"))
    numbers = dict(Household.objects.values_list("id", "number"))
    temporary_keys = {t.id: (pins[t.person_id], t.valid_from.isoformat()) for t in TemporaryResidence.objects.all()}
    people = sorted(
        (
            p.pin, p.full_name, p.family_name, p.middle_name, p.given_name, p.name_folded, p.sex, p.birth_date,
            p.birth_date_precision, p.birth_commune.code if p.birth_commune else None,
            p.origin_commune.code if p.origin_commune else None, p.ethnicity, p.religion, p.nationality, p.status,
            p.death_date, pins.get(p.father_id), pins.get(p.mother_id), pins.get(p.spouse_id),
            numbers.get(p.household_id), p.relationship_to_head, p.version,
        )
        for p in Person.objects.select_related("birth_commune", "origin_commune")
    )  # fmt: skip
    households = sorted(
        (h.number, pins.get(h.head_id), h.commune.code, h.address_line, h.created_on)
        for h in Household.objects.select_related("commune")
    )
    permanent = sorted(
        (
            pins[r.person_id], r.commune.code, r.address_line, numbers.get(r.household_id), r.valid_from,
            r.valid_to, r.end_reason,
        )
        for r in PermanentResidence.objects.select_related("commune")
    )  # fmt: skip
    temporary = sorted(
        (pins[r.person_id], r.commune.code, r.address_line, r.valid_from, r.valid_until, r.ended_on)
        for r in TemporaryResidence.objects.select_related("commune")
    )
    events = []
    for e in Event.objects.order_by("sequence"):
        payload = dict(e.payload)
        if "residence_id" in payload:
            payload["residence_id"] = temporary_keys[payload["residence_id"]]
        events.append((e.type, e.pin, e.effective_date, e.actor, e.source, payload))
    return {
        "people": people,
        "households": households,
        "permanent": permanent,
        "temporary": temporary,
        "events": events,
    }


def build(**kwargs: Any) -> dict[str, Any]:
    """Run synth inside a savepoint, take a snapshot, and roll everything back."""
    with transaction.atomic():
        run_synth(reference_date=AS_OF, **kwargs)
        taken = snapshot()
        transaction.set_rollback(True)
    return taken


def test_bulk_path_writes_what_the_services_write() -> None:
    bulk = build(people=400, province="15", seed=11, chunk_size=150)
    through_services = build(people=400, province="15", seed=11, chunk_size=150, through_services=True)
    assert len(bulk["people"]) == 400
    assert len(bulk["events"]) > 800
    for table in bulk:
        assert bulk[table] == through_services[table], table


def test_same_seed_same_population_other_seed_other_population() -> None:
    first = build(people=300, seed=5, chunk_size=100)
    again = build(people=300, seed=5, chunk_size=100)
    other = build(people=300, seed=6, chunk_size=100)
    assert first == again
    assert first["people"] != other["people"]


def test_interrupted_run_leaves_no_half_written_person_and_resumes_to_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uninterrupted = build(people=600, province="01", seed=3, chunk_size=200)

    original = writers.BulkWriter._copy
    calls = {"events": 0}

    def crash_on_second_chunk_events(self: writers.BulkWriter, table: str, columns: Any, rows: Any) -> None:
        original(self, table, columns, rows)
        if table == "events_event":
            calls["events"] += 1
            if calls["events"] == 2:
                raise KeyboardInterrupt  # Ctrl-C after the second chunk's rows, before its commit

    monkeypatch.setattr(writers.BulkWriter, "_copy", crash_on_second_chunk_events)
    with pytest.raises(KeyboardInterrupt):
        run_synth(people=600, province="01", seed=3, chunk_size=200, reference_date=AS_OF)
    run = SynthRun.objects.get()
    assert (run.chunks_done, run.finished) == (1, False)
    registered = set(Event.objects.filter(type=rules.PERSON_REGISTERED).values_list("pin", flat=True))
    assert set(Person.objects.values_list("pin", flat=True)) == registered
    assert Person.objects.count() == run.people_done

    monkeypatch.setattr(writers.BulkWriter, "_copy", original)
    result = run_synth(people=600, province="01", seed=3, chunk_size=200, reference_date=AS_OF)
    assert result.resumed
    assert result.run.finished
    assert snapshot() == uninterrupted
    assert run_synth(people=600, province="01", seed=3, chunk_size=200).people_added == 0  # finished: nothing to do


def test_population_is_realistic() -> None:
    run_synth(people=3000, seed=21, reference_date=AS_OF)
    people = list(Person.objects.select_related("birth_commune__province", "mother", "father"))
    assert len(people) == 3000
    for p in people:
        check_pin(p.pin, sex=p.sex, birth_year=p.birth_date.year)
        # the PIN's province is where the birth was registered: the province of the place of birth
        assert PROVINCE_CODES[p.pin[:3]][1] == p.birth_commune.province.code
        if p.mother:
            assert age_on(p.mother.birth_date, p.birth_date) >= 15
            assert p.mother.sex == "F"
        if p.father:
            assert p.father.sex == "M"
        if p.spouse_id:
            assert p.spouse.spouse_id == p.id
    sexes = Counter(p.sex for p in people)
    assert 0.45 < sexes["M"] / len(people) < 0.55
    kinh = sum(p.ethnicity == 1 for p in people) / len(people)
    assert 0.75 < kinh < 0.95
    families = Counter(p.family_name for p in people if p.ethnicity == 1)
    assert families.most_common(1)[0][0] == "Nguyễn"
    assert 0.25 < families["Nguyễn"] / sum(families.values()) < 0.5
    deceased = [p for p in people if p.status == "deceased"]
    assert deceased
    assert all(not PermanentResidence.objects.filter(person=p, valid_to__isnull=True).exists() for p in deceased)
    assert TemporaryResidence.objects.exists()
    living_without_home = Person.objects.filter(status="living", household__isnull=True).count()
    assert living_without_home == 0
    provinces = Counter(h.commune.province.code for h in Household.objects.select_related("commune__province"))
    assert len(provinces) > 20  # the whole country, weighted by population


def test_cli_refuses_bad_input_with_one_line() -> None:
    with pytest.raises(CommandError, match=r"^province_unknown: "):
        call_command("synth", "--people", "10", "--province", "03", "--no-progress")
    with pytest.raises(CommandError, match=r"^people_out_of_range: "):
        call_command("synth", "--people", "0", "--no-progress")
    assert not Person.objects.exists()
