"""An account's level and life: level 2 after an official's in-person check, closure when the holder dies."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dancu.accounts.models import Account, AccountStatus, Level
from dancu.accounts.services.client_consents import revoke_client_tokens
from dancu.accounts.services.context import RequestContext, record
from dancu.accounts.services.sessions import end_all_sessions
from dancu.cards.services import current_card
from dancu.core.ages import age_on
from dancu.core.errors import DomainError
from dancu.events.services import append_event

#: The event appended when an account is closed (stable: the life event ``account.closed`` is mapped from it).
ACCOUNT_CLOSED = "account.closed"

MIN_LEVEL2_AGE = 6


def activate_level2(
    *, account: Account, official: str, card_checked: bool, context: RequestContext | None = None
) -> Account:
    """An official raises an account to level 2 after checking the holder and the card in person."""
    if not card_checked:
        raise DomainError(
            "in_person_check_required",
            "Confirm that the card and the holder were checked in person.",
            field="card_checked",
        )
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("person").get(pk=account.pk)
        if account.status != AccountStatus.ACTIVE:
            raise DomainError("account_closed", "The account is closed.")
        if account.level >= Level.TWO:
            raise DomainError("account_already_level2", "The account is already level 2.")
        if age_on(account.person.birth_date, timezone.localdate()) < MIN_LEVEL2_AGE:
            raise DomainError("level2_under_6", "Children under 6 have level-1 accounts only (Decree 69/2024).")
        if current_card(account.person) is None:
            raise DomainError("card_required", "Level 2 needs a valid identity card.")
        account.level = Level.TWO
        account.level2_activated_at = timezone.now()
        account.level2_activated_by = official[:150]
        account.save(update_fields=["level", "level2_activated_at", "level2_activated_by"])
        record(account, "level2_activated", context, official=official[:150])
    return account


def close_for_death(pin: str) -> Account | None:
    """The holder died: close the account, end its sessions and revoke its applications' tokens (called by the
    event consumer on ``death.recorded``; idempotent)."""
    account = Account.objects.filter(person__pin=pin, status=AccountStatus.ACTIVE).first()
    if account is None:
        return None
    with transaction.atomic():
        account.status = AccountStatus.CLOSED
        account.save(update_fields=["status"])
        end_all_sessions(account, "holder_deceased")
        revoke_client_tokens(account)
        record(account, "closed_holder_deceased")
        # A fact other systems may need (the life event account.closed): in the log, in the same transaction.
        append_event(
            ACCOUNT_CLOSED,
            pin=pin,
            effective_date=timezone.localdate(),
            actor="system",
            source="accounts",
            payload={"reason": "holder_deceased"},
        )
    return account
