"""Back-ups that restore (docs/operator.md, "Back-up and restore").

:func:`backup` copies, while everything runs, what a restore needs, in this order:

1. the registry's database, as of one instant: SQLite's online backup API (through Django's own connection, so the
   copy is one consistent snapshot whatever writes go on), or ``pg_dump`` of a snapshot exported by a repeatable-
   read transaction in which the manifest's head sequence and counts are read too;
2. the gateway's SQLite files (the access ledger, the projection, the shared state) with the same online backup
   API, each as of its own instant; the ledger's witness file; the verification index files named by the
   projection (immutable once written);
3. the keys directory, the generated secret key, the file outbox (``outbox.jsonl``) and the demo's files;
4. the attachments store, **after** the database: files are content-addressed, immutable and written before the
   rows that name them, so every row in the copy finds its file;
5. ``manifest.json``: each file's size and SHA-256, the event log's head sequence and row counts of the copy.

:func:`restore` checks every hash of the manifest, refuses a target that is not empty, and puts each part back
where the restoring process's settings say it lives (``DANCU_VAR_DIR``, ``DATABASE_URL``, ``DANCU_LEDGER``, ...).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from django.db import connection

from dancu.core.errors import DomainError

MANIFEST = "manifest.json"
FORMAT = 1
#: Tables counted in the manifest (and checked after a restore).
COUNTED = {
    "persons": "registry_person",
    "events": "events_event",
    "dossiers": "procedures_dossier",
    "attachments": "procedures_attachment",
    "accounts": "accounts_account",
}
#: Small files of the var directory copied as they are (absent ones are skipped).
VAR_FILES = ("secret_key", "outbox.jsonl", "demo-citizens.json", "demo-officials.json", "demo-rp.json")
VAR_DIRS = ("demo-client",)


class BackupError(DomainError):
    pass


@dataclass(frozen=True)
class Places:
    """Where each part lives for this process (its settings and environment)."""

    var: Path
    keys: Path
    ledger: Path
    projection: Path
    state: Path
    attachments: Path | None

    @classmethod
    def from_settings(cls) -> Places:
        from dancu.procedures.attachments import files_root

        var = Path(settings.VAR_DIR)
        store = getattr(settings, "DANCU_ATTACHMENT_STORE", "files")
        return cls(
            var=var,
            keys=Path(settings.DANCU_KEYS_DIR),
            ledger=Path(settings.DANCU_LEDGER),
            projection=Path(settings.DANCU_GATEWAY_PROJECTION),
            state=Path(os.environ.get("DANCU_GATEWAY_STATE", var / "gateway-state.sqlite3")),
            attachments=files_root() if store == "files" else None,
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_copy(source: sqlite3.Connection, target: Path) -> None:
    """SQLite's online backup of an open connection into ``target`` (one consistent snapshot), then flushed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    out = sqlite3.connect(target)
    try:
        source.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")  # a self-contained file, no -wal beside it
    finally:
        out.close()


def _sqlite_file_copy(path: Path, target: Path) -> bool:
    if not path.exists():
        return False
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        _sqlite_copy(source, target)
    finally:
        source.close()
    return True


def _counts(conn: Any, tables: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name, table in tables.items():
        cursor = conn.cursor()
        try:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            found[name] = int(cursor.fetchone()[0])
        finally:
            cursor.close()
    return found


def _head(conn: Any) -> int:
    cursor = conn.cursor()
    try:
        cursor.execute("SELECT COALESCE(MAX(sequence), 0) FROM events_event")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def _pg_env(url: str) -> dict[str, str]:
    """libpq's environment for pg_dump / pg_restore from a ``postgres://`` URL (the password never on a command
    line)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    env.update(
        PGHOST=parts.hostname or "127.0.0.1",
        PGPORT=str(parts.port or 5432),
        PGUSER=parts.username or "postgres",
        PGDATABASE=parts.path.lstrip("/"),
    )
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program (of the server's major version or newer)."""
    found = shutil.which(name)
    if found is None:
        raise BackupError("backup_tool_missing", f"{name} is needed (apt-get install postgresql-client).")
    return found


def _database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def _backup_registry(out: Path) -> tuple[str, int, dict[str, int]]:
    """The registry's database into ``out``; returns (kind, head sequence, counts), all as of the copied instant."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        target = out / "registry.sqlite3"
        _sqlite_copy(connection.connection, target)
        copy = sqlite3.connect(target)
        try:
            return "sqlite", _head(copy), _counts(copy, COUNTED)
        finally:
            copy.close()
    if connection.vendor != "postgresql":
        raise BackupError("backup_unsupported_database", f"No back-up for a {connection.vendor} database.")
    import psycopg

    url = _database_url()
    with psycopg.connect(url, autocommit=False) as pg:
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = pg.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        head, counts = _head(pg), _counts(pg, COUNTED)
        done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={out / 'registry.pgdump'}"],
            env=_pg_env(url), capture_output=True, text=True, check=False,
        )  # fmt: skip
        pg.rollback()
    if done.returncode:
        raise BackupError("backup_pg_dump_failed", f"pg_dump failed: {done.stderr.strip()[-500:]}")
    return "postgresql", head, counts


def _copy_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".incoming-*"))


def backup(directory: Path) -> dict[str, Any]:
    """Back up everything a restore needs into ``directory`` (created; must be empty); returns the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError("backup_target_not_empty", "The back-up directory must be empty or not exist.")
    directory.mkdir(parents=True, exist_ok=True)
    places = Places.from_settings()
    started = time.monotonic()
    kind, head, counts = _backup_registry(directory)
    gateway = directory / "gateway"
    ledger_head = 0
    if _sqlite_file_copy(places.ledger, gateway / "ledger.sqlite3"):
        copy = sqlite3.connect(gateway / "ledger.sqlite3")
        try:
            ledger_head = int(copy.execute("SELECT COALESCE(MAX(sequence), 0) FROM entries").fetchone()[0])
        finally:
            copy.close()
    witness = Path(f"{places.ledger}.witness.jsonl")
    if witness.exists():
        shutil.copy2(witness, gateway / "ledger.sqlite3.witness.jsonl")
    if _sqlite_file_copy(places.projection, gateway / "gateway-projection.sqlite3"):
        for index in places.projection.parent.glob(f"{places.projection.name}.verify-*.idx"):
            with contextlib.suppress(FileNotFoundError):  # the projector removed an old one meanwhile
                shutil.copy2(index, gateway / index.name.replace(places.projection.name, "gateway-projection.sqlite3"))
    _sqlite_file_copy(places.state, gateway / "gateway-state.sqlite3")
    _copy_tree(places.keys, directory / "keys")
    for name in VAR_FILES:
        if (places.var / name).is_file():
            (directory / "var").mkdir(exist_ok=True)
            shutil.copy2(places.var / name, directory / "var" / name)
    for name in VAR_DIRS:
        _copy_tree(places.var / name, directory / "var" / name)
    if places.attachments is not None:
        _copy_tree(places.attachments, directory / "attachments")  # after the database: see the module docstring
    files = {
        str(path.relative_to(directory)): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": kind,
        "event_log_head": head,
        "ledger_head": ledger_head,
        "counts": counts,
        "seconds": round(time.monotonic() - started, 1),
        "files": files,
    }
    (directory / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, after checking that every file it lists is there with its size and hash."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupError("backup_manifest_missing", f"No {MANIFEST} in {directory}.")
    manifest: dict[str, Any] = orjson.loads(path.read_bytes())
    if manifest.get("format") != FORMAT:
        raise BackupError("backup_format_unknown", "This back-up was made by another version of dancu.")
    for name, expected in manifest["files"].items():
        file = Path(directory) / name
        if not file.is_file() or file.stat().st_size != expected["size"] or _sha256(file) != expected["sha256"]:
            raise BackupError("backup_corrupt", f"{name} is missing or does not match the manifest.")
    return manifest


def _files_under(directory: Path) -> Iterator[Path]:
    return (path for path in directory.rglob("*") if path.is_file())


def restore(directory: Path) -> dict[str, Any]:
    """Restore a back-up made by :func:`backup` onto an empty machine (empty database, no ledger, no keys)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    places = Places.from_settings()
    connection.ensure_connection()
    if connection.vendor != manifest["database"]:
        raise BackupError(
            "restore_database_mismatch",
            f"The back-up holds a {manifest['database']} database, this is {connection.vendor}.",
        )
    taken = [p for p in (places.ledger, places.projection, places.state) if p.exists()]
    if taken:
        raise BackupError(
            "restore_target_not_empty", "The ledger or the projection exists already: restore onto an empty machine."
        )
    if connection.vendor == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
            tables = cursor.fetchone()[0]
        if tables:
            raise BackupError("restore_target_not_empty", "The registry's database is not empty.")
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(directory / "registry.sqlite3")
        try:
            out = sqlite3.connect(target)
            try:
                source.backup(out)
                out.execute("PRAGMA journal_mode = WAL")
            finally:
                out.close()
        finally:
            source.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")
            if cursor.fetchone()[0]:
                raise BackupError("restore_target_not_empty", "The registry's database is not empty.")
        connection.close()
        done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             f"--dbname={urlsplit(_database_url()).path.lstrip('/')}", str(directory / "registry.pgdump")],
            env=_pg_env(_database_url()), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise BackupError("restore_pg_restore_failed", f"pg_restore failed: {done.stderr.strip()[-500:]}")
    gateway = directory / "gateway"
    for name, target in (
        ("ledger.sqlite3", places.ledger),
        ("ledger.sqlite3.witness.jsonl", Path(f"{places.ledger}.witness.jsonl")),
        ("gateway-projection.sqlite3", places.projection),
        ("gateway-state.sqlite3", places.state),
    ):
        if (gateway / name).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(gateway / name, target)
    for index in gateway.glob("gateway-projection.sqlite3.verify-*.idx"):
        shutil.copy2(
            index, places.projection.parent / index.name.replace("gateway-projection.sqlite3", places.projection.name)
        )
    if (directory / "keys").is_dir():
        if places.keys.is_dir():  # made by this process's first start (the OIDC key): kept aside, not used
            places.keys.rename(places.keys.with_name(f"{places.keys.name}.replaced-{int(time.time())}"))
        _copy_tree(directory / "keys", places.keys)
        for path in _files_under(places.keys):
            path.chmod(0o600)
    if (directory / "var").is_dir():
        _copy_tree(directory / "var", places.var)
        if (places.var / "secret_key").exists():
            (places.var / "secret_key").chmod(0o600)
    if places.attachments is not None and (directory / "attachments").is_dir():
        _copy_tree(directory / "attachments", places.attachments)
    connection.ensure_connection()
    head = _head(connection.connection)
    if head != manifest["event_log_head"]:
        raise BackupError(
            "restore_incomplete", f"The event log ends at {head}, the manifest says {manifest['event_log_head']}."
        )
    return manifest
