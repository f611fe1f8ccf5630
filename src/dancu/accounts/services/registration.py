"""Self-registration at level 1 (matched against the registry and a valid identity card, confirmed by a code sent
to the phone) and a parent's accounts for children under 6. Answers alike whether or not an account exists."""

from __future__ import annotations

import secrets
from datetime import date

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dancu.accounts import messaging, throttle
from dancu.accounts.models import Account, Level
from dancu.accounts.services.codes import check_code, code_invalid, issue_code, normalise_phone
from dancu.accounts.services.context import NO_CONTEXT, RequestContext, record
from dancu.accounts.services.passwords import check_new_password_first
from dancu.cards.services import current_card
from dancu.core.ages import age_on
from dancu.core.errors import DomainError
from dancu.core.names import normalize_name
from dancu.core.pin import parse_pin
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person

MIN_SELF_REGISTRATION_AGE = 6


def _matching_person(pin: str, full_name: str, birth_date: date, card_issued_on: date) -> Person | None:
    person = Person.objects.filter(pin=pin).first()
    if person is None or person.status != LifeStatus.LIVING:
        return None
    if normalize_name(person.full_name) != normalize_name(full_name) or person.birth_date != birth_date:
        return None
    card = current_card(person)
    return person if card is not None and card.issued_on == card_issued_on else None


def _new_user(password: str | None) -> User:
    return User.objects.create(username=f"eid:{secrets.token_hex(8)}", password=make_password(password))


def _name_user_after(account: Account) -> None:
    account.user.username = f"eid:{account.pk}"
    account.user.save(update_fields=["username"])


def start_registration(
    *,
    pin: str,
    full_name: str,
    birth_date: date,
    card_issued_on: date,
    phone: str,
    context: RequestContext | None = None,
) -> str:
    """Step 1: the data must match the registry and a valid card; a code goes to the phone. Returns the pending
    registration's id (kept in the browser session). The same answer whether or not an account already exists."""
    throttle.hit("register-ip", (context or NO_CONTEXT).client_key, limit=20, window=3600)
    parse_pin(pin)
    throttle.hit("register-pin", pin, limit=5, window=3600)
    phone = normalise_phone(phone)
    throttle.hit("sms-phone", phone, limit=5, window=3600)
    person = _matching_person(pin, full_name, birth_date, card_issued_on)
    if person is None:
        raise DomainError(
            "registration_data_mismatch",
            "The data does not match the population database and a valid identity card.",
        )
    if age_on(person.birth_date, timezone.localdate()) < MIN_SELF_REGISTRATION_AGE:
        raise DomainError(
            "account_under_6_through_parent",
            "A child under 6 gets an account through a parent's account.",
        )
    exists = Account.objects.filter(person=person).exists()
    with transaction.atomic():
        row, code = issue_code("register", {"person_id": person.pk, "phone": phone, "exists": exists})
        if exists:
            messaging.send_sms(
                phone,
                messaging.in_recipient_language(
                    gettext_noop(
                        "dancu: this ID number already has an account. If you forgot the password, recover it."
                    )
                ),
            )
        else:
            messaging.send_sms(
                phone,
                messaging.in_recipient_language(
                    gettext_noop("dancu: registration code %(code)s (expires in 5 minutes)."), code=code
                ),
            )
    return str(row.pk)


def confirm_registration(
    *, pending_id: str, code: str, password: str, context: RequestContext | None = None
) -> Account:
    """Step 2: the code from the SMS and a password; creates the level-1 account."""
    throttle.hit("code-ip", (context or NO_CONTEXT).client_key, limit=30, window=900)
    check_new_password_first(pending_id, "register", password)
    row = check_code(pending_id, "register", code)
    if row.payload.get("exists"):
        raise code_invalid()
    person = Person.objects.get(pk=row.payload["person_id"])
    with transaction.atomic():
        if Account.objects.filter(person=person).exists():
            raise DomainError("account_exists", "An account exists for this person: sign in or recover it.")
        account = Account.objects.create(
            user=_new_user(password), person=person, phone=row.payload["phone"], level=Level.ONE
        )
        _name_user_after(account)
        record(account, "registered", context, level=1)
    return account


def create_child_account(*, parent: Account, child_pin: str, context: RequestContext | None = None) -> Account:
    """A level-1 account for the parent's child under 6, managed from the parent's account."""
    parse_pin(child_pin)
    child = Person.objects.filter(pin=child_pin).first()
    if child is None or parent.person_id not in (child.father_id, child.mother_id) or child.status != LifeStatus.LIVING:
        raise DomainError("not_your_child", "The registry does not list you as this child's parent.", field="child_pin")
    if age_on(child.birth_date, timezone.localdate()) >= MIN_SELF_REGISTRATION_AGE:
        raise DomainError("child_not_under_6", "From 6 years a child registers with their own data.", field="child_pin")
    with transaction.atomic():
        if Account.objects.filter(person=child).exists():
            raise DomainError("account_exists", "The child already has an account.")
        account = Account.objects.create(user=_new_user(None), person=child, level=Level.ONE, guardian=parent)
        _name_user_after(account)
        record(account, "registered", context, level=1, guardian=str(parent.pk))
        record(parent, "child_account_created", context, child=str(account.pk))
    return account
