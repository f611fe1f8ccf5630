"""Checking attachments: the declared type must match the file's first bytes, and the size the procedure's limit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

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
        raise DomainError("attachment_too_large", f"The file is larger than {spec.get('max_mb', 5)} MB.", field=field)
    actual = sniff(upload.content)
    allowed = spec.get("types", list(MAGIC))
    if actual is None or actual not in allowed or (upload.content_type and upload.content_type != actual):
        raise DomainError(
            "attachment_type_invalid", f"Accepted: {', '.join(t.split('/')[1].upper() for t in allowed)}.", field=field
        )
    return {
        "code": upload.code,
        "content_type": actual,
        "size": len(upload.content),
        "sha256": hashlib.sha256(upload.content).hexdigest(),
        "content": upload.content,
    }
