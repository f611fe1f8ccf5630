"""Messages to citizens (SMS, e-mail) through an outbox and pluggable senders.

A message is a row of :class:`~dancu.accounts.models.OutboundMessage`, written in the transaction that decided it
(a rolled-back registration sends nothing, a committed one loses nothing) and handed to its sender right after the
commit. A sender that fails does not fail the citizen's request: the row stays pending with a back-off, and
``dancu messages deliver`` (``--follow`` in production) retries it; after :data:`MAX_ATTEMPTS` it is marked failed.
A delivered message's text is erased (it may hold a one-time code). With ``DANCU_MESSAGE_HANDOFF=worker`` requests
only write the rows and the ``deliver`` process sends everything.

Each message is sent once however many deliverers run: a deliverer first claims rows (a random token and a lapse time,
written by one atomic ``UPDATE ... WHERE`` the claim is free; on PostgreSQL the candidates are picked with ``SELECT ...
FOR UPDATE SKIP LOCKED`` so deliverers do not queue behind each other), then sends only what it claimed. The hand-off
after a commit owns its message from the start (the row is written claimed), so a deliverer leaves it alone unless the
process died before handing it off and the claim lapsed (:data:`CLAIM_TTL`).

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
import uuid
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from dancu.accounts.models import MessageStatus, OutboundMessage
from dancu.core.processes import stopping

log = logging.getLogger(__name__)

#: Deliveries tried before a message is marked failed; the wait doubles from 30 s up to an hour.
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
#: How long a claim holds: longer than the slowest sender takes for a batch, short enough that a crashed deliverer's
#: messages go out soon after.
CLAIM_TTL = timedelta(minutes=5)
#: Messages claimed at a time by :func:`deliver_due` (a batch must be sent well within :data:`CLAIM_TTL`).
CLAIM_BATCH = 50


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
    if _worker_only():
        return OutboundMessage.objects.create(channel=channel, to=to, subject=subject[:200], text=text)
    message = OutboundMessage.objects.create(
        channel=channel, to=to, subject=subject[:200], text=text, claimed_by=_token(),
        claimed_until=timezone.now() + CLAIM_TTL,
    )  # fmt: skip
    transaction.on_commit(lambda: _hand_off(message))
    return message


def _hand_off(message: OutboundMessage) -> None:
    """Send a message right after its transaction committed, unless the transaction lasted so long that the claim
    could lapse while sending (a deliverer then sends it once the claim has lapsed)."""
    if message.claimed_until is None or timezone.now() > message.claimed_until - CLAIM_TTL / 2:
        log.warning("message %s left to the deliverer: its transaction outlasted half its claim", message.pk)
        return
    _send(message)


def _token() -> str:
    return uuid.uuid4().hex


def _claim_free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _worker_only() -> bool:
    """``DANCU_MESSAGE_HANDOFF=worker``: requests only write the rows and ``dancu messages deliver --follow`` sends
    them (a slow SMS gateway or mail relay then never holds up a citizen's request)."""
    return getattr(settings, "DANCU_MESSAGE_HANDOFF", "commit") == "worker"


def send_sms(to: str, text: str) -> OutboundMessage:
    return queue("sms", to, text)


def send_email(to: str, subject: str, text: str) -> OutboundMessage:
    return queue("email", to, text, subject)


def deliver(message: OutboundMessage) -> bool:
    """Claim one pending message and hand it to its sender; ``False`` if it failed (it is retried later) or another
    deliverer holds it. See :func:`_send`."""
    now = timezone.now()
    token = _token()
    with transaction.atomic():
        claimed = (
            OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.PENDING)
            .filter(_claim_free(now))
            .update(claimed_by=token, claimed_until=now + CLAIM_TTL)
        )
    if not claimed:
        return False
    message.claimed_by = token
    return _send(message)


def _send(message: OutboundMessage) -> bool:
    """Hand a message this deliverer has claimed to its sender; on failure count the attempt and schedule the next
    one. Never raises for a sender's failure (the citizen's request has already succeeded); logs the message id and
    the failure's kind, never the recipient or the text. The claim is released either way."""
    message.claimed_by, message.claimed_until = "", None
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
            message.save(
                update_fields=["attempts", "error", "status", "next_attempt_at", "claimed_by", "claimed_until"]
            )
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
        message.save(
            update_fields=["status", "sent_at", "text", "attempts", "next_attempt_at", "claimed_by", "claimed_until"]
        )
    return True


def claim_due(limit: int = CLAIM_BATCH) -> list[OutboundMessage]:
    """Claim up to ``limit`` pending messages whose time has come and that no live deliverer holds, oldest first;
    the caller then sends them (:func:`_send`)."""
    now = timezone.now()
    token = _token()
    due = (
        OutboundMessage.objects.filter(status=MessageStatus.PENDING)
        .exclude(next_attempt_at__gt=now)
        .filter(_claim_free(now))
        .order_by("created_at")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: rows another deliverer is claiming right now are skipped, not waited for.
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        # The claim itself: the condition is checked again by the UPDATE, so of two deliverers that picked the same
        # row (SQLite serialises their writes) only the first takes it.
        OutboundMessage.objects.filter(pk__in=ids).filter(_claim_free(now)).update(
            claimed_by=token, claimed_until=now + CLAIM_TTL
        )
        return list(OutboundMessage.objects.filter(claimed_by=token).order_by("created_at"))


def deliver_due(limit: int = 500) -> tuple[int, int]:
    """Send the pending messages whose time has come (and those never tried, e.g. after a crash between the commit
    and the hand-off), claimed :data:`CLAIM_BATCH` at a time: (delivered, failed again). Any number of deliverers
    may run at once; each message goes to one of them."""
    delivered = failed = 0
    while delivered + failed < limit and not stopping():  # a stopping deliverer sends what it claimed, no more
        batch = claim_due(min(CLAIM_BATCH, limit - delivered - failed))
        if not batch:
            break
        for message in batch:
            if _send(message):
                delivered += 1
            else:
                failed += 1
    return delivered, failed


def in_recipient_language(message: str, **params: object) -> str:
    """A message (an English msgid, marked with ``gettext_noop``) in the recipient's language: Vietnamese, the
    default, until accounts choose one. SMS texts are translated without diacritics (GSM-7: 160 characters a part
    instead of 70)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return text % params if params else text
