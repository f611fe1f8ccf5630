"""Messages to citizens (SMS, e-mail) through an outbox and pluggable senders.

A message is a row of :class:`~dancu.accounts.models.OutboundMessage`, written in the transaction that decided it
(a rolled-back registration sends nothing, a committed one loses nothing) and handed to its sender right after the
commit. A sender that fails does not fail the citizen's request: the row stays pending with a back-off, and
``dancu messages deliver`` (``--follow`` in production) retries it; after :data:`MAX_ATTEMPTS` it is marked failed.
A delivered message's text is erased (it may hold a one-time code). With ``DANCU_MESSAGE_HANDOFF=worker`` requests
only write the rows and the ``deliver`` process sends everything.

``DANCU_MESSAGE_SENDER`` names the sender of SMS (and of e-mail unless ``DANCU_EMAIL_SENDER`` names another):
``file`` (the embedded default: one JSON line per message appended to ``var/outbox.jsonl``, read by the demo and
the tests), ``console`` (printed to standard output), ``smtp`` (e-mail only: Django's SMTP backend, configured by
``DANCU_SMTP_*``), or the dotted path of a class with a ``send(channel, to, text, subject="")`` method (an SMS
gateway's adapter).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dancu.accounts.models import MessageStatus, OutboundMessage

log = logging.getLogger(__name__)

#: Deliveries tried before a message is marked failed; the wait doubles from 30 s up to an hour.
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


class Sender(Protocol):
    def send(self, channel: str, to: str, text: str, subject: str = "") -> None: ...


class FileSender:
    """Appends messages to a JSON-lines file (an outbox you can read)."""

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.fixed_path = path

    @property
    def path(self) -> Path:
        return self.fixed_path or outbox_path()

    def send(self, channel: str, to: str, text: str, subject: str = "") -> None:
        row = {"at": timezone.now().isoformat(), "channel": channel, "to": to, "text": text}
        if subject:
            row["subject"] = subject
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def outbox_path() -> Path:
    return Path(settings.VAR_DIR) / "outbox.jsonl"


def read_outbox(to: str | None = None, channel: str | None = None) -> list[dict[str, str]]:
    """The file outbox's messages (to one recipient, on one channel), oldest first: for the demo and the tests."""
    path = outbox_path()
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if (to is None or r["to"] == to) and (channel is None or r["channel"] == channel)]


class ConsoleSender:
    def send(self, channel: str, to: str, text: str, subject: str = "") -> None:
        heading = f"[{channel} to {to}]" + (f" {subject}:" if subject else "")
        sys.stdout.write(f"{heading} {text}\n")
        sys.stdout.flush()


class SmtpSender:
    """E-mail through Django's SMTP backend (``EMAIL_HOST`` etc., set from ``DANCU_SMTP_*``); plain text, UTF-8."""

    def send(self, channel: str, to: str, text: str, subject: str = "") -> None:
        if channel != "email":
            raise ValueError(f"the SMTP sender sends e-mail, not {channel}")
        connection = get_connection("django.core.mail.backends.smtp.EmailBackend", fail_silently=False)
        EmailMessage(subject=subject or "dancu", body=text, to=[to], connection=connection).send()


def _make(name: str) -> Sender:
    if name == "file":
        return FileSender()
    if name == "console":
        return ConsoleSender()
    if name == "smtp":
        return SmtpSender()
    return import_string(name)()  # type: ignore[no-any-return]


@cache
def sender(channel: str = "sms") -> Sender:
    general = getattr(settings, "DANCU_MESSAGE_SENDER", "file")
    if channel == "email":
        return _make(getattr(settings, "DANCU_EMAIL_SENDER", "") or general)
    return _make(general)


def queue(channel: str, to: str, text: str, subject: str = "") -> OutboundMessage:
    """Write the message in the current transaction; it is delivered once the transaction commits (at once outside
    one)."""
    message = OutboundMessage.objects.create(channel=channel, to=to, subject=subject[:200], text=text)
    if not _worker_only():
        transaction.on_commit(lambda: deliver(message))
    return message


def _worker_only() -> bool:
    """``DANCU_MESSAGE_HANDOFF=worker``: requests only write the rows and ``dancu messages deliver --follow`` sends
    them (a slow SMS gateway or mail relay then never holds up a citizen's request)."""
    return getattr(settings, "DANCU_MESSAGE_HANDOFF", "commit") == "worker"


def send_sms(to: str, text: str) -> OutboundMessage:
    return queue("sms", to, text)


def send_email(to: str, subject: str, text: str) -> OutboundMessage:
    return queue("email", to, text, subject)


def deliver(message: OutboundMessage) -> bool:
    """Hand one pending message to its sender; on failure count the attempt and schedule the next one. Never raises
    for a sender's failure (the citizen's request has already succeeded); logs the message id and the failure's kind,
    never the recipient or the text."""
    try:
        sender(message.channel).send(message.channel, message.to, message.text, message.subject)
    except Exception as exc:  # any sender failure is retried; only its kind is recorded
        message.attempts += 1
        message.error = type(exc).__name__[:80]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = MessageStatus.FAILED
            message.next_attempt_at = None
        else:
            wait = min(FIRST_RETRY * 2 ** (message.attempts - 1), LONGEST_RETRY)
            message.next_attempt_at = timezone.now() + wait
        with transaction.atomic():  # in a transaction: on SQLite it then waits for the write lock in short steps
            message.save(update_fields=["attempts", "error", "status", "next_attempt_at"])
        log.warning(
            "message %s (%s) delivery failed, attempt %d: %s", message.pk, message.channel, message.attempts,
            message.error,
        )  # fmt: skip
        return False
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.text = ""
    message.attempts += 1
    message.next_attempt_at = None
    with transaction.atomic():
        message.save(update_fields=["status", "sent_at", "text", "attempts", "next_attempt_at"])
    return True


def deliver_due(limit: int = 500) -> tuple[int, int]:
    """Retry the pending messages whose time has come (and those never tried, e.g. after a crash between the commit
    and the hand-off): (delivered, failed again)."""
    now = timezone.now()
    due = OutboundMessage.objects.filter(status=MessageStatus.PENDING)
    if not _worker_only():  # leave the newest to the hand-off that follows their commit
        due = due.filter(created_at__lt=now - timedelta(seconds=5))
    due = due.exclude(next_attempt_at__gt=now).order_by("created_at")[:limit]
    delivered = failed = 0
    for message in due:
        if deliver(message):
            delivered += 1
        else:
            failed += 1
    return delivered, failed
