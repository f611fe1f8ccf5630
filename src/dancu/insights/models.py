"""The roll-ups behind the programme's scoreboard (bảng chỉ số): daily counts kept by the insights consumer from the
event log, the dossiers' status changes, the e-ID accounts' security events and the gateway's access ledger, each
read from its own offset. Derived data only: ``dancu insights rebuild`` throws them away and reads every source
again. No row holds a person's identity: a count is a number for a day and an area (or a connected system)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyCount(models.Model):
    """How many times ``metric`` happened on ``day`` in one commune, for one agency (``""``: not by agency), with
    ``detail`` where a metric is split (a time bucket, a number of working days)."""

    day = models.DateField(verbose_name=_("day"))
    province = models.CharField(max_length=2, blank=True, verbose_name=_("province"))
    commune = models.CharField(max_length=5, blank=True, verbose_name=_("commune"))
    agency = models.CharField(max_length=30, blank=True, verbose_name=_("agency"))
    metric = models.CharField(max_length=40, verbose_name=_("metric"))
    detail = models.CharField(max_length=40, blank=True, verbose_name=_("detail"))
    value = models.BigIntegerField(default=0, verbose_name=_("value"))

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        permissions = [("view_scoreboard", _("Can see the programme's scoreboard"))]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "commune", "agency", "metric", "detail"], name="insights_dailycount_key"
            )
        ]
        indexes = [
            models.Index(fields=["province", "day"], name="insights_count_province_day"),
            models.Index(fields=["day", "metric"], name="insights_count_day_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.commune or '-'} {self.metric} {self.value}"


class MonthlyCount(models.Model):
    """:class:`DailyCount` summed by month (``month``: its first day), kept in the same transaction: what the
    scoreboard reads for the whole months of a period (thirty times fewer rows than the days)."""

    month = models.DateField(verbose_name=_("month"))
    province = models.CharField(max_length=2, blank=True, verbose_name=_("province"))
    commune = models.CharField(max_length=5, blank=True, verbose_name=_("commune"))
    agency = models.CharField(max_length=30, blank=True, verbose_name=_("agency"))
    metric = models.CharField(max_length=40, verbose_name=_("metric"))
    detail = models.CharField(max_length=40, blank=True, verbose_name=_("detail"))
    value = models.BigIntegerField(default=0, verbose_name=_("value"))

    class Meta:
        verbose_name = _("monthly count")
        verbose_name_plural = _("monthly counts")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "commune", "agency", "metric", "detail"], name="insights_monthlycount_key"
            )
        ]
        indexes = [models.Index(fields=["province", "month"], name="insights_month_province")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.commune or '-'} {self.metric} {self.value}"


class DailyLookup(models.Model):
    """The gateway's calls on one day by one connected system, purpose, operation and outcome (from the ledger)."""

    day = models.DateField(verbose_name=_("day"))
    system = models.CharField(max_length=100, verbose_name=_("connected system"))
    system_kind = models.CharField(max_length=10, blank=True, verbose_name=_("system kind"))
    purpose = models.CharField(max_length=100, blank=True, verbose_name=_("purpose"))
    operation = models.CharField(max_length=20, verbose_name=_("operation"))
    outcome = models.CharField(max_length=60, verbose_name=_("outcome"))
    value = models.BigIntegerField(default=0, verbose_name=_("value"))

    class Meta:
        verbose_name = _("daily gateway calls")
        verbose_name_plural = _("daily gateway calls")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "system", "purpose", "operation", "outcome"], name="insights_dailylookup_key"
            )
        ]
        indexes = [models.Index(fields=["day"], name="insights_lookup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.system} {self.operation} {self.outcome} {self.value}"


class SourceOffset(models.Model):
    """How far the roll-ups have read one source other than the event log (whose offset is the events app's
    consumer offset ``insights``): ``transitions``, ``security_events`` (ids) and ``ledger`` (its sequence)."""

    source = models.CharField(max_length=40, unique=True, verbose_name=_("source"))
    position = models.BigIntegerField(default=0, verbose_name=_("position"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("roll-up source position")
        verbose_name_plural = _("roll-up source positions")

    def __str__(self) -> str:
        return f"{self.source}@{self.position}"


class CommunePopulation(models.Model):
    """Living people registered in a commune (their household's), counted at ``counted_at``: the denominator of
    birth-registration completeness. A commune without a row has no population figure."""

    commune = models.CharField(max_length=5, unique=True, verbose_name=_("commune"))
    province = models.CharField(max_length=2, verbose_name=_("province"))
    people = models.PositiveIntegerField(verbose_name=_("people"))
    counted_at = models.DateTimeField(verbose_name=_("counted at"))

    class Meta:
        verbose_name = _("commune population")
        verbose_name_plural = _("commune populations")

    def __str__(self) -> str:
        return f"{self.commune}: {self.people}"
