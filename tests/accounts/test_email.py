"""E-mail as a notification channel, and the outbox: an address is confirmed by a code sent to it, procedure notices
go by the channels the holder chose, e-mail is delivered by a real SMTP server (aiosmtpd on loopback), a failing
sender neither fails the citizen's request nor loses the message (retried with back-off, then marked failed)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from io import StringIO
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dancu.accounts import messaging, services
from dancu.accounts.messaging import read_outbox
from dancu.accounts.models import Account, MessageStatus, OutboundMessage, SecurityEvent
from dancu.core.errors import DomainError
from dancu.procedures import linked
from dancu.procedures.attachments import Upload
from dancu.procedures.models import Notification
from tests import factories
from tests.forms.page import form_errors

pytestmark = pytest.mark.django_db
PASSWORD = "Sen-no-ro-2024!x"
PHONE = "+84912345678"


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.VAR_DIR = tmp_path
    messaging.sender.cache_clear()
    yield
    messaging.sender.cache_clear()


@pytest.fixture
def account() -> Account:
    person = factories.person(full_name="Đỗ Thị Lan", sex="F", birth_date=date(1995, 4, 2), residence="00004")
    return factories.account(person, password=PASSWORD, phone=PHONE)


def _code(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def _signed_in(client: Client, account: Account) -> Client:
    response = client.post("/portal/dang-nhap/", {"pin": account.person.pin, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_an_address_is_confirmed_by_the_code_sent_to_it(
    client: Client, account: Account, django_capture_on_commit_callbacks: Any
) -> None:
    _signed_in(client, account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/bao-mat/thao-tac/", {"action": "email_begin", "email": " Lan.Do@Example.VN "})
    assert response.status_code == 302
    mails = read_outbox("Lan.Do@example.vn", channel="email")
    assert len(mails) == 1 and "mã xác nhận địa chỉ thư điện tử" in mails[0]["subject"]  # in Vietnamese, the default
    account.refresh_from_db()
    assert account.email == "", "not set before it is confirmed"
    page = client.get("/portal/bao-mat/").content.decode()
    assert "Lan.Do@example.vn" in page and 'name="code"' in page

    wrong = "000000" if _code(mails[0]["text"]) != "000000" else "111111"
    refused = client.post("/portal/bao-mat/thao-tac/", {"action": "email_confirm", "code": wrong})
    assert refused.status_code == 400
    found = form_errors(refused.content.decode())
    assert [target for _message, target in found.summary] == ["email-code"]
    assert list(found.invalid) == ["email-code"]
    account.refresh_from_db()
    assert account.email == ""
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/bao-mat/thao-tac/", {"action": "email_confirm", "code": _code(mails[0]["text"])})
    account.refresh_from_db()
    assert account.email == "Lan.Do@example.vn" and account.email_confirmed_at is not None
    assert SecurityEvent.objects.filter(account=account, kind="email_changed").exists()
    assert "dia chi thu dien tu" in read_outbox(PHONE)[-1]["text"], "the phone hears of the change"
    assert 'id="email-current">Lan.Do@example.vn<' in client.get("/portal/bao-mat/").content.decode()


def test_a_code_is_bound_to_its_account_and_address(account: Account, django_capture_on_commit_callbacks: Any) -> None:
    other = factories.account(factories.person(residence="00004"), phone="")

    def fresh() -> tuple[str, str]:
        with django_capture_on_commit_callbacks(execute=True):
            pending = services.start_email_change(account=account, email="lan@example.vn")
        return pending, _code(read_outbox("lan@example.vn")[-1]["text"])

    for who, email in ((other, "lan@example.vn"), (account, "attacker@example.vn")):
        pending, code = fresh()
        with pytest.raises(DomainError) as refused:
            services.confirm_email(account=who, pending_id=pending, email=email, code=code)
        assert refused.value.code == "code_invalid"
        with pytest.raises(DomainError):  # and the code is spent
            services.confirm_email(account=account, pending_id=pending, email="lan@example.vn", code=code)
    account.refresh_from_db()
    other.refresh_from_db()
    assert account.email == other.email == ""
    pending, code = fresh()
    services.confirm_email(account=account, pending_id=pending, email="lan@example.vn", code=code)
    account.refresh_from_db()
    assert account.email == "lan@example.vn"


@pytest.mark.parametrize("bad", ["", "lan", "lan@", "@example.vn", "lan@exa mple.vn", "a" * 250 + "@example.vn"])
def test_bad_addresses_are_refused_and_nothing_is_sent(account: Account, bad: str) -> None:
    with pytest.raises(DomainError) as refused:
        services.start_email_change(account=account, email=bad)
    assert refused.value.code == "email_invalid"
    assert not OutboundMessage.objects.exists()


PDF = b"%PDF-1.7\n" + b"0" * 2000


def _declare(account: Account) -> Any:
    return linked.declare_birth(
        account, child_full_name="Vũ Minh An", child_sex="M", child_birth_date=timezone.localdate() - timedelta(days=2),
        child_birth_commune="00004", requester_relationship="mother",
        birth_certificate=Upload("birth_certificate", "application/pdf", PDF),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("sms", "email", "expected"),
    [(True, True, {"sms", "email"}), (False, True, {"email"}), (True, False, {"sms"}), (False, False, set())],
)
def test_procedure_notices_go_by_the_chosen_channels(
    account: Account, sms: bool, email: bool, expected: set[str], django_capture_on_commit_callbacks: Any
) -> None:
    account.email, account.email_confirmed_at = "lan@example.vn", timezone.now()
    account.save()
    services.set_notification_channels(account=account, sms=sms, email=email)
    with django_capture_on_commit_callbacks(execute=True):
        case = _declare(account)
    assert Notification.objects.filter(account=account, case=case).exists(), "the portal always has it"
    got = {m["channel"] for m in read_outbox() if case.number in m["text"]}
    assert got == expected
    if "email" in expected:
        mail = read_outbox("lan@example.vn")[-1]
        assert case.number in mail["subject"]
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT, text="").count() == len(expected), (
        "delivered messages keep no text"
    )


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[Inbox, int, Controller]]:
    """A real SMTP server on loopback (not started: the test starts it when it wants it up)."""
    port = _free_port()
    settings.DANCU_EMAIL_SENDER = "smtp"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    messaging.sender.cache_clear()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    yield inbox, port, controller
    if controller._thread is not None:
        controller.stop()
    controller.loop.close()


def test_email_is_delivered_through_smtp(account: Account, smtp: Any, django_capture_on_commit_callbacks: Any) -> None:
    inbox, _, controller = smtp
    controller.start()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_email_change(account=account, email="lan@example.vn")
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["lan@example.vn"]
    mail = message_from_bytes(envelope.content)
    assert "mã xác nhận" in str(make_header(decode_header(mail["Subject"])))
    assert re.search(r"\b\d{6}\b", mail.get_payload(decode=True).decode())
    assert OutboundMessage.objects.get().status == MessageStatus.SENT
    assert read_outbox(channel="email") == [], "e-mail went to SMTP; SMS still to the file"


def test_a_failing_sender_keeps_the_message_and_retries(
    client: Client, account: Account, smtp: Any, django_capture_on_commit_callbacks: Any
) -> None:
    inbox, _, controller = smtp
    _signed_in(client, account)
    with django_capture_on_commit_callbacks(execute=True):  # the SMTP server is down
        response = client.post("/portal/bao-mat/thao-tac/", {"action": "email_begin", "email": "lan@example.vn"})
    assert response.status_code == 302, "the citizen's request succeeds"
    message = OutboundMessage.objects.get(channel="email")
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert message.error == "ConnectionRefusedError" and message.next_attempt_at > timezone.now()
    assert messaging.deliver_due() == (0, 0), "not due yet"

    controller.start()
    OutboundMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(minutes=1)
    )
    out = StringIO()
    call_command("messages", "deliver", stdout=out)
    assert "1 delivered" in out.getvalue()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.text == "" and message.attempts == 2
    assert len(inbox.messages) == 1


def test_a_message_that_never_goes_is_marked_failed(account: Account, smtp: Any) -> None:
    message = factories.outbound_message(channel="email", to="lan@example.vn", subject="s")
    for _ in range(messaging.MAX_ATTEMPTS):
        assert not messaging.deliver(message)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.next_attempt_at is None
    out = StringIO()
    call_command("messages", "status", stdout=out)
    assert "failed 1" in out.getvalue() and "ConnectionRefusedError" in out.getvalue()
    assert "lan@example.vn" not in out.getvalue(), "no personal data in the operator's view"


def test_old_sent_messages_are_purged(account: Account) -> None:
    old = factories.outbound_message(to=PHONE, status=MessageStatus.SENT, sent_at=timezone.now())
    OutboundMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=91))
    recent = factories.outbound_message(to=PHONE, status=MessageStatus.SENT, sent_at=timezone.now())
    pending = factories.outbound_message(to=PHONE)
    out = StringIO()
    call_command("messages", "purge", "--days", "90", stdout=out)
    assert "1 sent messages" in out.getvalue()
    assert set(OutboundMessage.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}


def test_with_worker_hand_off_requests_only_write_the_outbox(
    settings: Any, account: Account, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DANCU_MESSAGE_HANDOFF = "worker"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.start_email_change(account=account, email="lan@example.vn")
    assert callbacks == [] and read_outbox() == []
    assert OutboundMessage.objects.get().status == MessageStatus.PENDING
    out = StringIO()
    call_command("messages", "deliver", stdout=out)
    assert "1 delivered" in out.getvalue()
    assert [m["to"] for m in read_outbox()] == ["lan@example.vn"]
