"""The Django side of a citizen's session: ``login``/``logout``, the session key and the methods kept in the
session. These take the ``HttpRequest`` because Django's session framework lives on it; the rows are written by
:mod:`dancu.accounts.services.sessions`."""

from __future__ import annotations

from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest

from dancu.accounts.models import Account, AccountSession
from dancu.accounts.services import sessions
from dancu.accounts.services.context import RequestContext


def start_session(
    request: HttpRequest, account: Account, amr: list[str], context: RequestContext | None = None
) -> AccountSession:
    """Sign in: a new session key (no fixation), the methods used, a row the holder can see and revoke."""
    login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["amr"] = sorted(set(amr))
    request.session.save()
    return sessions.open_session(
        account,
        session_key=request.session.session_key or "",
        amr=amr,
        context=context or RequestContext.from_request(request),
    )


def add_factor(request: HttpRequest, account: Account, *methods: str, context: RequestContext | None = None) -> None:
    """Step-up: a second factor proven in this session (the session key changes too)."""
    amr = sorted({*request.session.get("amr", []), *methods})
    old_key = request.session.session_key
    request.session.cycle_key()
    request.session["amr"] = amr
    request.session.save()
    sessions.add_factor(
        account,
        old_key=old_key,
        new_key=request.session.session_key or "",
        amr=amr,
        methods=methods,
        context=context or RequestContext.from_request(request),
    )


def password_changed(request: HttpRequest, account: Account, session: AccountSession) -> None:
    """After the holder changed their password in this session: a new key, the session's password hash updated so
    that Django keeps it signed in (its other sessions are not), and its row following the key."""
    update_session_auth_hash(request, account.user)
    sessions.rekey(session, request.session.session_key or "")


def signed_in(request: HttpRequest) -> tuple[Account, AccountSession] | None:
    """The citizen's account and open session behind this request, or ``None`` (anonymous, an official, a revoked or
    ended session, a closed account or a dead holder): the one check behind the portal and the OIDC provider."""
    session = sessions.open_session_of(request.session.session_key, request.user)
    if session is None:
        return None
    session.account.user = request.user  # type: ignore[assignment,unused-ignore]  # the same row, already loaded
    return session.account, session


def end_session(request: HttpRequest, reason: str = "signed_out", context: RequestContext | None = None) -> None:
    sessions.end_session(request.session.session_key, reason, context or RequestContext.from_request(request))
    logout(request)
