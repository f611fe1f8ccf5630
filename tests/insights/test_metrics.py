"""The scoreboard's operational gauges on the web side's /metrics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from dancu.insights import rollups
from dancu.insights.metrics import InsightsCollector
from dancu.ops.health import app_collectors
from tests.insights.activity import Activity, build_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db: Any, tmp_path: Path) -> Activity:
    return build_activity(tmp_path / "ledger.sqlite3")


def test_lookups_refusals_and_overdue_dossiers(activity: Activity) -> None:
    from dancu.procedures.models import Dossier

    rollups.rebuild(activity.ledger)
    Dossier.objects.filter(status="received").update(due_on=activity.today - dt.timedelta(days=1))
    # What /metrics adds from this app (metrics_text itself closes the connection, which a test's transaction on
    # PostgreSQL cannot survive).
    collectors = [c for c in app_collectors("default") if isinstance(c, InsightsCollector)]
    assert len(collectors) == 1
    registry = CollectorRegistry()
    registry.register(collectors[0])  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    assert 'dancu_gateway_lookups_today{system_kind="bank"} 4.0' in text
    assert 'dancu_gateway_refusals_today{code="purpose_not_granted"} 1.0' in text
    late: dict[str, int] = {}
    for agency in Dossier.objects.filter(status="received").values_list("procedure__agency", flat=True):
        late[agency] = late.get(agency, 0) + 1
    assert late
    for agency, count in late.items():
        assert f'dancu_dossiers_overdue{{agency="{agency}"}} {float(count)}' in text
    assert 'dancu_insights_source_position{source="ledger"} 5.0' in text
