"""The scoreboard's operational gauges on the web side's /metrics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dancu.insights import rollups
from dancu.ops.health import metrics_text
from tests.insights.activity import Activity, build_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db: Any, tmp_path: Path) -> Activity:
    return build_activity(tmp_path / "ledger.sqlite3")


def test_lookups_refusals_and_overdue_dossiers(activity: Activity) -> None:
    from dancu.procedures.models import Dossier

    rollups.rebuild(activity.ledger)
    Dossier.objects.filter(status="received").update(due_on=activity.today - dt.timedelta(days=1))
    text = metrics_text().decode()
    assert 'dancu_gateway_lookups_today{system_kind="bank"} 4.0' in text
    assert 'dancu_gateway_refusals_today{code="purpose_not_granted"} 1.0' in text
    late: dict[str, int] = {}
    for agency in Dossier.objects.filter(status="received").values_list("procedure__agency", flat=True):
        late[agency] = late.get(agency, 0) + 1
    assert late
    for agency, count in late.items():
        assert f'dancu_dossiers_overdue{{agency="{agency}"}} {float(count)}' in text
    assert 'dancu_insights_source_position{source="ledger"} 5.0' in text
