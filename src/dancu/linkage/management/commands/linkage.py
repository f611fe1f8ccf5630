"""``dancu linkage ...``: bulk reconciliation from the operator's command line.

dancu linkage submit FILE --system CLIENT_ID --purpose CODE --sector telecom --map record_id=COL ... [--wait]
dancu linkage run [--once] [--job ID]     the worker (resumes a job whose worker crashed)
dancu linkage status [ID]                 one job, or the latest jobs
dancu linkage cancel ID
dancu linkage purge                       delete expired results
dancu linkage generate OUT --truth TRUTH --records N [--seed S]   a dirty telecom file from the registry
dancu linkage demo                        the demo telecom operator and its sample file (DANCU_DEMO only)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dancu.core.errors import DomainError
from dancu.exchange.models import ConnectedSystem
from dancu.linkage import dirty, services
from dancu.linkage.choices import JobStatus
from dancu.linkage.models import ReconciliationJob
from dancu.linkage.registry_side import export_registry


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep:
            raise CommandError("mapping_invalid: each --map is FIELD=COLUMN")
        mapping[field.strip()] = column.strip()
    return mapping


class Command(BaseCommand):
    help = "Bulk reconciliation jobs (Directive 18): submit, run the worker, status, cancel, purge, generate."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        submit = sub.add_parser("submit", help="Queue a file for reconciliation.")
        submit.add_argument("file", type=Path)
        submit.add_argument("--system", required=True, help="Client id of the connected system.")
        submit.add_argument("--purpose", required=True, help="Purpose code of its reconciliation grant.")
        submit.add_argument("--sector", required=True, choices=["telecom", "bank", "tax"])
        submit.add_argument("--map", nargs="+", default=None, help="FIELD=COLUMN pairs (default: generated files').")
        submit.add_argument("--format", choices=["csv", "parquet"], default=None)
        submit.add_argument("--results", choices=["csv", "parquet"], default="csv")
        submit.add_argument("--wait", action="store_true", help="Run it now in this process with a progress bar.")
        worker = sub.add_parser("run", help="The worker: run queued jobs (and take over crashed ones).")
        worker.add_argument("--once", action="store_true", help="Stop when no job is waiting.")
        status = sub.add_parser("status", help="A job's status and summary, or the latest jobs.")
        status.add_argument("job", nargs="?")
        sub.add_parser("cancel").add_argument("job")
        sub.add_parser("purge", help="Delete results past their keeping time.")
        demo = sub.add_parser("demo", help="The demo telecom operator, its grant and a sample file (DANCU_DEMO).")
        demo.add_argument("--records", type=int, default=2000)
        generate = sub.add_parser("generate", help="Write a dirty telecom file from the registry, truth aside.")
        generate.add_argument("out", type=Path)
        generate.add_argument("--truth", type=Path, required=True)
        generate.add_argument("--records", type=int, default=1000)
        generate.add_argument("--seed", type=int, default=18)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"])(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None

    def _job(self, ident: str) -> ReconciliationJob:
        try:
            return ReconciliationJob.objects.select_related("system", "purpose").get(pk=ident)
        except (ReconciliationJob.DoesNotExist, ValueError, Exception):
            raise CommandError("job_unknown: no job with this id") from None

    def _submit(self, options: dict[str, Any]) -> None:
        system = ConnectedSystem.objects.filter(client_id=options["system"]).first()
        if system is None:
            raise CommandError("system_unknown: no connected system with this client id")
        if not options["file"].is_file():
            raise CommandError("file_missing: no such file")
        job = services.submit(
            system=system,
            purpose_code=options["purpose"],
            sector=options["sector"],
            source=options["file"],
            mapping=_mapping(options["map"]) if options["map"] else dict(dirty.MAPPING),
            file_format=options["format"],
            result_format=options["results"],
        )
        self.stdout.write(f"queued {job.id}")
        if options["wait"]:
            claimed = services.claim(job.id)
            if claimed is not None:
                self._show(self._with_progress(claimed))

    def _with_progress(self, job: ReconciliationJob) -> ReconciliationJob:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            disable=not self.stdout.isatty(),
        ) as bar:
            task = bar.add_task("reading", total=None, note="")

            def report(current: ReconciliationJob) -> None:
                bar.update(
                    task,
                    description=current.stage or "queued",
                    completed=current.rows_read,
                    note=f"pairs {current.pairs_compared} matches {current.matches}",
                )

            return services.run(job, report=report)

    def _run(self, options: dict[str, Any]) -> None:
        ran = services.work(once=options["once"], report=None)
        self.stdout.write(f"ran {ran} job(s)")

    def _show(self, job: ReconciliationJob) -> None:
        line = f"{job.id} {job.status} stage={job.stage or '-'} rows={job.rows_read} invalid={job.rows_invalid} "
        line += f"pairs={job.pairs_compared} matches={job.matches}"
        if job.error_code:
            line += f" error={job.error_code}" + (f" line={job.error_line}" if job.error_line else "")
        self.stdout.write(line)
        if job.summary:
            self.stdout.write(json.dumps(job.summary, ensure_ascii=False, sort_keys=True))
        path = services.results_path(job)
        if path:
            self.stdout.write(f"results {path}")
        if job.status == JobStatus.FAILED:
            raise CommandError(f"{job.error_code}: the job failed")

    def _status(self, options: dict[str, Any]) -> None:
        if options["job"]:
            self._show(self._job(options["job"]))
            return
        for job in ReconciliationJob.objects.select_related("system")[:20]:
            self.stdout.write(f"{job.id} {job.system.client_id} {job.sector} {job.status} rows={job.rows_read}")

    def _cancel(self, options: dict[str, Any]) -> None:
        job = services.cancel(self._job(options["job"]))
        self.stdout.write(f"{job.id} {job.status}{' (cancel requested)' if job.status == JobStatus.RUNNING else ''}")

    def _purge(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"expired {services.purge()} job(s)")

    def _demo(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        from dancu.linkage.demo import DEMO_CLIENT_ID, DEMO_PURPOSE, demo_sample, ensure_demo_operator

        if not settings.DEMO:
            raise CommandError("demo_only: set DANCU_DEMO=1")
        ensure_demo_operator()
        path = demo_sample(options["records"])
        self.stdout.write(
            f"Demo telecom operator: dancu linkage submit {path} --system {DEMO_CLIENT_ID} "
            f"--purpose {DEMO_PURPOSE} --sector telecom --wait"
        )

    def _generate(self, options: dict[str, Any]) -> None:
        registry, _count = export_registry()
        dirty.generate(registry, options["out"], options["truth"], records=options["records"], seed=options["seed"])
        self.stdout.write(f"wrote {options['records']} records to {options['out']}")
