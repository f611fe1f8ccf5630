"""Back-ups that restore (ops/backup.py): a running system is backed up while it writes (dossiers with attachments
through the procedures' services, verifications through the gateway into the ledger), restored onto an empty
directory (and an empty PostgreSQL database), and the copy holds what the manifest says: counts, the event log's
head, a ledger that proves, dossiers whose attachments open."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow

#: Files dossiers with an attachment each until told to stop (run by `dancu shell` beside the back-up).
WRITER = """
import datetime, pathlib
from tests import factories
stop = pathlib.Path({stop!r})
done = 0
while not stop.exists() or done < 2:
    mother = factories.person(sex="F", birth_date=datetime.date(1990, 1, 1), residence="00004")
    father = factories.person(sex="M", birth_date=datetime.date(1989, 1, 1), residence="00004")
    factories.birth_case(factories.account(mother), father)
    done += 1
    if done == 2:
        pathlib.Path({started!r}).touch()
print("written", done)
"""

#: Reads every attachment of every dossier through the store (checked against its digest).
READER = """
from dancu.procedures.attachments import read
from dancu.procedures.models import Attachment, Dossier
print(Dossier.objects.count(), sum(1 for a in Attachment.objects.all() if read(a)))
"""


@dataclass
class System:
    var: Path
    env: dict[str, str]

    def dancu(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "dancu"), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done


def _system(var: Path, database_url: str | None) -> System:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    env.update(DANCU_VAR_DIR=str(var), DANCU_SECURE_COOKIES="0", DANCU_MESSAGE_SENDER="file", PYTHONPATH=str(ROOT))
    if database_url:
        env["DATABASE_URL"] = database_url
    return System(var, env)


@pytest.fixture
def databases() -> Iterator[tuple[str | None, str | None]]:
    """(source, target) database URLs: two new PostgreSQL databases in the PostgreSQL pass, else SQLite files."""
    url = os.environ.get("DATABASE_URL", "")
    if "postgres" not in url:
        yield None, None
        return
    import psycopg

    names = [f"dancu_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("source", "target")]
    with psycopg.connect(url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    yield tuple(urlunsplit(parts._replace(path=f"/{name}")) for name in names)  # type: ignore[misc]
    with psycopg.connect(url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _gateway_calls(var: Path, stop: threading.Event, answered: list[str]) -> None:
    """Verifications through the gateway (in this process) over the system's projection and ledger, until ``stop``."""
    from joserfc import jwt
    from joserfc.jwk import OKPKey
    from starlette.testclient import TestClient

    from dancu.gateway.app import create_app
    from dancu.gateway.config import GatewayConfig

    config = GatewayConfig(
        projection=var / "gateway-projection.sqlite3", ledger=var / "ledger.sqlite3",
        state=var / "gateway-state.sqlite3", keys_dir=var / "keys", issuer="http://testserver",
    )  # fmt: skip
    key = OKPKey.import_key(json.loads((var / "demo-client" / "demo-bank.private.jwk.json").read_text()))
    now = int(time.time())
    claims = {"iss": "demo-bank", "sub": "demo-bank", "aud": "http://testserver/oauth/token", "iat": now,
              "exp": now + 60, "jti": uuid.uuid4().hex}  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
    with sqlite3.connect(var / "gateway-projection.sqlite3") as db:
        db.execute("SELECT 1")
    with TestClient(create_app(config)) as client:
        token = client.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_assertion": assertion, "scope": "kyc-banking",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        }).json()["access_token"]  # fmt: skip
        while not stop.is_set():
            response = client.post(
                "/v1/verify", json={"pin": "001090000001", "purpose": "kyc-banking"},
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            answered.append(response.json()["request_id"])


def _counts(system: System, manifest: dict[str, Any]) -> tuple[dict[str, int], int]:
    """Row counts of the restored database (the manifest's tables) and its event log's head."""
    from dancu.ops.backup import COUNTED

    tables = ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in COUNTED.values())
    query = f"SELECT {tables}, (SELECT COALESCE(MAX(sequence), 0) FROM events_event)"
    url = system.env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as db:
            row = db.execute(query).fetchone()  # type: ignore[arg-type]
    else:
        with sqlite3.connect(system.var / "dancu.sqlite3") as db:
            row = db.execute(query).fetchone()
    assert row is not None
    return dict(zip(COUNTED, row[:-1], strict=True)), int(row[-1])


def test_a_backup_taken_under_writes_restores_onto_an_empty_machine(
    databases: tuple[str | None, str | None], tmp_path: Path
) -> None:
    """On SQLite files in the SQLite pass, on two new PostgreSQL databases in the PostgreSQL pass."""
    source_url, target_url = databases
    source = _system(tmp_path / "source", source_url)
    for command in (
        ("migrate", "--no-input", "-v0"), ("load_geo", "-v0"), ("synth", "--people", "150", "--seed", "4", "-v0"),
        ("load_catalogue", "-v0"), ("demo_gateway", "-v0"), ("project", "--rebuild", "-v0"),
    ):  # fmt: skip
        source.dancu(*command)
    stop_file, started_file = tmp_path / "stop", tmp_path / "started"
    writer = subprocess.Popen(
        [str(BIN / "dancu"), "shell", "-c", WRITER.format(stop=str(stop_file), started=str(started_file))],
        env=source.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stop_calls, answered = threading.Event(), []
    calls = threading.Thread(target=_gateway_calls, args=(source.var, stop_calls, answered))
    try:
        deadline = time.monotonic() + 300
        while not started_file.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # the writer has filed its first dossiers
        calls.start()
        while len(answered) < 20 and calls.is_alive():
            time.sleep(0.05)
        backup = tmp_path / "backup"
        source.dancu("backup", str(backup))  # while both write
        assert writer.poll() is None, writer.communicate()  # still writing after the back-up
    finally:
        stop_file.touch()
        stop_calls.set()
        _output, errors = writer.communicate(timeout=300)
        if calls.is_alive():
            calls.join(60)
    assert writer.returncode == 0, errors[-2000:]
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["dossiers"] >= 2 and manifest["counts"]["attachments"] >= 2
    assert manifest["ledger_head"] >= 20

    target = _system(tmp_path / "target", target_url)
    target.dancu("restore", str(backup))
    counts, head = _counts(target, manifest)
    assert counts == manifest["counts"]
    assert head == manifest["event_log_head"]
    verified = target.dancu("ledger", "verify")  # the chain and the signed checkpoints, with the restored keys
    assert "ledger_tampered" not in verified.stdout + verified.stderr
    target.dancu("attachments", "check")
    dossiers, opened = map(int, target.dancu("shell", "-c", READER).stdout.splitlines()[-1].split())
    assert (dossiers, opened) == (manifest["counts"]["dossiers"], manifest["counts"]["attachments"])
    # Corrupt one byte of the back-up: a restore refuses it before touching anything.
    damaged = backup / "gateway" / "ledger.sqlite3"
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 1
    damaged.write_bytes(bytes(data))
    refused = subprocess.run(
        [str(BIN / "dancu"), "restore", str(backup)], env=_system(tmp_path / "other", None).env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "backup_corrupt" in refused.stderr
