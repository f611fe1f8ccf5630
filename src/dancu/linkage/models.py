"""Reconciliation jobs (đối soát): one file from one connected system, for one granted purpose."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from dancu.exchange.models import ConnectedSystem, Purpose
from dancu.linkage.choices import JobStatus, Sector, Stage


class ReconciliationJob(models.Model):
    """A bulk reconciliation job (Directive 18/CT-TTg 2023): the submitted file, its declared column mapping, where
    the worker is, the counts people watch, and the summary. Files live under ``LINKAGE_DIR/<id>/``; the results are
    published in one step when the job is done and deleted when ``expires_at`` passes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    system = models.ForeignKey(
        ConnectedSystem, on_delete=models.PROTECT, related_name="reconciliation_jobs", verbose_name=_("system")
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+", verbose_name=_("purpose"))
    sector = models.CharField(max_length=10, choices=Sector.choices, verbose_name=_("sector"))
    file_format = models.CharField(max_length=10, verbose_name=_("file format"))
    file_name = models.CharField(max_length=200, verbose_name=_("file name"))
    file_bytes = models.PositiveBigIntegerField(default=0, verbose_name=_("file size"))
    mapping = models.JSONField(default=dict, verbose_name=_("column mapping"))
    result_format = models.CharField(max_length=10, default="csv", verbose_name=_("results format"))
    engine = models.CharField(max_length=10, default="duckdb", verbose_name=_("engine"))
    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True, verbose_name=_("status")
    )
    stage = models.CharField(max_length=15, choices=Stage.choices, blank=True, verbose_name=_("stage"))
    stages_done = models.JSONField(default=list, verbose_name=_("stages done"))
    error_code = models.CharField(max_length=60, blank=True, verbose_name=_("error code"))
    error_line = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("error line"))
    problems = models.JSONField(
        default=list,
        help_text=_("Records refused, by line and code (the first thousand); never their values."),
        verbose_name=_("problems"),
    )
    cancel_requested = models.BooleanField(default=False, verbose_name=_("cancel requested"))
    rows_read = models.PositiveBigIntegerField(default=0, verbose_name=_("rows read"))
    rows_invalid = models.PositiveBigIntegerField(default=0, verbose_name=_("rows invalid"))
    pairs_compared = models.PositiveBigIntegerField(default=0, verbose_name=_("pairs compared"))
    matches = models.PositiveBigIntegerField(default=0, verbose_name=_("matches"))
    summary = models.JSONField(default=dict, verbose_name=_("summary"))
    model = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The Splink model (settings and trained parameters) the job used, so it can be run again."),
        verbose_name=_("linkage model"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("worker heartbeat"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("results kept until"))

    class Meta:
        verbose_name = _("reconciliation job")
        verbose_name_plural = _("reconciliation jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.id}"
