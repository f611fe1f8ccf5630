"""Reconciliation jobs as a purpose-bound service: submit (checked against the system's grant), run by a worker
stage by stage (each stage's output kept, so a job taken over after a crash resumes at the first stage not done),
cancel, publish in one step (results file, summary, the access ledger's batch entry), and delete when expired."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dancu.core.errors import DomainError, gettext_noop
from dancu.exchange.access import record_batch_access
from dancu.exchange.choices import AccessChannel, Operation, SystemStatus
from dancu.exchange.models import ConnectedSystem, Grant
from dancu.linkage import conf, pipeline, splinkmodel
from dancu.linkage.choices import JobStatus, Sector, Stage
from dancu.linkage.models import ReconciliationJob
from dancu.linkage.reading import LinkageError, check_mapping, read_file
from dancu.linkage.registry_side import export_registry

#: What a reconciliation compares, recorded in the person's access history.
COMPARED_FIELDS = ("full_name", "birth_date", "sex", "status")


class JobCancelled(Exception):
    """The job was cancelled while it ran (raised between chunks and stages)."""


def job_dir(job: ReconciliationJob) -> Path:
    return conf.linkage_dir() / str(job.id)


def reconciliation_grant(system: ConnectedSystem, purpose_code: str) -> Grant:
    """The system's grant for ``purpose_code`` if it allows reconciliation; ``purpose_not_granted`` otherwise."""
    if system.status != SystemStatus.APPROVED:
        raise DomainError("system_not_approved", gettext_noop("The connected system is not approved."), status=403)
    grant = Grant.objects.filter(system=system, purpose__code=purpose_code).select_related("purpose").first()
    if grant is None or not {Operation.RECONCILE, Operation.RECONCILE_PIN} & set(grant.operations):
        raise DomainError(
            "purpose_not_granted",
            gettext_noop("The system has no reconciliation grant for this purpose."),
            field="purpose",
            status=403,
        )
    return grant


def submit(
    *,
    system: ConnectedSystem,
    purpose_code: str,
    sector: str,
    source: Path,
    mapping: dict[str, str],
    file_format: str | None = None,
    result_format: str = "csv",
) -> ReconciliationJob:
    """Queue a job for ``source`` (copied into the job's directory). Refuses at once what can be seen at once: no
    grant, an unknown sector, a bad mapping, an unknown format, a file too large or empty."""
    grant = reconciliation_grant(system, purpose_code)
    if sector not in Sector.values:
        raise DomainError("sector_unknown", gettext_noop("The sector is telecom, bank or tax."), field="sector")
    check_mapping(mapping, sector)
    file_format = (file_format or source.suffix.lstrip(".")).lower()
    if file_format not in ("csv", "parquet") or result_format not in ("csv", "parquet"):
        raise DomainError("format_unknown", gettext_noop("Files are CSV or Parquet."), field="format")
    size = source.stat().st_size
    if size == 0:
        raise DomainError("file_empty", gettext_noop("The file has no records."), field="file")
    if size > conf.max_file_bytes():
        raise DomainError("file_too_large", gettext_noop("The file is larger than this service accepts."), field="file")
    job = ReconciliationJob(
        system=system,
        purpose=grant.purpose,
        sector=sector,
        file_format=file_format,
        file_name=source.name[:200],
        file_bytes=size,
        mapping=mapping,
        result_format=result_format,
        engine=conf.engine(),
    )
    directory = job_dir(job)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, directory / f"input.{file_format}")
    job.save(force_insert=True)
    return job


def cancel(job: ReconciliationJob) -> ReconciliationJob:
    """Cancel a queued job at once, a running one at its worker's next check; a finished job stays as it is."""
    if job.status == JobStatus.QUEUED:
        ReconciliationJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now(), cancel_requested=True
        )
        shutil.rmtree(job_dir(job), ignore_errors=True)
    elif job.status == JobStatus.RUNNING:
        ReconciliationJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def claim(job_id: Any = None) -> ReconciliationJob | None:
    """Take the oldest queued job, or a running one whose worker stopped beating (a crash): it resumes."""
    stale = timezone.now() - dt.timedelta(seconds=conf.stale_seconds())
    candidates = ReconciliationJob.objects.filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=stale)
    ).order_by("created_at")
    if job_id is not None:
        candidates = candidates.filter(pk=job_id)
    for job in candidates[:5]:
        now = timezone.now()
        taken = ReconciliationJob.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at).update(
            status=JobStatus.RUNNING, heartbeat_at=now, started_at=job.started_at or now, attempts=job.attempts + 1
        )
        if taken:
            job.refresh_from_db()
            return job
    return None


class _Progress:
    """Counts written to the job (for the CLI's progress bar and the API) and the cancel check."""

    def __init__(self, job: ReconciliationJob, report: Callable[[ReconciliationJob], None] | None) -> None:
        self.job = job
        self.report = report
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, **counts: Any) -> None:
        counts["heartbeat_at"] = timezone.now()
        ReconciliationJob.objects.filter(pk=self.job.pk).update(**counts)
        for name, value in counts.items():
            setattr(self.job, name, value)
        if ReconciliationJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCancelled
        if self.report:
            self.report(self.job)


def _fail(job: ReconciliationJob, code: str, line: int | None = None) -> None:
    ReconciliationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error_code=code[:60], error_line=line, finished_at=timezone.now()
    )
    for name in ("records.parquet", "work.duckdb", "tmp", "dancu_records.parquet", "dancu_registry.parquet"):
        path = job_dir(job) / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    job.refresh_from_db()


def run(job: ReconciliationJob, *, report: Callable[[ReconciliationJob], None] | None = None) -> ReconciliationJob:
    """Run a claimed job to its end: done, failed (with its code and line) or cancelled."""
    progress = _Progress(job, report)
    try:
        _run(job, progress)
    except JobCancelled:
        ReconciliationJob.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED, finished_at=timezone.now())
        shutil.rmtree(job_dir(job), ignore_errors=True)
    except LinkageError as error:
        _fail(job, error.code, error.line)
    except DomainError as error:
        _fail(job, error.code)
    job.refresh_from_db()
    return job


def _stage(job: ReconciliationJob, progress: _Progress, stage: str) -> bool:
    """Whether ``stage`` still has to run (False: it finished before a crash); marks it current."""
    if stage in job.stages_done:
        return False
    progress(stage=stage)
    progress.started[stage] = time.perf_counter()
    return True


def _done(job: ReconciliationJob, stage: str, progress: _Progress) -> None:
    progress.seconds[stage] = round(time.perf_counter() - progress.started.pop(stage, time.perf_counter()), 3)
    job.stages_done = [*job.stages_done, stage]
    ReconciliationJob.objects.filter(pk=job.pk).update(stages_done=job.stages_done)


def _run(job: ReconciliationJob, progress: _Progress) -> None:
    directory = job_dir(job)
    records = directory / "records.parquet"
    grant = reconciliation_grant(job.system, job.purpose.code)
    if _stage(job, progress, Stage.READ):
        source = directory / f"input.{job.file_format}"
        read = read_file(
            source, job.file_format, job.mapping, job.sector, records, progress=lambda n: progress(rows_read=n)
        )
        if read.rows and (read.invalid / read.rows) > conf.max_invalid_share():
            raise LinkageError(
                "too_many_invalid_records",
                gettext_noop("Too many records are invalid; see the problems by line."),
                line=read.problems[0]["line"] if read.problems else None,
            )
        progress(rows_read=read.rows, rows_invalid=read.invalid, problems=read.problems)
        _done(job, Stage.READ, progress)
    started = time.perf_counter()
    registry, registry_size = export_registry()
    progress.seconds["registry"] = round(time.perf_counter() - started, 3)
    con = pipeline.connect(directory)
    try:
        pipeline.attach(con, records, registry)
        if _stage(job, progress, Stage.DETERMINISTIC):
            exact = pipeline.deterministic(con)
            progress(matches=exact)
            _done(job, Stage.DETERMINISTIC, progress)
        if _stage(job, progress, Stage.PROBABILISTIC):
            _probabilistic(job, con, directory, registry_size, progress)
            _done(job, Stage.PROBABILISTIC, progress)
        if _stage(job, progress, Stage.PUBLISH):
            _publish(job, con, grant, directory, progress.seconds)
    finally:
        con.close()
    if job_done(job) and not conf.keep_work():
        # the working file holds a copy of the registry side: it goes as soon as the results are out
        for name in ("work.duckdb", "work.duckdb.wal"):
            (directory / name).unlink(missing_ok=True)


def job_done(job: ReconciliationJob) -> bool:
    return ReconciliationJob.objects.filter(pk=job.pk, status=JobStatus.DONE).exists()


def _model(con: Any, registry_size: int) -> dict[str, Any]:
    """The saved model for this registry (trained on the first job that needed one, then reused)."""
    path = conf.linkage_dir() / "registry" / "model.json"
    if path.exists():
        saved = json.loads(path.read_text())
        if saved.get("registry_size") == registry_size:
            return dict(saved["model"])
    columns = ", ".join(c for c in splinkmodel.COLUMNS if c != "uid")
    con.execute(
        f"CREATE OR REPLACE TABLE dancu_training AS SELECT rid AS uid, {columns} FROM records WHERE problem IS NULL"
    )
    con.execute("CREATE OR REPLACE TABLE dancu_labels AS SELECT rid, pid FROM exact")
    model = splinkmodel.train(con, registry_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"registry_size": registry_size, "model": model}))
    return model


def _probabilistic(job: ReconciliationJob, con: Any, directory: Path, registry_size: int, progress: _Progress) -> None:
    left, right = pipeline.prepare_probabilistic(con, directory, for_spark=job.engine == "spark")
    if left == 0:
        con.execute("CREATE OR REPLACE TABLE linked_pairs (rid BIGINT, pid BIGINT, probability DOUBLE)")
    else:
        started = time.perf_counter()
        model = job.model or _model(con, right)
        progress.seconds["model"] = round(time.perf_counter() - started, 3)
        progress(model=model)
        threshold = conf.review_probability()
        if job.engine == "spark":
            out = directory / "pairs-spark.parquet"
            spark = splinkmodel.spark_session(conf.spark_master(), directory / "tmp" / "spark")
            splinkmodel.predict_spark(
                spark, directory / "dancu_records.parquet", directory / "dancu_registry.parquet", model, threshold, out
            )
            con.execute(f"CREATE OR REPLACE TABLE linked_pairs AS SELECT * FROM read_parquet('{out}/*.parquet')")
        else:
            splinkmodel.predict_duckdb(con, model, threshold)
    pipeline.decide(con)
    pairs = con.execute("SELECT count(*) FROM linked_pairs").fetchall()[0]
    linked = con.execute("SELECT count(*) FROM linked WHERE NOT ambiguous").fetchall()[0]
    progress(pairs_compared=int(pairs[0]) if pairs else 0, matches=job.matches + (int(linked[0]) if linked else 0))


def _publish(job: ReconciliationJob, con: Any, grant: Grant, directory: Path, seconds: dict[str, float]) -> None:
    started = time.perf_counter()
    allowed = pipeline.Permissions(correct_pin=Operation.RECONCILE_PIN in grant.operations, status=grant.status_flag)
    pipeline.answers(con, job.sector, allowed)
    summary = pipeline.summary(con, job.sector)
    final = directory / f"results.{job.result_format}"
    partial = directory / f"results.partial.{job.result_format}"
    pipeline.write_results(con, partial, job.result_format)
    pins = pipeline.matched_pins(con)
    now = timezone.now()
    summary["seconds"] = {**seconds, "publish": round(time.perf_counter() - started, 3)}
    with transaction.atomic():
        record_batch_access(
            pins,
            channel=AccessChannel.RECONCILIATION,
            organisation=job.system.organisation,
            actor=job.system.name,
            purpose=job.purpose.code,
            fields=COMPARED_FIELDS,
            reference=f"reconciliation:{job.id}"[:100],
            time=now,
        )
        ReconciliationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            summary=summary,
            finished_at=now,
            expires_at=now + dt.timedelta(days=conf.result_days()),
            stages_done=[*job.stages_done, Stage.PUBLISH],
            heartbeat_at=now,
        )
        # Last in the transaction: a results file is served only for a job marked done (results_path), so a failed
        # commit after this leaves a file nobody is given, and the job is run again.
        partial.replace(final)
    for name in ("tmp", "dancu_records.parquet", "dancu_registry.parquet", "pairs-spark.parquet"):
        path = directory / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def results_path(job: ReconciliationJob) -> Path | None:
    path = job_dir(job) / f"results.{job.result_format}"
    return path if job.status == JobStatus.DONE and path.exists() else None


def purge(now: dt.datetime | None = None) -> int:
    """Delete the files of jobs whose results expired (the job row stays, marked expired, with its summary)."""
    now = now or timezone.now()
    expired = 0
    for job in ReconciliationJob.objects.filter(status=JobStatus.DONE, expires_at__lte=now):
        shutil.rmtree(job_dir(job), ignore_errors=True)
        ReconciliationJob.objects.filter(pk=job.pk).update(status=JobStatus.EXPIRED)
        expired += 1
    return expired


def work(*, once: bool = False, poll: float = 2.0, report: Callable[[ReconciliationJob], None] | None = None) -> int:
    """The worker: run jobs as they come (``once``: until none is waiting). Returns how many it ran."""
    ran = 0
    while True:
        purge()
        job = claim()
        if job is not None:
            run(job, report=report)
            ran += 1
            continue
        if once:
            return ran
        time.sleep(poll)
