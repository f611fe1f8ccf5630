"""dancu simulate: days of activity through the real services, on the simulated days, counted by the roll-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dancu.insights import kpis, rollups
from dancu.synth.activity import AlreadySimulated, Simulation
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_simulated_week_lands_on_its_days(tmp_path: Path) -> None:
    for sex in "MFMFMFMF":
        factories.person(sex=sex, birth_date=dt.date(1985, 3, 2), residence=factories.HANOI_BA_DINH)
    until = dt.date(2026, 6, 30)
    simulation = Simulation(days=7, until=until, seed=5, ledger=tmp_path / "ledger.sqlite3")
    simulation.scale = 4.0  # a busy week from eight people
    report = simulation.run()
    assert report.days == 7 and report.counts["dossiers"] > 0 and report.counts["gateway"] > 0
    rollups.rebuild(tmp_path / "ledger.sqlite3")
    board = kpis.scoreboard(kpis.Scope(province="01"), kpis.Period(until - dt.timedelta(days=6), until))
    submitted = board["online_submission"].denominator
    assert submitted == report.counts["dossiers"]
    assert board["accounts_registered"].numerator == report.counts["accounts"]
    assert kpis.lookups(kpis.Period(until - dt.timedelta(days=6), until))["total"] == report.counts["gateway"]
    # Nothing lands after the last simulated day (the clock was moved back each time).
    later = kpis.scoreboard(kpis.Scope(), kpis.Period(until + dt.timedelta(days=1), until + dt.timedelta(days=400)))
    assert later["online_submission"].reason == kpis.NO_DATA
    with pytest.raises(AlreadySimulated):
        Simulation(days=1, until=until, seed=5, ledger=tmp_path / "ledger.sqlite3").run()
