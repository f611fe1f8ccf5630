"""The insights app's gauges on the web side's ``/metrics`` (found by :func:`dancu.ops.health.app_collectors`): the
operational figures of the scoreboard, for operators who watch Prometheus and Grafana (deploy/grafana/)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from dancu.insights.kpis import LOOKUP_OPERATIONS
from dancu.insights.models import DailyLookup, SourceOffset


class InsightsCollector:
    def __init__(self, using: str) -> None:
        self.using = using

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from dancu.procedures.models import Dossier
        from dancu.procedures.workflow import OPEN

        today = timezone.localdate()
        calls = DailyLookup.objects.using(self.using).filter(day=today, operation__in=LOOKUP_OPERATIONS)
        lookups = GaugeMetricFamily(
            "dancu_gateway_lookups_today", "Verifications and lookups by connected systems today (Vietnam time)",
            labels=["system_kind"],
        )  # fmt: skip
        for kind, value in calls.values_list("system_kind").annotate(t=Sum("value")).order_by("system_kind"):
            lookups.add_metric([kind or "other"], value)
        yield lookups
        refusals = GaugeMetricFamily(
            "dancu_gateway_refusals_today", "Gateway calls refused today, by refusal code", labels=["code"]
        )
        refused = calls.filter(outcome__startswith="refused").values_list("outcome").annotate(t=Sum("value"))
        for outcome, value in refused.order_by("outcome"):
            refusals.add_metric([outcome.partition(":")[2] or "refused"], value)
        yield refusals
        overdue = GaugeMetricFamily(
            "dancu_dossiers_overdue", "Open dossiers past their due date, by agency", labels=["agency"]
        )
        late = Dossier.objects.using(self.using).filter(status__in=OPEN, due_on__lt=today)
        for agency, value in (
            late.values_list("procedure__agency").annotate(t=Count("pk")).order_by("procedure__agency")
        ):
            overdue.add_metric([agency], value)
        yield overdue
        positions = GaugeMetricFamily(
            "dancu_insights_source_position", "How far the scoreboard's roll-ups have read each source",
            labels=["source"],
        )  # fmt: skip
        for source, position in SourceOffset.objects.using(self.using).values_list("source", "position"):
            positions.add_metric([source], position)
        yield positions


def collector(using: str) -> InsightsCollector:
    return InsightsCollector(using)
