"""Password recovery by a code sent to the account's phone. Always the same answer, whether an account matched
or not; completing it ends every session and revokes the applications' tokens."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from dancu.accounts import messaging, throttle
from dancu.accounts.models import Account, AccountStatus
from dancu.accounts.services.client_consents import revoke_client_tokens
from dancu.accounts.services.codes import check_code, code_invalid, issue_code, normalise_phone
from dancu.accounts.services.context import NO_CONTEXT, RequestContext, record
from dancu.accounts.services.passwords import check_new_password_first
from dancu.accounts.services.sessions import end_all_sessions
from dancu.core.pin import parse_pin

RECOVERY_SENT = gettext_lazy("If the data matches an account, a recovery code was sent to its phone.")


def start_recovery(*, pin: str, phone: str, context: RequestContext | None = None) -> str:
    """Always returns a pending id and the same message: whether an account matched is not revealed."""
    throttle.hit("recover-ip", (context or NO_CONTEXT).client_key, limit=10, window=3600)
    parse_pin(pin)
    phone = normalise_phone(phone)
    throttle.hit("sms-phone", phone, limit=5, window=3600)
    account = Account.objects.filter(person__pin=pin, phone=phone, status=AccountStatus.ACTIVE).first()
    with transaction.atomic():
        row, code = issue_code("recover", {"account": str(account.pk) if account else None})
        if account is not None:
            messaging.send_sms(
                phone,
                messaging.in_recipient_language(
                    gettext_noop("dancu: account recovery code %(code)s (expires in 5 minutes)."), code=code
                ),
            )
            record(account, "recovery_requested", context)
    return str(row.pk)


def complete_recovery(*, pending_id: str, code: str, password: str, context: RequestContext | None = None) -> Account:
    throttle.hit("code-ip", (context or NO_CONTEXT).client_key, limit=30, window=900)
    check_new_password_first(pending_id, "recover", password)
    row = check_code(pending_id, "recover", code)
    if not row.payload.get("account"):
        raise code_invalid()
    account = Account.objects.select_related("user", "person").get(pk=row.payload["account"])
    with transaction.atomic():
        account.user.set_password(password)
        account.user.save(update_fields=["password"])
        Account.objects.filter(pk=account.pk).update(failed_sign_ins=0, locked_until=None, lockouts=0)
        end_all_sessions(account, "recovered")
        revoke_client_tokens(account)
        record(account, "recovery_completed", context)
    return account
