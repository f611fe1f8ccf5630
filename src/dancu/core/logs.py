"""JSON logs for every dancu process, through structlog (docs/operator.md, "Logs").

One JSON object per line on standard error: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``event`` (the
message), ``role`` (``web``, ``gateway``, ``project``, ``follow``, ``messages``, ...: which process wrote it),
``pid``, ``request_id`` when the line was written while serving a request (the web side's middleware binds it, and
answers it in ``X-Request-ID``), and ``exception`` (the traceback) for errors. Lines written through the standard
library's ``logging`` (Django, granian, our modules) get the same shape.

No personal data: code never logs a PIN, a name, a phone number or an address (CONVENTIONS.md). As a last line of
defence every line is scrubbed before it is written: runs of 9 or more digits (PINs, card and phone numbers, in any
spacing) become ``[redacted]`` (``DANCU_LOG_SCRUB=0`` turns this off: only to check, as the log-scan test does, that
the code itself logs none). Names cannot be recognised by a pattern: they are kept out by the code, and a test
drives the portal, the back office and the gateway and fails on any PIN, name or phone number of its data in the
logs (tests/ops/test_logs.py).
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

#: Digits that could be a PIN (12), an old ID number (9), a card or phone number (10-11, with +84, spaces, dots or
#: dashes between groups).
_NUMBER = re.compile(r"(?<![\w])\+?\d(?:[ .\-]?\d){8,}(?![\w])")
REDACTED = "[redacted]"


def scrub(text: str) -> str:
    """``text`` with every run of 9 or more digits replaced by ``[redacted]``."""
    return _NUMBER.sub(REDACTED, text)


def _scrub_values(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = scrub(value)
    return event


def _role_and_pid(role: str) -> structlog.types.Processor:
    pid = os.getpid()

    def add(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event.setdefault("role", role)
        event.setdefault("pid", pid if pid == os.getpid() else os.getpid())
        return event

    return add


def configure(role: str, level: str | None = None) -> None:
    """Send every log line of this process (structlog's and the standard library's) to standard error as JSON, tagged
    with ``role``. ``level``: ``DANCU_LOG_LEVEL`` (default ``WARNING``)."""
    level = (level or os.environ.get("DANCU_LOG_LEVEL") or "WARNING").upper()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        _role_and_pid(role),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            *([_scrub_values] if os.environ.get("DANCU_LOG_SCRUB", "1") != "0" else []),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Loggers that bring their own handler (granian's) write through ours instead, once.
    for name in ("granian", "granian.access", "_granian"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def role_of(argv: list[str]) -> str:
    """The role of a process from its command line: ``web`` under granian, the command's name under ``dancu``."""
    program = os.path.basename(argv[0]) if argv else ""
    if program in ("granian", "dancu-serve") or "granian" in " ".join(argv[:2]):
        return "web"
    if program in ("dancu", "manage.py", "django-admin") and len(argv) > 1 and not argv[1].startswith("-"):
        return argv[1]
    return program or "python"
