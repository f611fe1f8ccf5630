"""Keeping the account-session rows in step with Django's sign-out (RP-initiated logout included)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from dancu.accounts.services import sessions


@receiver(user_logged_out)
def _ended(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    sessions.session_ended(getattr(getattr(request, "session", None), "session_key", None))
