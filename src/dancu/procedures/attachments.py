"""Attachments: checked (the declared type must match the file's first bytes, the size the procedure's limit) and
stored where ``DANCU_ATTACHMENT_STORE`` says.

``files`` (the default): content-addressed files under ``DANCU_ATTACHMENTS_DIR`` (``var/attachments/ab/cd/<sha256>``),
written and flushed to disk *before* the transaction that references them, so that the database's write transaction
carries ~1 KB instead of the file (on SQLite it holds the only write lock; at national scale the files would be
hundreds of GB a year in the database). Each read checks the file against the digest in the row. A file whose
transaction did not commit (a refused declaration) is unreferenced: ``dancu attachments gc`` removes such files.
``database``: the file in the row, written in the same transaction (one back-up holds everything).
A dotted path names a class with ``put(name, content)`` and ``get(name) -> bytes`` (an object store's adapter).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from dancu.core.errors import DomainError

MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


@dataclass(frozen=True)
class Upload:
    code: str
    content_type: str
    content: bytes


def sniff(content: bytes) -> str | None:
    for kind, prefixes in MAGIC.items():
        if any(content.startswith(p) for p in prefixes):
            return kind
    return None


def check(upload: Upload, spec: dict[str, Any]) -> dict[str, Any]:
    """The attachment's row values, or ``attachment_type_invalid`` / ``attachment_too_large`` / ``attachment_empty``."""
    field = f"attachments.{upload.code}"
    if not upload.content:
        raise DomainError("attachment_empty", "The file is empty.", field=field)
    limit = int(spec.get("max_mb", 5)) * 1024 * 1024
    if len(upload.content) > limit:
        raise DomainError(
            "attachment_too_large",
            "The file is larger than %(max_mb)s MB.",
            field=field,
            params={"max_mb": spec.get("max_mb", 5)},
        )
    actual = sniff(upload.content)
    allowed = spec.get("types", list(MAGIC))
    if actual is None or actual not in allowed or (upload.content_type and upload.content_type != actual):
        raise DomainError(
            "attachment_type_invalid",
            "This file type is not accepted. Accepted: %(types)s.",
            field=field,
            params={"types": ", ".join(t.split("/")[1].upper() for t in allowed)},
        )
    digest = hashlib.sha256(upload.content).hexdigest()
    values: dict[str, Any] = {"code": upload.code, "content_type": actual, "size": len(upload.content)}
    values["sha256"] = digest
    found = store()
    if found is None:
        values["content"] = upload.content
    else:
        values["stored"] = name_for(digest)
        found.put(values["stored"], upload.content)
    return values


def hold(content: bytes) -> str:
    """Keep a file that came with a declaration refused for another reason, until it is sent again; returns its
    digest, which only the citizen's session knows. It goes to the file store under its digest whatever
    ``DANCU_ATTACHMENT_STORE`` says (no row names it yet): ``dancu attachments gc`` removes it once it is older than
    its ``--hours`` and no attachment row took it."""
    digest = hashlib.sha256(content).hexdigest()
    (store() or FileStore(files_root())).put(name_for(digest), content)
    return digest


def held(digest: str) -> bytes:
    """The bytes of a file kept by :func:`hold` (``attachment_expired`` if it is gone or altered)."""
    content = b""
    if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
        try:
            content = (store() or FileStore(files_root())).get(name_for(digest))
        except OSError:
            content = b""
    if hashlib.sha256(content).hexdigest() != digest:
        raise DomainError("attachment_expired", "The file attached earlier is no longer kept: attach it again.")
    return content


class Store(Protocol):
    def put(self, name: str, content: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...


class FileStore:
    """Content-addressed files: written to a temporary file, flushed, renamed into place, the directory flushed."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / name

    def put(self, name: str, content: bytes) -> None:
        target = self.path(name)
        if target.exists():  # the same bytes (the name is their digest); fresh again, so gc leaves it alone
            os.utime(target)
            return
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def get(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def names(self) -> list[tuple[str, float]]:
        """Every file's name and modification time (for garbage collection; a temporary file left by a crash mid-write
        is listed too, and no row names it)."""
        return [
            (str(path.relative_to(self.root)), path.stat().st_mtime)
            for path in self.root.glob("*/*/*")
            if path.is_file()
        ]

    def delete(self, name: str, older_than: float) -> bool:
        """Remove the file if it has not been written or re-used since ``older_than`` (a time stamp)."""
        path = self.path(name)
        try:
            if path.stat().st_mtime >= older_than:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True


def name_for(digest: str) -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def files_root() -> Path:
    return Path(getattr(settings, "DANCU_ATTACHMENTS_DIR", "") or Path(settings.VAR_DIR) / "attachments")


def store() -> Store | None:
    """The configured store, or ``None`` when files live in the database rows."""
    kind = getattr(settings, "DANCU_ATTACHMENT_STORE", "files")
    if kind == "database":
        return None
    if kind == "files":
        return FileStore(files_root())
    return _store_class(kind)()


@cache
def _store_class(path: str) -> type[Store]:
    return import_string(path)  # type: ignore[no-any-return]


def read(attachment: Any) -> bytes:
    """An attachment's bytes, checked against its digest (``attachment_damaged`` if the file was altered or lost)."""
    if not attachment.stored:
        return bytes(attachment.content)
    found = store()
    try:
        content = (found or FileStore(files_root())).get(attachment.stored)
    except OSError:
        content = b""
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise DomainError("attachment_damaged", "The stored file is missing or does not match its digest.", status=409)
    return content
