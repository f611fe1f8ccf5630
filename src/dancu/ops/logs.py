"""The web side's request ids and request log line (core/logs.py has the JSON format).

Every request gets an id: the ``X-Request-ID`` header of a proxy in front when it is a plain token (letters, digits,
``-``, ``_``, ``.``, at most 64), else a new one. It is bound to every log line written while serving the request and
sent back in ``X-Request-ID``. At ``DANCU_LOG_LEVEL=INFO`` one line per request: method, the URL *pattern* (never
the path or the query string, which may hold identifiers), status and duration.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

log = structlog.get_logger("dancu.request")
_TOKEN = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _TOKEN.match(given) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            match = request.resolver_match
            log.info(
                "request",
                method=request.method,
                route=match.route if match is not None else "unmatched",
                status=response.status_code,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()
