"""Messages to citizens (SMS, e-mail) through a pluggable sender.

``DANCU_MESSAGE_SENDER`` names the sender: ``file`` (the embedded default: one JSON line per message appended to
``var/outbox.jsonl``, read by the demo and the tests), ``console`` (printed to standard output), or the dotted path
of a class with a ``send(channel, to, text)`` method (an SMS gateway or SMTP adapter). Messages are sent after the
transaction that decided them commits, so a rolled-back registration sends nothing.
"""

from __future__ import annotations

import json
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string


class Sender(Protocol):
    def send(self, channel: str, to: str, text: str) -> None: ...


class FileSender:
    """Appends messages to a JSON-lines file (an outbox you can read)."""

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.fixed_path = path

    @property
    def path(self) -> Path:
        return self.fixed_path or outbox_path()

    def send(self, channel: str, to: str, text: str) -> None:
        line = json.dumps({"at": timezone.now().isoformat(), "channel": channel, "to": to, "text": text})
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def outbox_path() -> Path:
    return Path(settings.VAR_DIR) / "outbox.jsonl"


def read_outbox(to: str | None = None) -> list[dict[str, str]]:
    """The file outbox's messages (to one recipient), oldest first: for the demo and the tests."""
    path = outbox_path()
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if to is None or r["to"] == to]


class ConsoleSender:
    def send(self, channel: str, to: str, text: str) -> None:
        sys.stdout.write(f"[{channel} to {to}] {text}\n")
        sys.stdout.flush()


@cache
def sender() -> Sender:
    name = getattr(settings, "DANCU_MESSAGE_SENDER", "file")
    if name == "file":
        return FileSender()
    if name == "console":
        return ConsoleSender()
    return import_string(name)()  # type: ignore[no-any-return]


def send_sms(to: str, text: str) -> None:
    """Send after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: sender().send("sms", to, text))
