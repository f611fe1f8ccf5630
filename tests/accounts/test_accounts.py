"""E-ID accounts through the portal and the services: registration matched against the registry and a valid
card, one-time codes, sign-in with lockout and back-off and no account enumeration, TOTP, sessions with revoke,
level-2 activation by an official, children's accounts, consents and access history, security headers."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dancu.accounts import services
from dancu.accounts.messaging import read_outbox
from dancu.accounts.models import Account, AccountSession, SecurityEvent
from dancu.cards.services import issue_card
from dancu.core.errors import DomainError
from dancu.registry import services as registry
from tests import factories
from tests.forms.page import form_errors

pytestmark = pytest.mark.django_db
PASSWORD = "Sen-no-ro-2024!x"


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any) -> Iterator[None]:
    """Each test has its own outbox and keys. Messages go out when the transaction commits; the test's transaction
    never commits, so Django's hook for tests runs the on-commit callbacks of each call made through ``sent``."""
    settings.VAR_DIR = tmp_path
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    services._secret_box.cache_clear()
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield


_capture: Any = None


def sent(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` and run what it left for the commit (its messages)."""
    with _capture(execute=True):
        return func(*args, **kwargs)


@pytest.fixture
def citizen() -> Any:
    person = factories.person(full_name="Phạm Thị Hoa", sex="F", birth_date=date(1992, 3, 8), residence="00004")
    issue_card(pin=person.pin, issued_on=date(2021, 6, 1), actor="t")
    return person


def _register_data(person: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "pin": person.pin,
        "full_name": "  PHẠM thị   hoa ",
        "birth_date": "1992-03-08",
        "card_issued_on": "2021-06-01",
        "phone": "0912 345 678",
    }
    data.update(overrides)
    return data


def _last_code(phone: str = "+84912345678") -> str:
    messages = read_outbox(phone)
    assert messages, "no SMS in the outbox"
    match = re.search(r"\b(\d{6})\b", messages[-1]["text"])
    assert match, messages[-1]["text"]
    return match.group(1)


def _register(client: Client, person: Any, password: str = PASSWORD) -> Account:
    response = sent(client.post, "/portal/dang-ky/", _register_data(person))
    assert response.status_code == 302, response.content[:500]
    response = client.post(
        "/portal/dang-ky/xac-nhan/", {"code": _last_code(), "password": password, "password2": password}
    )
    assert response.status_code == 302
    return Account.objects.get(person=person)


def test_registration_matches_the_registry_and_sends_a_code(client: Client, citizen: Any) -> None:
    account = _register(client, citizen)
    assert account.level == 1
    assert account.phone == "+84912345678"
    assert list(SecurityEvent.objects.filter(account=account).values_list("kind", flat=True)) == [
        "signed_in",
        "registered",
    ]
    page = client.get("/portal/")
    assert page.status_code == 200
    html = page.content.decode()
    assert citizen.pin in html
    history = html[html.index('id="residence-history"') :]
    assert "Số 1 Phố Đội Cấn" in history and "thường trú" in history
    assert "01/06/2021" in html  # the card


@pytest.mark.parametrize(
    "override",
    [{"full_name": "Phạm Thị Hòa"}, {"birth_date": "1992-03-09"}, {"card_issued_on": "2021-06-02"}],
    ids=["name", "birth_date", "card_issue_date"],
)
def test_registration_refuses_data_that_does_not_match(client: Client, citizen: Any, override: dict[str, str]) -> None:
    response = client.post("/portal/dang-ky/", _register_data(citizen, **override))
    assert response.status_code == 400
    assert "không khớp" in response.content.decode()
    assert not read_outbox()
    assert not Account.objects.exists()


def test_registration_needs_a_valid_card(client: Client) -> None:
    person = factories.person(full_name="Lý Văn Tâm", birth_date=date(1990, 1, 2))
    response = client.post("/portal/dang-ky/", _register_data(person, full_name="Lý Văn Tâm", birth_date="1990-01-02"))
    assert response.status_code == 400


def test_registration_refuses_bad_phone_and_weak_passwords(client: Client, citizen: Any) -> None:
    assert client.post("/portal/dang-ky/", _register_data(citizen, phone="12345")).status_code == 400
    assert sent(client.post, "/portal/dang-ky/", _register_data(citizen)).status_code == 302
    code = _last_code()
    for weak in ("short1!", "1234567890123", f"x{citizen.pin}y-Abc"):
        response = client.post("/portal/dang-ky/xac-nhan/", {"code": code, "password": weak, "password2": weak})
        assert response.status_code == 400
        assert "password" in response.content.decode().lower() or "mật khẩu" in response.content.decode().lower()
    assert not Account.objects.exists()
    # The weak passwords were refused for themselves, without using up the code.
    response = client.post("/portal/dang-ky/xac-nhan/", {"code": code, "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and Account.objects.filter(person=citizen).exists()


def test_a_code_dies_after_five_wrong_tries(citizen: Any) -> None:
    pending = sent(
        services.start_registration,
        pin=citizen.pin, full_name=citizen.full_name, birth_date=citizen.birth_date,
        card_issued_on=date(2021, 6, 1), phone="0912345678",
    )  # fmt: skip
    code = _last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(DomainError) as refused:
            services.confirm_registration(pending_id=pending, code=wrong, password=PASSWORD)
        assert refused.value.code == "code_invalid"
    with pytest.raises(DomainError):
        services.confirm_registration(pending_id=pending, code=code, password=PASSWORD)
    assert not Account.objects.exists()


def test_registering_again_does_not_reveal_or_duplicate(client: Client, citizen: Any) -> None:
    _register(client, citizen)
    other = Client()
    response = sent(other.post, "/portal/dang-ky/", _register_data(citizen))
    assert response.status_code == 302  # the same answer as for a new registration
    assert "da co tai khoan" in read_outbox("+84912345678")[-1]["text"]
    assert Account.objects.count() == 1


def test_under_six_registers_through_a_parent(client: Client, citizen: Any, today: date) -> None:
    child = registry.register_birth(
        full_name="Phạm Minh Khôi", sex="M", birth_date=today - timedelta(days=400), birth_commune="00004",
        mother_pin=citizen.pin, actor="t",
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        services.start_registration(
            pin=child.pin,
            full_name=child.full_name,
            birth_date=child.birth_date,
            card_issued_on=today,
            phone="0912345678",
        )
    assert refused.value.code == "registration_data_mismatch"  # no card under 6
    parent = _register(client, citizen)
    response = client.post("/portal/con/", {"child_pin": child.pin})
    assert response.status_code == 302
    ward = Account.objects.get(person=child)
    assert ward.guardian == parent and not ward.user.has_usable_password()
    assert client.get(f"/portal/con/{ward.pk}/").status_code == 200
    stranger = factories.person(full_name="Võ Văn Ba", birth_date=date(1980, 1, 1))
    with pytest.raises(DomainError) as refused:
        services.create_child_account(parent=parent, child_pin=stranger.pin)
    assert refused.value.code == "not_your_child"
    page = client.post("/portal/con/", {"child_pin": f"{stranger.pin[:6]} {stranger.pin[6:]}"})
    assert page.status_code == 400
    message = "Cơ sở dữ liệu quốc gia về dân cư không ghi nhận bạn là cha/mẹ của trẻ này: kiểm tra lại số."
    assert form_errors(page.content.decode()).summary == [(message, "child_pin")]
    assert form_errors(page.content.decode()).invalid == {"child_pin": f"Lỗi: {message}"}
    again = form_errors(client.post("/portal/con/", {"child_pin": child.pin}).content.decode())
    assert again.summary == [("Trẻ này đã có tài khoản.", "child_pin")]


@pytest.fixture
def account(citizen: Any) -> Account:
    return factories.account(citizen, password=PASSWORD)


def _login(client: Client, pin: str, password: str) -> Any:
    return client.post("/portal/dang-nhap/", {"pin": pin, "password": password})


def test_sign_in_failures_all_look_the_same(client: Client, account: Account) -> None:
    """No account, a wrong password: one message. A number that cannot be a PIN is said so (the PIN's structure is
    public: it tells nothing about who has an account)."""
    unknown = _login(client, factories.new_pin(), PASSWORD)
    wrong = _login(client, account.person.pin, "wrong-password-1")
    malformed = _login(client, "12", PASSWORD)
    summaries = [form_errors(r.content.decode()).summary for r in (unknown, wrong)]
    assert summaries[0] == summaries[1] and len(summaries[0]) == 1 and summaries[0][0][1] == ""
    assert form_errors(malformed.content.decode()).summary == [("Số định danh cá nhân gồm 12 chữ số.", "pin")]
    assert {unknown.status_code, wrong.status_code, malformed.status_code} == {400}


def test_lockout_with_back_off(client: Client, account: Account) -> None:
    for _ in range(services.FAILED_SIGN_INS_BEFORE_LOCK):
        sent(_login, client, account.person.pin, "wrong-password-1")
    account.refresh_from_db()
    first_pause = account.locked_until - timezone.now()
    assert timedelta(minutes=4) < first_pause <= timedelta(minutes=5)
    assert "tam khoa" in read_outbox("+84912345678")[-1]["text"]
    # While locked, even the right password is refused, with the same message.
    assert _login(client, account.person.pin, PASSWORD).status_code == 400
    # The next lockout lasts twice as long.
    account.locked_until = timezone.now() - timedelta(seconds=1)
    account.save()
    for _ in range(services.FAILED_SIGN_INS_BEFORE_LOCK):
        _login(client, account.person.pin, "wrong-password-1")
    account.refresh_from_db()
    assert timedelta(minutes=9) < account.locked_until - timezone.now() <= timedelta(minutes=10)
    account.locked_until = None
    account.save()
    assert _login(client, account.person.pin, PASSWORD).status_code == 302
    account.refresh_from_db()
    assert account.failed_sign_ins == 0 and account.lockouts == 0


def test_sign_in_changes_the_session_key(client: Client, account: Account) -> None:
    anonymous = client.session  # a real, stored session before sign-in (what a fixation attack plants)
    anonymous["visited"] = True
    anonymous.save()
    client.cookies["sessionid"] = anonymous.session_key
    before = anonymous.session_key
    assert _login(client, account.person.pin, PASSWORD).status_code == 302
    assert client.cookies["sessionid"].value != before
    assert AccountSession.objects.get(account=account).session_key == client.cookies["sessionid"].value


def test_sessions_are_listed_and_revoked(account: Account) -> None:
    windows = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    )
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"
    laptop, phone = Client(HTTP_USER_AGENT=windows), Client(HTTP_USER_AGENT=iphone)
    _login(laptop, account.person.pin, PASSWORD)
    _login(phone, account.person.pin, PASSWORD)
    for _ in range(2):  # the same phone signed in twice more: one device, three sessions
        _login(Client(HTTP_USER_AGENT=iphone), account.person.pin, PASSWORD)
    page = laptop.get("/portal/bao-mat/").content.decode()
    assert 'data-device="Chrome trên Windows"' in page and 'data-device="Safari trên iPhone"' in page
    assert page.count('data-device="Safari trên iPhone"') == 1 and "3 phiên" in page
    assert windows not in page  # no raw user agents
    other = AccountSession.objects.get(account=account, session_key=phone.cookies["sessionid"].value)
    response = laptop.post("/portal/bao-mat/thao-tac/", {"action": "revoke_session", "session": other.pk})
    assert response.status_code == 302
    assert phone.get("/portal/").status_code == 302  # back to sign-in
    assert laptop.get("/portal/").status_code == 200
    assert SecurityEvent.objects.filter(account=account, kind="session_revoked").exists()


def test_signing_out_ends_the_session_row(client: Client, account: Account) -> None:
    _login(client, account.person.pin, PASSWORD)
    client.post("/portal/dang-xuat/")
    assert AccountSession.objects.get(account=account).end_reason == "signed_out"
    assert client.get("/portal/").status_code == 302


def _totp_now(secret_b32: str, at: float | None = None) -> str:
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    secret = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return TOTP(secret, 6, SHA1(), 30, enforce_key_length=False).generate(at or time.time()).decode()


def test_totp_enrolment_sign_in_and_no_replay(client: Client, account: Account) -> None:
    _login(client, account.person.pin, PASSWORD)
    page = client.post("/portal/bao-mat/thao-tac/", {"action": "totp_begin"}).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page
    client.post("/portal/bao-mat/thao-tac/", {"action": "totp_confirm", "code": _totp_now(secret)})
    assert services.has_totp(account)
    browser = Client()
    first = _login(browser, account.person.pin, PASSWORD)
    assert first.status_code == 302 and "/ma-xac-thuc/" in first["Location"]
    assert browser.get("/portal/").status_code == 302  # not signed in yet
    code = _totp_now(secret, time.time() + 30)  # the next step: the enrolment's code is spent
    assert browser.post(first["Location"], {"code": code}).status_code == 302
    assert browser.get("/portal/").status_code == 200
    assert AccountSession.objects.filter(account=account, amr=["otp", "pwd"]).exists()
    again = Client()
    step = _login(again, account.person.pin, PASSWORD)
    replay = again.post(step["Location"], {"code": code})
    assert replay.status_code == 400  # a code is accepted once, and the citizen is told why
    assert form_errors(replay.content.decode()).summary == [
        ("Mã này đã được dùng. Hãy chờ mã tiếp theo trong ứng dụng (mỗi 30 giây có một mã mới).", "code")
    ]
    wrong = again.post(step["Location"], {"code": f"{(int(code) + 1) % 1000000:06d}"})
    assert wrong.status_code == 400
    assert form_errors(wrong.content.decode()).summary == [
        ("Mã không đúng: nhập mã ứng dụng xác thực đang hiển thị.", "code")
    ]


def test_a_reused_totp_code_has_its_own_code(account: Account) -> None:
    from dancu.accounts.services import second_factors

    secret_b32, _uri = second_factors.begin_totp(account)
    second_factors.confirm_totp(account, _totp_now(secret_b32))
    with pytest.raises(DomainError) as reused:
        second_factors.verify_totp(account, _totp_now(secret_b32))
    assert (reused.value.code, reused.value.field) == ("totp_reused", "code")
    assert second_factors.verify_totp(account, _totp_now(secret_b32, time.time() + 30)) is None
    with pytest.raises(DomainError) as wrong:
        second_factors.verify_totp(account, "000000" if _totp_now(secret_b32) != "000000" else "111111")
    assert wrong.value.code == "totp_invalid"


def test_recovery_does_not_reveal_accounts_and_resets_the_password(account: Account) -> None:
    stranger = Client()
    response = sent(stranger.post, "/portal/khoi-phuc/", {"pin": account.person.pin, "phone": "0987654321"})
    assert response.status_code == 302 and not read_outbox()
    owner = Client()
    response = sent(owner.post, "/portal/khoi-phuc/", {"pin": account.person.pin, "phone": "0912345678"})
    assert response.status_code == 302
    new = "Cay-tre-xanh-2025"
    response = owner.post("/portal/khoi-phuc/xac-nhan/", {"code": _last_code(), "password": new, "password2": new})
    assert response.status_code == 302
    assert _login(Client(), account.person.pin, new).status_code == 302
    assert _login(Client(), account.person.pin, PASSWORD).status_code == 400


def test_an_official_activates_level_2_after_the_in_person_check(client: Client, account: Account) -> None:
    official = factories.official("cutru-test", role="residence_officer")
    client.force_login(official)
    url = f"/persons/{account.person.pk}/eid-level2/"
    client.post(url, {})
    account.refresh_from_db()
    assert account.level == 1  # the check box is required
    client.post(url, {"card_checked": "1"})
    account.refresh_from_db()
    assert account.level == 2 and account.level2_activated_by == "cutru-test"
    viewer = factories.official("tracuu-test", role="viewer")
    other = Client()
    other.force_login(viewer)
    assert other.post(url, {"card_checked": "1"}).status_code == 403


def test_a_citizen_cannot_use_the_back_office_login(account: Account) -> None:
    browser = Client()
    response = browser.post("/login/", {"username": account.user.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in browser.session
    assert form_errors(response.content.decode()).summary == [("Tên đăng nhập hoặc mật khẩu không đúng.", "")]


def test_portal_pages_carry_the_security_headers(client: Client, account: Account) -> None:
    response = client.get("/portal/dang-nhap/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    _login(client, account.person.pin, PASSWORD)
    assert client.cookies["sessionid"]["httponly"]
    assert client.cookies["sessionid"]["samesite"] == "Lax"
    csrf = Client(enforce_csrf_checks=True)
    assert csrf.post("/portal/dang-nhap/", {"pin": account.person.pin, "password": PASSWORD}).status_code == 403


def test_english_is_switchable(client: Client) -> None:
    assert "Đăng nhập" in client.get("/portal/dang-nhap/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/dang-nhap/"})
    assert "Sign in with your e-ID account" in client.get("/portal/dang-nhap/").content.decode()


def test_passkey_endpoints_refuse_bad_input_with_codes(client: Client, account: Account) -> None:
    no_challenge = client.post("/portal/passkey/dang-nhap/", b'{"credential": {}}', content_type="application/json")
    assert no_challenge.status_code == 400 and no_challenge.json()["code"] == "passkey_sign_in_failed"
    client.post("/portal/passkey/dang-nhap/tuy-chon/")
    garbage = client.post("/portal/passkey/dang-nhap/", b"not json", content_type="application/json")
    assert garbage.status_code == 400 and garbage.json()["code"] == "json_invalid"
    client.post("/portal/passkey/dang-nhap/tuy-chon/")
    forged = client.post(
        "/portal/passkey/dang-nhap/", {"credential": {"rawId": "AAAA", "id": "AAAA"}}, content_type="application/json"
    )
    assert forged.status_code == 400 and forged.json()["code"] == "passkey_sign_in_failed"
    _login(client, account.person.pin, PASSWORD)
    unsolicited = client.post("/portal/passkey/dang-ky/", {"credential": {}}, content_type="application/json")
    assert unsolicited.json()["code"] == "passkey_no_challenge"
    client.post("/portal/passkey/dang-ky/tuy-chon/")
    bad = client.post("/portal/passkey/dang-ky/", {"credential": {"id": "x"}}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "passkey_invalid"
    client.post("/portal/passkey/dang-ky/tuy-chon/")
    wrong = client.post("/portal/passkey/dang-ky/", {"credential": "x"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json() | {"message": ""} == {
        "code": "object_expected",
        "field": "credential",
        "message": "",
    }
    assert not account.passkeys.exists()


def test_a_deceased_holder_cannot_sign_in(client: Client, account: Account) -> None:
    registry.record_death(pin=account.person.pin, death_date=timezone.localdate(), actor="t")
    assert _login(client, account.person.pin, PASSWORD).status_code == 400


def test_vietnamese_even_for_an_english_browser() -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Đăng nhập bằng tài khoản định danh điện tử" in browser.get("/portal/dang-nhap/").content.decode()


# --- the request context the services take instead of an HttpRequest ------------------------------------------------


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("", ""),
        ("not-an-address", ""),
    ],
)
def test_the_request_context_keeps_the_network_not_the_address(address: str, prefix: str) -> None:
    from django.test import RequestFactory

    from dancu.accounts.services.context import RequestContext

    request = RequestFactory().get("/", REMOTE_ADDR=address, HTTP_USER_AGENT="B" * 300)
    context = RequestContext.from_request(request)
    assert context.network_prefix == prefix
    assert context.user_agent == "B" * 200
    assert context.client_key == (prefix or "unknown")


def test_the_request_context_is_frozen_and_empty_without_a_request() -> None:
    import dataclasses

    from dancu.accounts.services.context import NO_CONTEXT, RequestContext

    assert RequestContext.from_request(None) == NO_CONTEXT == RequestContext("", "")
    context = RequestContext(network_prefix="198.51.100.0/24", user_agent="Phone")
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.network_prefix = "0.0.0.0/0"  # type: ignore[misc]


def test_services_record_the_context_they_are_given(account: Account) -> None:
    from dancu.accounts.services import signin, web_sessions
    from dancu.accounts.services.context import RequestContext

    context = RequestContext(network_prefix="198.51.100.0/24", user_agent="Phone")
    with pytest.raises(DomainError):
        signin.authenticate_password(pin=account.person.pin, password="wrong-password-1", context=context)
    failed = SecurityEvent.objects.get(account=account, kind="sign_in_failed")
    assert (failed.ip_prefix, failed.user_agent) == ("198.51.100.0/24", "Phone")
    browser = Client(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Laptop")
    assert _login(browser, account.person.pin, PASSWORD).status_code == 302
    session = AccountSession.objects.get(account=account)
    assert (session.ip_prefix, session.user_agent) == ("203.0.113.0/24", "Laptop")
    assert web_sessions.signed_in  # the Django side stays the one place that takes the request


def test_the_session_rows_follow_a_password_change(client: Client, account: Account) -> None:
    _login(client, account.person.pin, PASSWORD)
    before = client.cookies["sessionid"].value
    new = "Cay-tre-xanh-2025"
    response = client.post(
        "/portal/bao-mat/thao-tac/", {"action": "password", "current": PASSWORD, "new": new, "new2": new}
    )
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert AccountSession.objects.get(account=account, ended_at__isnull=True).session_key == after
    assert client.get("/portal/").status_code == 200


def test_security_forms_refuse_bad_input_on_the_page(client: Client, account: Account) -> None:
    _login(client, account.person.pin, PASSWORD)
    response = client.post(
        "/portal/bao-mat/thao-tac/",
        {"action": "password", "current": PASSWORD, "new": "Cay-tre-xanh-2025", "new2": "x"},
    )
    assert response.status_code == 400
    assert response.context["failed_form"].has_error("new2", "password_mismatch")
    found = form_errors(response.content.decode())
    assert [target for _message, target in found.summary] == ["new2"] and list(found.invalid) == ["new2"]
    response = client.post(
        "/portal/bao-mat/thao-tac/", {"action": "password", "current": "wrong", "new": "a", "new2": "a"}
    )
    assert response.status_code == 400
    assert response.context["failed_form"].has_error("current", "password_wrong")
    assert account.user.check_password(PASSWORD)
    assert list(form_errors(response.content.decode()).invalid) == ["current"]
    secret, _uri = services.begin_totp(account)
    services.confirm_totp(account, _totp_now(secret))
    response = client.post("/portal/bao-mat/thao-tac/", {"action": "totp_disable", "current": ""})
    found = form_errors(response.content.decode())
    assert [target for _message, target in found.summary] == ["cur-totp"] and list(found.invalid) == ["cur-totp"]
    response = client.post("/portal/bao-mat/thao-tac/", {"action": "revoke_session", "session": "abc"})
    assert response.context["failed_form"].has_error("session", "invalid")
    assert client.post("/portal/bao-mat/thao-tac/", {"action": "nope"}).status_code == 302


def test_registration_errors_are_bound_to_their_fields(client: Client, citizen: Any) -> None:
    response = client.post("/portal/dang-ky/", _register_data(citizen, phone="12345", birth_date="soon"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.has_error("phone", "phone_invalid") and form.has_error("birth_date", "date_invalid")
    response = sent(
        client.post, "/portal/dang-ky/", _register_data(citizen, pin=f"{citizen.pin[:6]} {citizen.pin[6:]}")
    )
    assert response.status_code == 302, "spaces in the PIN are accepted"


def test_consents_are_granted_and_revoked_through_their_forms(client: Client, account: Account) -> None:
    from dancu.exchange.models import Consent

    bank = factories.connected_system("bank-t")
    factories.grant(bank, fields=("full_name", "religion"))
    _login(client, account.person.pin, PASSWORD)
    assert 'name="consent_fields" value="religion"' in client.get("/portal/dong-y/").content.decode()
    refused = client.post("/portal/dong-y/", {"action": "grant", "system": "bank-t"})
    assert not Consent.objects.exists() and refused.status_code == 400
    found = form_errors(refused.content.decode())
    assert found.summary == [("Đánh dấu dữ liệu bạn đồng ý cung cấp.", "f-bank-t-religion")]
    assert found.invalid == {}, "the boxes are not invalid one by one: the group names the message"
    assert 'aria-describedby="f-bank-t-religion_error"' in refused.content.decode()
    client.post("/portal/dong-y/", {"action": "grant", "system": "bank-t", "consent_fields": ["religion"]})
    consent = Consent.objects.get(system=bank, revoked_at__isnull=True)
    assert consent.fields == ["religion"]
    client.post("/portal/dong-y/", {"action": "revoke", "consent": "not-a-number"})
    assert Consent.objects.filter(revoked_at__isnull=True).count() == 1
    client.post("/portal/dong-y/", {"action": "revoke", "consent": consent.pk})
    assert not Consent.objects.filter(revoked_at__isnull=True).exists()
    kinds = set(SecurityEvent.objects.filter(account=account).values_list("kind", flat=True))
    assert {"consent_granted", "consent_revoked"} <= kinds
