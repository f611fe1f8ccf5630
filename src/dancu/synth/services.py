"""Running ``synth``: chunk by chunk, one transaction each, resumable after a crash or Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.geo.models import Commune, Era, Province
from dancu.registry.models import Person
from dancu.synth.models import SynthRun
from dancu.synth.plan import Geography, Planner
from dancu.synth.writers import BulkWriter, ServiceWriter

MAX_PEOPLE = 200_000_000


@dataclass(frozen=True)
class SynthResult:
    run: SynthRun
    people_added: int
    resumed: bool


def load_geography() -> Geography:
    communes: dict[str, list[tuple[str, str]]] = {}
    rows = (
        Commune.objects.filter(era=Era.CURRENT).order_by("code").values_list("province__code", "code", "division_type")
    )
    for province, code, kind in rows:
        communes.setdefault(province, []).append((code, kind))
    if not communes:
        raise DomainError("geo_not_loaded", "Administrative units are not loaded: run `dancu load_geo` first.")
    return Geography(communes)


def run_synth(
    *,
    people: int,
    province: str | None = None,
    seed: int = 1,
    chunk_size: int = 5000,
    through_services: bool = False,
    reference_date: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SynthResult:
    """Build ``people`` synthetic people (in ``province``, a current 2-digit code, or the whole country).

    The same (seed, province, people) resumes an unfinished run, or does nothing if it finished.
    """
    if not 1 <= people <= MAX_PEOPLE:
        raise DomainError(
            "people_out_of_range", "--people must be between 1 and %(max)s.", params={"max": f"{MAX_PEOPLE:,}"}
        )
    if not 100 <= chunk_size <= 100_000:
        raise DomainError("chunk_size_out_of_range", "--chunk-size must be between 100 and 100,000.")
    if province is not None:
        province = province.zfill(2)
        if not Province.objects.filter(era=Era.CURRENT, code=province).exists():
            raise DomainError("province_unknown", "No current province has this code (34 provinces, '01'-'96').")
    key = f"seed={seed}/province={province or 'all'}/people={people}"
    run, created = SynthRun.objects.get_or_create(
        key=key,
        defaults={
            "seed": seed,
            "province": province or "",
            "people": people,
            "chunk_size": chunk_size,
            "reference_date": reference_date or timezone.localdate(),
        },
    )
    if run.finished:
        return SynthResult(run=run, people_added=0, resumed=False)
    planner = Planner(seed=seed, geography=load_geography(), province=province, reference_date=run.reference_date)
    planner.used_pins.update(Person.objects.values_list("pin", flat=True).iterator(chunk_size=20_000))
    writer: BulkWriter | ServiceWriter = (
        ServiceWriter(seed) if through_services else BulkWriter(seed, today=run.reference_date)
    )
    added = 0
    if progress:
        progress(run.people_done, run.people)
    while run.people_done < run.people:
        wanted = min(run.chunk_size, run.people - run.people_done)
        plan = planner.chunk(run.chunks_done, wanted)
        with transaction.atomic():
            events = writer.write(plan)
            run.chunks_done += 1
            run.people_done += plan.people
            run.events_done += events
            run.finished = run.people_done >= run.people
            run.save()
        added += plan.people
        if progress:
            progress(run.people_done, run.people)
    return SynthResult(run=run, people_added=added, resumed=not created)
