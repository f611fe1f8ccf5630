"""Sign-in with the PIN and a password: lockout with back-off, one message for every failure (no enumeration), and
the assurance level (acr) a session's methods reach."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone

from dancu.accounts import messaging, throttle
from dancu.accounts.models import Account, Level
from dancu.accounts.services.context import NO_CONTEXT, RequestContext, record
from dancu.accounts.services.passwords import dummy_hash
from dancu.core.errors import DomainError, gettext_noop
from dancu.core.pin import parse_pin

#: Failed sign-ins before the account pauses; each lockout after the first lasts twice as long, up to a day.
FAILED_SIGN_INS_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=5)
LONGEST_LOCK = timedelta(hours=24)

SIGN_IN_FAILED = gettext_noop("Wrong ID number or password. After several failures sign-in pauses for a while.")

ACR_LEVEL1 = "urn:dancu:eid:level1"
ACR_LEVEL2 = "urn:dancu:eid:level2"


def authenticate_password(*, pin: str, password: str, context: RequestContext | None = None) -> Account:
    """The account if the password is right and the account is neither locked nor closed; otherwise one message
    for every failure (wrong PIN, no account, wrong password, locked), after the same argon2 work."""
    throttle.hit("signin-ip", (context or NO_CONTEXT).client_key, limit=60, window=300)
    failed = DomainError("sign_in_failed", SIGN_IN_FAILED)
    account = None
    try:
        parse_pin(pin)
    except DomainError:
        pass
    else:
        account = Account.objects.select_related("user", "person").filter(person__pin=pin).first()
    if account is None or not account.user.has_usable_password():
        check_password(password, dummy_hash())
        raise failed
    now = timezone.now()
    ok = account.user.check_password(password)
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("user", "person").get(pk=account.pk)
        if not account.can_sign_in:
            raise failed
        locked = bool(account.locked_until and account.locked_until > now)
        if locked:
            record(account, "sign_in_refused_locked", context)
        elif not ok:
            _count_failure(account, now, context)
        else:
            account.failed_sign_ins = 0
            account.lockouts = 0
            account.locked_until = None
            account.save(update_fields=["failed_sign_ins", "lockouts", "locked_until"])
    if locked or not ok:
        raise failed
    return account


def _count_failure(account: Account, now: datetime, context: RequestContext | None) -> None:
    account.failed_sign_ins += 1
    fields = ["failed_sign_ins"]
    record(account, "sign_in_failed", context)
    if account.failed_sign_ins >= FAILED_SIGN_INS_BEFORE_LOCK:
        pause = min(FIRST_LOCK * (2**account.lockouts), LONGEST_LOCK)
        account.locked_until = now + pause
        account.lockouts += 1
        account.failed_sign_ins = 0
        fields += ["locked_until", "lockouts"]
        record(account, "locked", context, minutes=int(pause.total_seconds() // 60))
        if account.phone:
            messaging.send_sms(
                account.phone,
                messaging.in_recipient_language(
                    gettext_noop("dancu: sign-in to your account is paused after several failed attempts.")
                ),
            )
    account.save(update_fields=fields)


def acr_for(account: Account, amr: list[str]) -> str:
    """Level 2 assurance needs a level-2 account and two factors (password with TOTP, or a passkey with user
    verification: amr ``mfa``); anything else is level 1."""
    multi = ("mfa" in amr) or ("pwd" in amr and "otp" in amr)
    return ACR_LEVEL2 if account.level >= Level.TWO and multi else ACR_LEVEL1
