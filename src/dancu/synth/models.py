"""Progress of synthetic-population runs, so that an interrupted run resumes where it stopped."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SynthRun(models.Model):
    """One ``dancu synth`` run: its parameters and how many chunks are committed. Each chunk is one transaction."""

    key = models.CharField(
        max_length=100, unique=True, help_text=_("seed/province/people: same key resumes."), verbose_name=_("key")
    )
    seed = models.BigIntegerField(verbose_name=_("seed"))
    province = models.CharField(
        max_length=2, blank=True, help_text=_("Current province code, or blank for all."), verbose_name=_("province")
    )
    people = models.PositiveIntegerField(help_text=_("People asked for."), verbose_name=_("people"))
    chunk_size = models.PositiveIntegerField(verbose_name=_("chunk size"))
    reference_date = models.DateField(
        help_text=_("'Today' for the generated ages and dates, fixed for the run."), verbose_name=_("reference date")
    )
    chunks_done = models.PositiveIntegerField(default=0, verbose_name=_("chunks done"))
    people_done = models.PositiveIntegerField(default=0, verbose_name=_("people done"))
    events_done = models.PositiveBigIntegerField(default=0, verbose_name=_("events done"))
    finished = models.BooleanField(default=False, verbose_name=_("finished"))
    started_at = models.DateTimeField(auto_now_add=True, verbose_name=_("started at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("synthetic population run")
        verbose_name_plural = _("synthetic population runs")

    def __str__(self) -> str:
        return self.key
