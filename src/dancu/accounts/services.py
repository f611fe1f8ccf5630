"""E-ID account services: self-registration (level 1), sign-in with lockout and back-off, one-time codes, TOTP,
level-2 activation by an official, recovery, children's accounts, sessions. Each refusal is a
:class:`~dancu.core.errors.DomainError` with a stable code; messages never say whether an account exists."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dancu.accounts import messaging, throttle
from dancu.accounts.models import (
    Account,
    AccountSession,
    AccountStatus,
    ClientConsent,
    Level,
    OneTimeCode,
    SecurityEvent,
    TotpDevice,
)
from dancu.cards.services import current_card
from dancu.core.crypto import SecretBox
from dancu.core.errors import DomainError
from dancu.core.names import normalize_name
from dancu.core.pin import parse_pin
from dancu.registry.choices import LifeStatus
from dancu.registry.models import Person

CODE_TTL = timedelta(minutes=5)
CODE_ATTEMPTS = 5
#: Failed sign-ins before the account pauses; each lockout after the first lasts twice as long, up to a day.
FAILED_SIGN_INS_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=5)
LONGEST_LOCK = timedelta(hours=24)
MIN_SELF_REGISTRATION_AGE = 6
MIN_LEVEL2_AGE = 6

SIGN_IN_FAILED = (
    "Số định danh hoặc mật khẩu không đúng. Sau nhiều lần sai, đăng nhập tạm dừng một thời gian. / "
    "Wrong ID number or password. After several failures sign-in pauses for a while."
)

ACR_LEVEL1 = "urn:dancu:eid:level1"
ACR_LEVEL2 = "urn:dancu:eid:level2"


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- request context -------------------------------------------------------------------------------------------------


def ip_prefix(request: HttpRequest | None) -> str:
    """The client's network, not its address: /24 for IPv4, /48 for IPv6 (enough to recognise a place)."""
    if request is None:
        return ""
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def user_agent(request: HttpRequest | None) -> str:
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:200]


def record(account: Account, kind: str, request: HttpRequest | None = None, **detail: Any) -> SecurityEvent:
    return SecurityEvent.objects.create(
        account=account, kind=kind, ip_prefix=ip_prefix(request), user_agent=user_agent(request), detail=detail
    )


def client_key(request: HttpRequest | None) -> str:
    return ip_prefix(request) or "unknown"


# --- phone numbers and one-time codes --------------------------------------------------------------------------------

_PHONE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")


def normalise_phone(raw: str) -> str:
    """A Vietnamese mobile number in E.164 (+84...), from 0xxxxxxxxx, 84xxxxxxxxx or +84xxxxxxxxx."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    match = _PHONE.match(digits)
    if not match:
        raise DomainError("phone_invalid", "Enter a Vietnamese mobile number, e.g. 0912345678.", field="phone")
    return "+84" + match.group(1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "•" * max(len(phone) - 6, 0) + phone[-3:] if phone else ""


def _code_hash(code_id: str, code: str) -> str:
    return hashlib.sha256(f"{code_id}:{code}".encode()).hexdigest()


def issue_code(purpose: str, payload: dict[str, Any]) -> tuple[OneTimeCode, str]:
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OneTimeCode(purpose=purpose, payload=payload, expires_at=timezone.now() + CODE_TTL)
    row.code_hash = _code_hash(str(row.id), code)
    row.save()
    return row, code


def check_code(code_id: str, purpose: str, code: str) -> OneTimeCode:
    """The pending code if ``code`` is right; each wrong try counts (committed even though the call fails), and
    after 5 the code is dead."""
    invalid = DomainError(
        "code_invalid", "The code is wrong or has expired. / Mã không đúng hoặc đã hết hạn.", field="code"
    )
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(pk=code_id, purpose=purpose).first()
        if row is None or row.used_at or row.expires_at < timezone.now() or row.attempts >= CODE_ATTEMPTS:
            raise invalid
        right = hmac.compare_digest(row.code_hash, _code_hash(str(row.id), (code or "").strip()))
        if right:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
    if not right:
        raise invalid
    return row


# --- passwords -------------------------------------------------------------------------------------------------------


def check_password_strength(password: str, person: Person | None = None) -> None:
    """Django's validators (10+ characters, not common, not all digits) and none of the holder's own data."""
    problems: list[str] = []
    try:
        validate_password(password)
    except ValidationError as exc:
        problems.extend(str(m) for m in exc.messages)
    if person is not None:
        lowered = password.lower()
        own = [person.pin, person.birth_date.strftime("%d%m%Y"), person.birth_date.isoformat().replace("-", "")]
        if any(item in lowered for item in own) or normalize_name(person.given_name).replace(" ", "") in lowered:
            problems.append("The password must not contain your ID number, date of birth or name.")
    if problems:
        raise DomainError("password_weak", " ".join(problems), field="password")


@cache
def _dummy_hash() -> str:
    return make_password(secrets.token_urlsafe(16))


# --- registration (level 1) ------------------------------------------------------------------------------------------


def _matching_person(pin: str, full_name: str, birth_date: date, card_issued_on: date) -> Person | None:
    person = Person.objects.filter(pin=pin).first()
    if person is None or person.status != LifeStatus.LIVING:
        return None
    if normalize_name(person.full_name) != normalize_name(full_name) or person.birth_date != birth_date:
        return None
    card = current_card(person)
    return person if card is not None and card.issued_on == card_issued_on else None


def start_registration(
    *, pin: str, full_name: str, birth_date: date, card_issued_on: date, phone: str, request: HttpRequest | None = None
) -> str:
    """Step 1: the data must match the registry and a valid card; a code goes to the phone. Returns the pending
    registration's id (kept in the browser session). The same answer whether or not an account already exists."""
    throttle.hit("register-ip", client_key(request), limit=20, window=3600)
    parse_pin(pin)
    throttle.hit("register-pin", pin, limit=5, window=3600)
    phone = normalise_phone(phone)
    throttle.hit("sms-phone", phone, limit=5, window=3600)
    person = _matching_person(pin, full_name, birth_date, card_issued_on)
    if person is None:
        raise DomainError(
            "registration_data_mismatch",
            "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư và thẻ căn cước còn hiệu lực. / "
            "The data does not match the population database and a valid identity card.",
        )
    if age_on(person.birth_date, timezone.localdate()) < MIN_SELF_REGISTRATION_AGE:
        raise DomainError(
            "account_under_6_through_parent",
            "A child under 6 gets an account through a parent's account. / "
            "Trẻ dưới 6 tuổi đăng ký qua tài khoản của cha, mẹ.",
        )
    exists = Account.objects.filter(person=person).exists()
    with transaction.atomic():
        row, code = issue_code("register", {"person_id": person.pk, "phone": phone, "exists": exists})
        if exists:
            messaging.send_sms(
                phone,
                "dancu: so dinh danh nay da co tai khoan. Neu quen mat khau, dung chuc nang Quen mat khau. "
                "This ID number already has an account: use password recovery.",
            )
        else:
            messaging.send_sms(phone, f"dancu: ma xac nhan dang ky {code} (het han sau 5 phut). Code {code}.")
    return str(row.pk)


def _check_new_password_first(pending_id: str, purpose: str, password: str) -> None:
    """Refuse a weak password before the SMS code is checked, so that it does not use up the code. Reveals nothing:
    the person is known only to whoever holds the pending id (kept in their browser session)."""
    pending = OneTimeCode.objects.filter(pk=pending_id, purpose=purpose).first() if _is_uuid(pending_id) else None
    person_id = None
    if pending is not None and purpose == "register" and not pending.payload.get("exists"):
        person_id = pending.payload.get("person_id")
    elif pending is not None and purpose == "recover" and pending.payload.get("account"):
        person_id = Account.objects.filter(pk=pending.payload["account"]).values_list("person_id", flat=True).first()
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    check_password_strength(password, person)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def confirm_registration(*, pending_id: str, code: str, password: str, request: HttpRequest | None = None) -> Account:
    """Step 2: the code from the SMS and a password; creates the level-1 account."""
    throttle.hit("code-ip", client_key(request), limit=30, window=900)
    _check_new_password_first(pending_id, "register", password)
    row = check_code(pending_id, "register", code)
    if row.payload.get("exists"):
        raise DomainError(
            "code_invalid", "The code is wrong or has expired. / Mã không đúng hoặc đã hết hạn.", field="code"
        )
    person = Person.objects.get(pk=row.payload["person_id"])
    with transaction.atomic():
        if Account.objects.filter(person=person).exists():
            raise DomainError("account_exists", "An account exists for this person: sign in or recover it.")
        user = User.objects.create(username=f"eid:{secrets.token_hex(8)}", password=make_password(password))
        account = Account.objects.create(user=user, person=person, phone=row.payload["phone"], level=Level.ONE)
        user.username = f"eid:{account.pk}"
        user.save(update_fields=["username"])
        record(account, "registered", request, level=1)
    return account


# --- sign-in ---------------------------------------------------------------------------------------------------------


def authenticate_password(*, pin: str, password: str, request: HttpRequest | None = None) -> Account:
    """The account if the password is right and the account is neither locked nor closed; otherwise one message
    for every failure (wrong PIN, no account, wrong password, locked), after the same argon2 work."""
    throttle.hit("signin-ip", client_key(request), limit=60, window=300)
    failed = DomainError("sign_in_failed", SIGN_IN_FAILED)
    account = None
    try:
        parse_pin(pin)
    except DomainError:
        pass
    else:
        account = Account.objects.select_related("user", "person").filter(person__pin=pin).first()
    if account is None or not account.user.has_usable_password():
        check_password(password, _dummy_hash())
        raise failed
    now = timezone.now()
    ok = account.user.check_password(password)
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("user", "person").get(pk=account.pk)
        if not account.can_sign_in:
            raise failed
        locked = bool(account.locked_until and account.locked_until > now)
        if locked:
            record(account, "sign_in_refused_locked", request)
        elif not ok:
            account.failed_sign_ins += 1
            fields = ["failed_sign_ins"]
            record(account, "sign_in_failed", request)
            if account.failed_sign_ins >= FAILED_SIGN_INS_BEFORE_LOCK:
                pause = min(FIRST_LOCK * (2**account.lockouts), LONGEST_LOCK)
                account.locked_until = now + pause
                account.lockouts += 1
                account.failed_sign_ins = 0
                fields += ["locked_until", "lockouts"]
                record(account, "locked", request, minutes=int(pause.total_seconds() // 60))
                if account.phone:
                    messaging.send_sms(
                        account.phone,
                        "dancu: tai khoan tam khoa dang nhap do nhap sai nhieu lan. "
                        "Sign-in paused after failed attempts.",
                    )
            account.save(update_fields=fields)
        else:
            account.failed_sign_ins = 0
            account.lockouts = 0
            account.locked_until = None
            account.save(update_fields=["failed_sign_ins", "lockouts", "locked_until"])
    if locked or not ok:
        raise failed
    return account


def acr_for(account: Account, amr: list[str]) -> str:
    """Level 2 assurance needs a level-2 account and two factors (password with TOTP, or a passkey with user
    verification: amr ``mfa``); anything else is level 1."""
    multi = ("mfa" in amr) or ("pwd" in amr and "otp" in amr)
    return ACR_LEVEL2 if account.level >= Level.TWO and multi else ACR_LEVEL1


def start_session(request: HttpRequest, account: Account, amr: list[str]) -> AccountSession:
    """Sign in: a new session key (no fixation), the methods used, a row the holder can see and revoke."""
    login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["amr"] = sorted(set(amr))
    request.session.save()
    session = AccountSession.objects.create(
        account=account,
        session_key=request.session.session_key or "",
        amr=sorted(set(amr)),
        user_agent=user_agent(request),
        ip_prefix=ip_prefix(request),
    )
    record(account, "signed_in", request, amr=sorted(set(amr)))
    return session


def add_factor(request: HttpRequest, account: Account, *methods: str) -> None:
    """Step-up: a second factor proven in this session (the session key changes too)."""
    amr = sorted({*request.session.get("amr", []), *methods})
    old_key = request.session.session_key
    request.session.cycle_key()
    request.session["amr"] = amr
    request.session.save()
    AccountSession.objects.filter(session_key=old_key).update(session_key=request.session.session_key, amr=amr)
    record(account, "step_up", request, methods=list(methods))


def signed_in(request: HttpRequest) -> tuple[Account, AccountSession] | None:
    """The citizen's account and open session behind this request, or ``None`` (anonymous, an official, a revoked or
    ended session, a closed account or a dead holder): the one check behind the portal and the OIDC provider."""
    key = request.session.session_key
    if not key or not request.user.is_authenticated:
        return None
    session = (
        AccountSession.objects.select_related("account__person")
        .filter(session_key=key, ended_at__isnull=True, account__user=request.user)
        .first()
    )
    if session is None or not session.account.can_sign_in:
        return None
    session.account.user = request.user  # type: ignore[assignment]  # the same row, already loaded
    return session.account, session


def end_session(request: HttpRequest, reason: str = "signed_out") -> None:
    key = request.session.session_key
    session = AccountSession.objects.filter(session_key=key, ended_at__isnull=True).select_related("account").first()
    if session is not None:
        session.ended_at = timezone.now()
        session.end_reason = reason
        session.save(update_fields=["ended_at", "end_reason"])
        record(session.account, "signed_out", request)
    logout(request)


def revoke_session(account: Account, session_id: int, request: HttpRequest | None = None) -> None:
    session = AccountSession.objects.filter(account=account, pk=session_id, ended_at__isnull=True).first()
    if session is None:
        raise DomainError("session_not_found", "No such open session.", status=404)
    session.ended_at = timezone.now()
    session.end_reason = "revoked"
    session.save(update_fields=["ended_at", "end_reason"])
    SessionStore(session_key=session.session_key).delete()
    record(account, "session_revoked", request, session=session.pk)


def end_all_sessions(account: Account, reason: str) -> None:
    for session in AccountSession.objects.filter(account=account, ended_at__isnull=True):
        session.ended_at = timezone.now()
        session.end_reason = reason
        session.save(update_fields=["ended_at", "end_reason"])
        SessionStore(session_key=session.session_key).delete()


# --- TOTP ------------------------------------------------------------------------------------------------------------


@cache
def _secret_box() -> SecretBox:
    return SecretBox(Path(settings.DANCU_KEYS_DIR) / "account-secrets.json")


def _totp(secret: bytes) -> Any:
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    return TOTP(secret, 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303 - RFC 6238's default, what apps use


def begin_totp(account: Account) -> tuple[str, str]:
    """A new unconfirmed TOTP secret; returns (base32 secret, otpauth:// URI for the QR code)."""
    import base64

    secret = secrets.token_bytes(20)
    blob = _secret_box().seal(b"totp:" + str(account.pk).encode(), secret)
    TotpDevice.objects.update_or_create(
        account=account, defaults={"secret": blob, "confirmed_at": None, "last_step": 0}
    )
    uri = _totp(secret).get_provisioning_uri(f"{account.person.pin}", "dancu e-ID")
    return base64.b32encode(secret).decode().rstrip("="), uri


def _accept_totp(device: TotpDevice, code: str) -> bool:
    import time

    secret = _secret_box().open(b"totp:" + str(device.account_id).encode(), bytes(device.secret))
    totp = _totp(secret)
    now = int(time.time())
    code = (code or "").strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return False
    for drift in (0, -30, 30):
        step = (now + drift) // 30
        if step <= device.last_step:
            continue
        if hmac.compare_digest(totp.generate(now + drift), code.encode()):
            device.last_step = step
            return True
    return False


def confirm_totp(account: Account, code: str, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(account=account).first()
        if device is None or not _accept_totp(device, code):
            raise DomainError("totp_invalid", "The code from the app is wrong. / Mã không đúng.", field="code")
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at", "last_step"])
        record(account, "totp_enabled", request)


def verify_totp(account: Account, code: str, request: HttpRequest | None = None) -> None:
    throttle.hit("totp-account", str(account.pk), limit=10, window=300)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(account=account, confirmed_at__isnull=False).first()
        accepted = device is not None and _accept_totp(device, code)
        if accepted:
            device.save(update_fields=["last_step"])  # type: ignore[union-attr]
        elif device is not None:
            record(account, "totp_failed", request)
    if not accepted:
        raise DomainError("totp_invalid", "The code from the app is wrong. / Mã không đúng.", field="code")


def disable_totp(account: Account, request: HttpRequest | None = None) -> None:
    if TotpDevice.objects.filter(account=account).delete()[0]:
        record(account, "totp_disabled", request)


def has_totp(account: Account) -> bool:
    return TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).exists()


# --- level 2, children, recovery, password change --------------------------------------------------------------------


def activate_level2(
    *, account: Account, official: str, card_checked: bool, request: HttpRequest | None = None
) -> Account:
    """An official raises an account to level 2 after checking the holder and the card in person."""
    if not card_checked:
        raise DomainError("in_person_check_required", "Confirm that the card and the holder were checked in person.")
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
        record(account, "level2_activated", request, official=official[:150])
    return account


def create_child_account(*, parent: Account, child_pin: str, request: HttpRequest | None = None) -> Account:
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
        user = User.objects.create(username=f"eid:{secrets.token_hex(8)}", password=make_password(None))
        account = Account.objects.create(user=user, person=child, level=Level.ONE, guardian=parent)
        user.username = f"eid:{account.pk}"
        user.save(update_fields=["username"])
        record(account, "registered", request, level=1, guardian=str(parent.pk))
        record(parent, "child_account_created", request, child=str(account.pk))
    return account


RECOVERY_SENT = (
    "Nếu thông tin khớp với một tài khoản, mã khôi phục đã được gửi tới số điện thoại của tài khoản. / "
    "If the data matches an account, a recovery code was sent to its phone."
)


def start_recovery(*, pin: str, phone: str, request: HttpRequest | None = None) -> str:
    """Always returns a pending id and the same message: whether an account matched is not revealed."""
    throttle.hit("recover-ip", client_key(request), limit=10, window=3600)
    parse_pin(pin)
    phone = normalise_phone(phone)
    throttle.hit("sms-phone", phone, limit=5, window=3600)
    account = Account.objects.filter(person__pin=pin, phone=phone, status=AccountStatus.ACTIVE).first()
    with transaction.atomic():
        row, code = issue_code("recover", {"account": str(account.pk) if account else None})
        if account is not None:
            messaging.send_sms(phone, f"dancu: ma khoi phuc tai khoan {code} (5 phut). Recovery code {code}.")
            record(account, "recovery_requested", request)
    return str(row.pk)


def complete_recovery(*, pending_id: str, code: str, password: str, request: HttpRequest | None = None) -> Account:
    throttle.hit("code-ip", client_key(request), limit=30, window=900)
    _check_new_password_first(pending_id, "recover", password)
    row = check_code(pending_id, "recover", code)
    if not row.payload.get("account"):
        raise DomainError(
            "code_invalid", "The code is wrong or has expired. / Mã không đúng hoặc đã hết hạn.", field="code"
        )
    account = Account.objects.select_related("user", "person").get(pk=row.payload["account"])
    with transaction.atomic():
        account.user.set_password(password)
        account.user.save(update_fields=["password"])
        Account.objects.filter(pk=account.pk).update(failed_sign_ins=0, locked_until=None, lockouts=0)
        end_all_sessions(account, "recovered")
        revoke_client_tokens(account)
        record(account, "recovery_completed", request)
    return account


def change_password(*, account: Account, current: str, new: str, request: HttpRequest | None = None) -> None:
    if not account.user.check_password(current):
        raise DomainError("password_wrong", "The current password is wrong.", field="current")
    check_password_strength(new, account.person)
    account.user.set_password(new)
    account.user.save(update_fields=["password"])
    record(account, "password_changed", request)


# --- e-mail and notification channels --------------------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """The address as typed, trimmed, its domain lower-cased (the local part is the mail server's business)."""
    email = (raw or "").strip()
    local, at, domain = email.rpartition("@")
    email = f"{local}{at}{domain.lower()}" if at else email
    try:
        if len(email) > 254 or len(local) > 64:  # RFC 5321's limits, which Django's validator does not apply
            raise ValidationError("too long")
        EmailValidator()(email)
    except ValidationError:
        raise DomainError("email_invalid", "Enter a valid e-mail address.", field="email") from None
    return email


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


def start_email_change(*, account: Account, email: str, request: HttpRequest | None = None) -> str:
    """Send a code to the new address; returns the pending code's id. The code is bound to this account and this
    address (by its digest: the address itself is not stored until confirmed)."""
    email = normalise_email(email)
    throttle.hit("email-code", str(account.pk), limit=5, window=3600)
    with transaction.atomic():
        row, code = issue_code("email", {"account": str(account.pk), "email": _email_digest(email)})
        messaging.send_email(
            email,
            "dancu: mã xác nhận địa chỉ thư điện tử / e-mail confirmation code",
            f"Mã xác nhận địa chỉ thư điện tử cho tài khoản định danh điện tử của bạn: {code} (hết hạn sau 5 phút).\n"
            f"Your e-ID account's e-mail confirmation code: {code} (valid for 5 minutes).\n\n"
            "Nếu bạn không yêu cầu, hãy bỏ qua thư này. If you did not ask for it, ignore this message.",
        )
        record(account, "email_code_sent", request)
    return str(row.pk)


def confirm_email(
    *, account: Account, pending_id: str, email: str, code: str, request: HttpRequest | None = None
) -> None:
    throttle.hit("code-ip", client_key(request), limit=30, window=900)
    if not _is_uuid(pending_id):  # nothing pending (or a forged id)
        raise DomainError("code_invalid", "The code is wrong or has expired. / Mã không đúng hoặc đã hết hạn.")
    email = normalise_email(email)
    row = check_code(pending_id, "email", code)
    if row.payload.get("account") != str(account.pk) or row.payload.get("email") != _email_digest(email):
        raise DomainError("code_invalid", "The code is wrong or has expired. / Mã không đúng hoặc đã hết hạn.")
    with transaction.atomic():
        had = account.email
        account.email, account.email_confirmed_at = email, timezone.now()
        account.save(update_fields=["email", "email_confirmed_at"])
        record(account, "email_changed", request)
        notice = "dancu: dia chi thu dien tu cua tai khoan da thay doi. Your account's e-mail address was changed."
        if had and had != email:
            messaging.send_email(had, "dancu: địa chỉ thư điện tử đã thay đổi / e-mail address changed", notice)
        if account.phone:
            messaging.send_sms(account.phone, notice)


def remove_email(*, account: Account, request: HttpRequest | None = None) -> None:
    if not account.email:
        return
    with transaction.atomic():
        account.email, account.email_confirmed_at = "", None
        account.save(update_fields=["email", "email_confirmed_at"])
        record(account, "email_removed", request)


def set_notification_channels(*, account: Account, sms: bool, email: bool, request: HttpRequest | None = None) -> None:
    """Which channels carry procedure notices besides the portal (security codes and warnings always go by SMS)."""
    account.notify_by_sms, account.notify_by_email = sms, email
    account.save(update_fields=["notify_by_sms", "notify_by_email"])
    record(account, "notifications_changed", request, sms=sms, email=email)


def send_notice(account: Account, text: str, subject: str = "") -> None:
    """A procedure notice on the holder's chosen channels (the portal's own list is the caller's)."""
    if account.phone and account.notify_by_sms:
        messaging.send_sms(account.phone, f"dancu: {text}")
    if account.email and account.notify_by_email:
        messaging.send_email(account.email, subject or f"dancu: {text[:80]}", text)


# --- OpenID Connect consents -----------------------------------------------------------------------------------------


def revoke_client_tokens(account: Account, application_id: int | None = None) -> None:
    from oauth2_provider.models import AccessToken, RefreshToken

    refresh = RefreshToken.objects.filter(user=account.user, revoked__isnull=True)
    access = AccessToken.objects.filter(user=account.user)
    if application_id is not None:
        refresh = refresh.filter(application_id=application_id)
        access = access.filter(application_id=application_id)
    for token in refresh:
        token.revoke()
    access.delete()


def revoke_client_consent(account: Account, consent_id: int, request: HttpRequest | None = None) -> None:
    consent = ClientConsent.objects.filter(account=account, pk=consent_id, revoked_at__isnull=True).first()
    if consent is None:
        raise DomainError("consent_not_found", "No such consent.", status=404)
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    revoke_client_tokens(account, consent.application_id)
    record(account, "client_consent_revoked", request, client=consent.application.name)


def close_for_death(pin: str) -> Account | None:
    """The holder died: close the account, end its sessions and revoke its applications' tokens (called by the
    event consumer on ``death.recorded``; idempotent)."""
    account = Account.objects.filter(person__pin=pin, status=AccountStatus.ACTIVE).first()
    if account is None:
        return None
    account.status = AccountStatus.CLOSED
    account.save(update_fields=["status"])
    end_all_sessions(account, "holder_deceased")
    revoke_client_tokens(account)
    record(account, "closed_holder_deceased")
    return account
