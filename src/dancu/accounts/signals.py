"""Keeping the account-session rows in step with Django's sign-out (RP-initiated logout included)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from dancu.accounts.models import AccountSession


@receiver(user_logged_out)
def _ended(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        AccountSession.objects.filter(session_key=key, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason="signed_out"
        )
