"""Reconciliation jobs end to end on a small synthetic registry: submitted under a grant, run by the worker,
answered per record without the registry's values, published in one step with the access ledger's batch entry,
cancelled, resumed after a crash, and deleted when expired."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.exchange.access import pin_hmac_hex
from dancu.exchange.choices import AccessChannel
from dancu.exchange.models import AccessRecord
from dancu.linkage import dirty, services
from dancu.linkage.choices import JobStatus, Stage
from dancu.linkage.models import ReconciliationJob
from dancu.linkage.registry_side import export_registry
from dancu.synth.services import run_synth
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def linkage_dir(settings: Any, tmp_path: Path) -> Path:
    settings.LINKAGE_DIR = str(tmp_path / "linkage")
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    return tmp_path


@pytest.fixture
def telecom() -> Any:
    system = factories.connected_system(kind="telecom")
    grant = factories.grant(system, operations=("reconcile", "reconcile_pin"), fields=(), status_flag=True)
    return system, grant.purpose.code


@pytest.fixture
def dirty_file(linkage_dir: Path) -> tuple[Path, Path]:
    run_synth(people=400, province="01", seed=5, chunk_size=400, reference_date=dt.date(2026, 11, 23))
    registry, _count = export_registry()
    out, truth = linkage_dir / "dirty.csv", linkage_dir / "truth.csv"
    dirty.generate(registry, out, truth, records=300, seed=7)
    return out, truth


def _submit(system: Any, purpose: str, source: Path, **extra: Any) -> ReconciliationJob:
    return services.submit(
        system=system, purpose_code=purpose, sector="telecom", source=source, mapping=dict(dirty.MAPPING), **extra
    )


def test_a_job_answers_every_record_and_records_each_matched_person(
    telecom: Any, dirty_file: tuple[Path, Path]
) -> None:
    system, purpose = telecom
    source, truth_path = dirty_file
    job = _submit(system, purpose, source)
    assert services.claim() is not None
    job = services.run(ReconciliationJob.objects.get(pk=job.pk))
    assert job.status == JobStatus.DONE, job.error_code
    assert job.model["comparisons"], "the trained model is saved with the job"
    assert not (services.job_dir(job) / "work.duckdb").exists(), "the copy of the registry side is gone"
    path = services.results_path(job)
    assert path is not None
    with path.open(encoding="utf-8") as f:
        results = {row["record_id"]: row for row in csv.DictReader(f)}
    with truth_path.open(encoding="utf-8") as f:
        truth = {row["ma_ban_ghi"]: row for row in csv.DictReader(f)}
    with source.open(encoding="utf-8") as f:
        given = {row["ma_ban_ghi"]: row for row in csv.DictReader(f)}
    assert results.keys() == truth.keys()
    answered = right = 0
    for record_id, row in results.items():
        if row["result"] in ("confirmed", "confirmed_with_differences", "pin_corrected", "deceased"):
            answered += 1
            right += (row["registry_pin"] or given[record_id]["so_dinh_danh"]) == truth[record_id]["pin"]
        if truth[record_id]["kind"] == "deceased":
            assert row["result"] == "deceased" and row["death_date"]
        if truth[record_id]["kind"] == "clean" and not truth[record_id]["pin_fault"]:
            assert row["result"] == "confirmed"
        if row["result"] == "confirmed_with_differences":
            assert set(row["differences"].split()) <= {"full_name", "birth_date", "sex"}
    assert answered and right / answered >= 0.98
    probabilistic = [r for k, r in results.items() if truth[k]["pin_fault"]]
    assert sum(r["result"] == "pin_corrected" for r in probabilistic) / len(probabilistic) >= 0.8
    summary = job.summary
    assert sum(summary["results"].values()) == 300 and summary["persons"] > 0
    # the answers carry no registry name or date of birth: only codes, the PIN where granted, a death date
    assert set(next(iter(results.values()))) == {
        "line", "record_id", "result", "problem", "differences", "registry_pin", "match_probability", "death_date",
        "flags",
    }  # fmt: skip
    records = AccessRecord.objects.filter(channel=AccessChannel.RECONCILIATION)
    assert records.count() == summary["persons"]
    someone = next(r for k, r in results.items() if r["result"] == "confirmed")
    pin = given[someone["record_id"]]["so_dinh_danh"]
    mine = records.get(pin_hmac=pin_hmac_hex(pin))
    assert mine.organisation == system.organisation and mine.reference == f"reconciliation:{job.id}"


def test_without_the_pin_grant_no_registry_pin_leaves(telecom: Any, dirty_file: tuple[Path, Path]) -> None:
    system, purpose = telecom
    factories.grant(system, factories.purpose(purpose + "-x"), operations=("reconcile",), fields=())
    job = _submit(system, purpose + "-x", dirty_file[0], result_format="parquet")
    job = services.run(services.claim(job.id))  # type: ignore[arg-type]
    import pyarrow.parquet as pq

    rows = pq.read_table(services.results_path(job)).to_pylist()  # type: ignore[arg-type]
    assert any(r["result"] == "pin_corrected" for r in rows)
    assert all(r["registry_pin"] is None for r in rows)
    assert all(r["death_date"] is None and r["result"] != "deceased" for r in rows)


def test_a_purpose_not_granted_is_refused_and_nothing_is_queued(linkage_dir: Path, telecom: Any) -> None:
    system, _purpose = telecom
    other = factories.purpose()
    source = linkage_dir / "x.csv"
    source.write_text("ma_ban_ghi,ho_ten,ngay_sinh\n1,An,1990\n")
    with pytest.raises(DomainError) as caught:
        _submit(system, other.code, source)
    assert caught.value.code == "purpose_not_granted"
    lookup_only = factories.grant(system, operations=("lookup",))
    with pytest.raises(DomainError, match="purpose_not_granted"):
        _submit(system, lookup_only.purpose.code, source)
    assert not ReconciliationJob.objects.exists()


def test_a_malformed_file_fails_the_job_with_its_code_and_line(linkage_dir: Path, telecom: Any) -> None:
    system, purpose = telecom
    source = linkage_dir / "bad.csv"
    source.write_bytes("ma_ban_ghi,ho_ten,ngay_sinh\n1,Nguyên Văn Đăng,1990\n".encode("cp1258"))
    job = services.run(services.claim(_submit(system, purpose, source).id))  # type: ignore[arg-type]
    assert (job.status, job.error_code, job.error_line) == (JobStatus.FAILED, "encoding_windows_1258", 2)
    assert services.results_path(job) is None and not AccessRecord.objects.exists()


def test_cancel_resume_and_expiry(settings: Any, telecom: Any, dirty_file: tuple[Path, Path]) -> None:
    system, purpose = telecom
    queued = _submit(system, purpose, dirty_file[0])
    assert services.cancel(queued).status == JobStatus.CANCELLED
    assert services.claim() is None
    # a worker that crashed after reading the file: another takes the job over and resumes after that stage
    job = _submit(system, purpose, dirty_file[0])
    claimed = services.claim(job.id)
    assert claimed is not None
    services._run.__globals__["read_file"](  # the first stage, as the crashed worker left it
        services.job_dir(claimed) / "input.csv", "csv", claimed.mapping, "telecom",
        services.job_dir(claimed) / "records.parquet",
    )  # fmt: skip
    ReconciliationJob.objects.filter(pk=job.pk).update(
        stages_done=[Stage.READ], rows_read=300, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    (services.job_dir(claimed) / "input.csv").unlink()  # the read stage is not run again
    resumed = services.claim()
    assert resumed is not None and resumed.pk == job.pk and resumed.attempts == 2
    done = services.run(resumed)
    assert done.status == JobStatus.DONE and done.stages_done[0] == Stage.READ
    assert services.purge(now=timezone.now()) == 0
    assert services.purge(now=timezone.now() + dt.timedelta(days=31)) == 1
    done.refresh_from_db()
    assert done.status == JobStatus.EXPIRED and services.results_path(done) is None
    assert done.summary, "the summary stays when the files go"
