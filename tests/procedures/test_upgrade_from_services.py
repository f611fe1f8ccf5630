"""A database made while the app was ``services`` upgrades with ``dancu migrate`` and keeps its dossiers.

The old schema comes from the old app's own migrations (tests/procedures/upgrade/), rows are written through their
historical models, then the real ``dancu migrate`` runs on that database; each step in its own process, as an
operator would run them. On PostgreSQL the database is a scratch one next to the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the kind the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if "postgres" not in url:
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'dancu'}_upgrade_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args: list[str], database_url: str, var: Path) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DANCU_VAR_DIR": str(var), "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_services_database_upgrades_and_keeps_its_dossiers(database_url: str, tmp_path: Path) -> None:
    old = json.loads(_run([sys.executable, "-m", "tests.procedures.upgrade.old_database"], database_url, tmp_path))
    assert old["dossiers"] == ["HS-OLD-1", "HS-OLD-2"]
    assert old["permissions"] == [["services", "change_dossier"], ["services", "view_dossier"]]
    assert "services_dossier" in old["tables"]

    dancu = str(Path(sys.executable).with_name("dancu"))
    _run([dancu, "migrate", "--no-input", "-v0"], database_url, tmp_path)
    new = json.loads(_run([sys.executable, "-m", "tests.procedures.upgrade.check_upgraded"], database_url, tmp_path))

    assert new["dossiers"] == ["HS-OLD-1", "HS-OLD-2"]
    assert new["case_dossiers"] == 2
    assert new["transitions"] == 2  # the old one, and one written after the upgrade (the id sequence carries on)
    assert new["attachment"] == "%PDF-1 x"
    assert (new["documents"], new["notifications"], new["reuses"]) == (1, 1, 1)
    assert new["payments"] == [["paid", 8000]]
    assert new["permissions"] == [["procedures", "change_dossier"], ["procedures", "view_dossier"]]
    assert (new["old_content_types"], new["old_migrations"]) == (0, 0)
    migrations = Path(__file__).resolve().parents[2] / "src" / "dancu" / "procedures" / "migrations"
    assert new["procedures_migrations"] == sorted(p.stem for p in migrations.glob("0*.py"))  # all applied after it
    assert new["tables"] and all(t.startswith("procedures_") for t in new["tables"])

    out = _run([dancu, "showmigrations", "procedures"], database_url, tmp_path)
    assert "[X] 0001_initial" in out
