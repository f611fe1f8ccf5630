"""Passwords: the strength rules (Django's validators and none of the holder's own data) and a change by the
holder. Registration and recovery set theirs through their own services."""

from __future__ import annotations

import secrets
from functools import cache

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from dancu.accounts.models import Account, OneTimeCode
from dancu.accounts.services.codes import is_uuid
from dancu.accounts.services.context import RequestContext, record
from dancu.core.errors import DomainError
from dancu.core.names import normalize_name
from dancu.registry.models import Person


def check_password_strength(password: str, person: Person | None = None) -> None:
    """Django's validators (10+ characters, not common, not all digits) and none of the holder's own data."""
    problems: list[ValidationError] = []
    try:
        validate_password(password)
    except ValidationError as exc:
        problems.append(exc)
    if person is not None:
        lowered = password.lower()
        own = [person.pin, person.birth_date.strftime("%d%m%Y"), person.birth_date.isoformat().replace("-", "")]
        if any(item in lowered for item in own) or normalize_name(person.given_name).replace(" ", "") in lowered:
            problems.append(ValidationError(_("The password must not contain your ID number, date of birth or name.")))
    if problems:
        # Rendered when read, so in the language of the page that shows it (Django's validators are translated).
        raise DomainError("password_weak", lazy(_joined_messages, str)(problems), field="password")


def _joined_messages(problems: list[ValidationError]) -> str:
    return " ".join(str(message) for problem in problems for message in problem.messages)


@cache
def dummy_hash() -> str:
    """A hash to check unknown PINs against, so that they cost the same argon2 work as a wrong password."""
    return make_password(secrets.token_urlsafe(16))


def check_new_password_first(pending_id: str, purpose: str, password: str) -> None:
    """Refuse a weak password before the SMS code is checked, so that it does not use up the code. Reveals nothing:
    the person is known only to whoever holds the pending id (kept in their browser session)."""
    pending = OneTimeCode.objects.filter(pk=pending_id, purpose=purpose).first() if is_uuid(pending_id) else None
    person_id = None
    if pending is not None and purpose == "register" and not pending.payload.get("exists"):
        person_id = pending.payload.get("person_id")
    elif pending is not None and purpose == "recover" and pending.payload.get("account"):
        person_id = Account.objects.filter(pk=pending.payload["account"]).values_list("person_id", flat=True).first()
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    check_password_strength(password, person)


def verify_current_password(account: Account, current: str) -> None:
    """Sensitive changes (a new password, removing a second factor) ask for the current password again."""
    if not account.user.check_password(current):
        raise DomainError("password_wrong", "The current password is wrong.", field="current")


def change_password(*, account: Account, current: str, new: str, context: RequestContext | None = None) -> None:
    verify_current_password(account, current)
    check_password_strength(new, account.person)
    account.user.set_password(new)
    account.user.save(update_fields=["password"])
    record(account, "password_changed", context)
