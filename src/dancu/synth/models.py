"""Progress of synthetic-population runs, so that an interrupted run resumes where it stopped."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SynthRun(models.Model):
    """One ``dancu synth`` run: its parameters and how many chunks are committed. Each chunk is one transaction."""

    key = models.CharField(max_length=100, unique=True, help_text="seed/province/people: same key resumes.")
    seed = models.BigIntegerField()
    province = models.CharField(max_length=2, blank=True, help_text="Current province code, or blank for all.")
    people = models.PositiveIntegerField(help_text="People asked for.")
    chunk_size = models.PositiveIntegerField()
    reference_date = models.DateField(help_text="'Today' for the generated ages and dates, fixed for the run.")
    chunks_done = models.PositiveIntegerField(default=0)
    people_done = models.PositiveIntegerField(default=0)
    events_done = models.PositiveBigIntegerField(default=0)
    finished = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("synthetic population run")
        verbose_name_plural = _("synthetic population runs")

    def __str__(self) -> str:
        return self.key
