"""Account sessions (the rows behind "Signed-in sessions" on the Security page): opened at sign-in, re-keyed at a
step-up or a password change, ended by sign-out, by a remote revoke, by recovery or by the holder's death. This
module is the only writer of :class:`~dancu.accounts.models.AccountSession` rows; the Django side (``login``, the
session key) is in :mod:`dancu.accounts.services.web_sessions`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from dancu.accounts.models import Account, AccountSession
from dancu.accounts.services.context import RequestContext, record
from dancu.core.errors import DomainError

#: How often "last seen" is written for a session in use (not on every request).
LAST_SEEN_EVERY = timedelta(seconds=60)


def open_session(
    account: Account, *, session_key: str, amr: list[str], context: RequestContext | None = None
) -> AccountSession:
    """A signed-in session the holder can see and revoke, with the methods used (``amr``)."""
    methods = sorted(set(amr))
    session = AccountSession.objects.create(
        account=account,
        session_key=session_key,
        amr=methods,
        user_agent=context.user_agent if context else "",
        ip_prefix=context.network_prefix if context else "",
    )
    record(account, "signed_in", context, amr=methods)
    return session


def add_factor(
    account: Account,
    *,
    old_key: str | None,
    new_key: str,
    amr: list[str],
    methods: tuple[str, ...],
    context: RequestContext | None = None,
) -> None:
    """Step-up: a second factor proven in this session, which now goes by a new key."""
    AccountSession.objects.filter(session_key=old_key).update(session_key=new_key, amr=amr)
    record(account, "step_up", context, methods=list(methods))


def rekey(session: AccountSession, new_key: str) -> None:
    """The session's key changed (after a password change) and the row follows it."""
    AccountSession.objects.filter(pk=session.pk).update(session_key=new_key)


def open_session_of(session_key: str | None, user: AbstractBaseUser | AnonymousUser) -> AccountSession | None:
    """The open session row for this key and this user, if its account may still sign in."""
    if not session_key or not user.is_authenticated:
        return None
    session = (
        AccountSession.objects.select_related("account__person")
        .filter(session_key=session_key, ended_at__isnull=True, account__user=user)
        .first()
    )
    if session is None or not session.account.can_sign_in:
        return None
    return session


def seen(session: AccountSession) -> None:
    """Note that the session is in use, at most once a minute."""
    now = timezone.now()
    if now - session.last_seen_at > LAST_SEEN_EVERY:
        AccountSession.objects.filter(pk=session.pk).update(last_seen_at=now)


def end_session(session_key: str | None, reason: str = "signed_out", context: RequestContext | None = None) -> None:
    """The holder signed out of this session."""
    session = (
        AccountSession.objects.filter(session_key=session_key, ended_at__isnull=True).select_related("account").first()
    )
    if session is not None:
        _end(session, reason)
        record(session.account, "signed_out", context)


def session_ended(session_key: str | None) -> None:
    """Django ended a session (its sign-out signal, RP-initiated logout included): close the row if still open."""
    if session_key:
        AccountSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason="signed_out"
        )


def revoke_session(account: Account, session_id: int, context: RequestContext | None = None) -> None:
    """The holder signs out one of their other sessions remotely."""
    session = AccountSession.objects.filter(account=account, pk=session_id, ended_at__isnull=True).first()
    if session is None:
        raise DomainError("session_not_found", "No such open session.", status=404)
    _end(session, "revoked")
    SessionStore(session_key=session.session_key).delete()
    record(account, "session_revoked", context, session=session.pk)


def end_all_sessions(account: Account, reason: str) -> None:
    for session in AccountSession.objects.filter(account=account, ended_at__isnull=True):
        _end(session, reason)
        SessionStore(session_key=session.session_key).delete()


def _end(session: AccountSession, reason: str) -> None:
    session.ended_at = timezone.now()
    session.end_reason = reason
    session.save(update_fields=["ended_at", "end_reason"])
