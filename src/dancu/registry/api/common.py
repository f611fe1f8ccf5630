"""Who may call the API: HTTP Basic or a back-office session, the router, and the permission check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.security import APIKeyCookie, HttpBasicAuth
from ninja.utils import check_csrf

from dancu.core.errors import DomainError, NotFound
from dancu.core.pin import parse_pin
from dancu.registry import presenters
from dancu.registry.models import Household, Person


class BasicAuth(HttpBasicAuth):
    """HTTP Basic with a Django account, for scripts and curl (use HTTPS in production). No CSRF check: the
    credentials travel in the request itself, they are not ambient like a session cookie."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


class SessionAuth(APIKeyCookie):
    """A back-office session (the browser's cookie). Only a request that really carries a signed-in session is
    checked for its CSRF token (``X-CSRFToken``) and refused (403 ``csrf_failed``) without it; any other request
    is left to the next scheme, so that HTTP Basic works and missing credentials answer 401."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise DomainError(
                "csrf_failed", "A session's unsafe request needs the X-CSRFToken header (Django's CSRF token).",
                status=403,
            )  # fmt: skip
        return request.user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


#: Credentials sent with the request come first: a script's Basic header is never refused for want of a CSRF token.
AUTH = [BasicAuth(), SessionAuth()]
router = Router(auth=AUTH, tags=["registry"])


PERMISSION_CACHE_SECONDS = 60


class AreaScope(Protocol):
    """What keeps an official's API calls within their agency's area and records each read of a person's data.

    The registry cannot import the officials' app (which builds on it), so the implementation
    (``accounts.services.official_views.OfficialAreaScope``) is installed by ``dancu.api``, which mounts this router.
    Every method refuses with a :class:`DomainError` (``official_not_bound``, ``person_out_of_area``,
    ``household_out_of_area``, ``commune_out_of_area``, ``event_log_national_only``, ``initial_load_national_only``:
    403)."""

    def check_person(self, user: Any, pin: str) -> None:
        """Refused unless the person with ``pin`` is of the user's area (outside or nonexistent: the same answer)."""

    def people(self, user: Any) -> QuerySet[Person]:
        """The people of the user's area, to search within."""

    def household(self, user: Any, number: str) -> Household | None:
        """The household if of the user's area (``None``: none such, for a national official)."""

    def check_event_log(self, user: Any) -> None:
        """Refused unless the user may read the whole event log."""

    def viewed(self, user: Any, pins: Iterable[str], *, purpose: str, fields: Iterable[str]) -> None:
        """Record that the user read these people's ``fields`` (shown in each person's "who accessed my data")."""

    def check_registers_in(self, user: Any, commune: str, *, era: str = "current") -> None:
        """Refused unless the commune (a current or a legacy code) is of the user's area: the office of the place
        registers what happens there (a birth where it is registered, a residence where it is)."""

    def check_initial_load(self, user: Any) -> None:
        """Refused unless the user may load people who are not in the registry yet (a national official)."""


class _Unscoped:
    """Until a scope is installed every call is refused: a registry API without its officials' areas is closed."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise DomainError("official_not_bound", "Your account is not bound to an agency and an area yet; ask the "
                          "administrator.", status=403)  # fmt: skip

    check_person = people = household = check_event_log = viewed = check_registers_in = check_initial_load = _refuse


_scope: AreaScope = _Unscoped()  # type: ignore[assignment]


def install_area_scope(scope: AreaScope) -> None:
    """Set the scope every call goes through (``dancu.api`` does, on import)."""
    global _scope
    _scope = scope


def area_scope() -> AreaScope:
    return _scope


def _require(request: HttpRequest, perm: str) -> str:
    """Check a permission; an account's permissions are cached in the process for a minute (a role change takes
    effect within that time), which saves two queries on every API call."""
    user = request.user
    allowed = user.is_active and (
        user.is_superuser
        or perm in cache.get_or_set(f"dancu:perms:{user.pk}", user.get_all_permissions, PERMISSION_CACHE_SECONDS)
    )
    if not allowed:
        raise DomainError("permission_denied", "Your account may not do this.", status=403)
    return f"official:{user.get_username()}"


def _person(pin: str) -> Person:
    parse_pin(pin)
    try:
        return presenters.load_person(pin)
    except Person.DoesNotExist:
        raise NotFound("person_not_found", "No person with this personal ID number.", field="pin") from None
