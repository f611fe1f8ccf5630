"""Payments through the simulated provider: signed callbacks, idempotent, tampering refused, reconciliation, refund
when the dossier the fee paid for is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dancu.core.errors import DomainError
from dancu.procedures import linked, payments
from dancu.procedures.models import Dossier, Payment, PaymentStatus, SimulatedTransaction, Status
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keys(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")


@pytest.fixture
def pending(family: dict[str, Any]) -> Payment:
    case = factories.birth_case(family["account"], family["father"], extract_copies=2)
    assert factories.dossiers_by_procedure(case)[linked.BIRTH].status == Status.DRAFT  # not received before payment
    return Payment.objects.get(case=case)


def test_a_signed_callback_pays_once_and_starts_the_case(pending: Payment) -> None:
    assert pending.amount_vnd == 16_000
    notification = payments.SimulatedProvider().charge(pending)
    response = Client().post("/thanh-toan/callback/", notification)
    assert response.status_code == 200 and response.json()["status"] == "paid"
    again = Client().post("/thanh-toan/callback/", notification)  # providers retry: a no-op
    assert again.status_code == 200
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PAID
    birth = factories.dossiers_by_procedure(pending.case)[linked.BIRTH]
    assert birth.status == Status.RECEIVED and birth.transitions.filter(to_status="received").count() == 1


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"amount": "1"}, "payment_signature_invalid", 403),
        ({"signature": "0" * 64}, "payment_signature_invalid", 403),
        ({"status": "paid", "reference": "SIMFORGED"}, "payment_signature_invalid", 403),
    ],
)
def test_a_tampered_callback_is_refused_and_changes_nothing(
    pending: Payment, change: dict[str, str], code: str, status: int
) -> None:
    notification = {**payments.SimulatedProvider().charge(pending), **change}
    response = Client().post("/thanh-toan/callback/", notification)
    assert response.status_code == status and response.json()["code"] == code
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING
    assert factories.dossiers_by_procedure(pending.case)[linked.BIRTH].status == Status.DRAFT


def test_a_correctly_signed_wrong_amount_is_refused(pending: Payment) -> None:
    provider = payments.SimulatedProvider()
    fields = {"payment": str(pending.pk), "amount": "1000", "reference": "SIMX", "status": "paid"}
    with pytest.raises(DomainError) as refused:
        payments.handle_callback({**fields, "signature": payments.sign_fields(provider.secret(), fields)})
    assert refused.value.code == "payment_amount_mismatch"


def test_refund_when_the_birth_is_refused_and_reconciliation(pending: Payment) -> None:
    payments.handle_callback(payments.SimulatedProvider().charge(pending))
    birth = factories.dossiers_by_procedure(pending.case)[linked.BIRTH]
    linked.reject(birth.pk, official="hotich", reason="Sai thông tin nơi sinh")
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.REFUNDED
    assert SimulatedTransaction.objects.filter(payment_id=pending.pk, kind="refund").exists()
    report = payments.reconcile(timezone.localdate())
    assert report == {"missing_at_provider": [], "unknown_to_us": [], "amount_differs": [], "refund_missing": []}
    # A charge the provider has but we never recorded shows up.
    SimulatedTransaction.objects.create(
        reference="SIMLOST", payment_id=pending.pk.__class__(int=1), amount_vnd=8000, kind="charge"
    )
    assert payments.reconcile(timezone.localdate())["unknown_to_us"]


@pytest.fixture
def demo_site(settings: Any) -> None:
    """The simulated provider's pages, mounted as in the demo (changing ROOT_URLCONF clears Django's URL caches)."""
    settings.DEMO = True
    settings.ROOT_URLCONF = "tests.procedures.demo_urls"


@pytest.mark.parametrize(("demo", "mounted"), [("", False), ("1", True), ("0", False)])
def test_the_simulated_checkout_is_mounted_only_in_the_demo(demo: str, mounted: bool, tmp_path: Any) -> None:
    """In a process of its own: the URLconf is built once per process from DANCU_DEMO."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    print(resolve('/thanh-toan/gia-lap/01a2424d-fe18-72e7-a58f-7c861183530f/').url_name)\n"
        "except Resolver404:\n    print('absent')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dancu.settings", "DANCU_VAR_DIR": str(tmp_path)}
    env.pop("DANCU_DEMO", None)
    if demo:
        env["DANCU_DEMO"] = demo
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ("payment_simulated" if mounted else "absent")


@pytest.mark.usefixtures("demo_site")
def test_checkout_page_pays_and_returns(pending: Payment, family: dict[str, Any]) -> None:
    browser = Client()
    page = browser.get(f"/thanh-toan/gia-lap/{pending.pk}/?return=/portal/thu-tuc/")
    assert "16.000\u00a0đ" in page.content.decode()  # thousands separated, in Vietnamese
    done = browser.post(f"/thanh-toan/gia-lap/{pending.pk}/?return=/portal/thu-tuc/", {"action": "pay"})
    assert done.status_code == 302 and done["Location"] == "/portal/thu-tuc/"
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PAID
    assert Dossier.objects.get(case=pending.case, procedure__code=linked.BIRTH).status == Status.RECEIVED


@pytest.mark.usefixtures("demo_site")
def test_the_checkout_says_what_the_payment_is_for_in_the_page_s_language(pending: Payment) -> None:
    """The provider is sent the Vietnamese description; the citizen's pages say it in their language."""
    from django.conf import settings

    from tests.language import assert_english, assert_vietnamese

    number = pending.case.number
    assert pending.description == f"Phí cấp 2 bản sao trích lục khai sinh ({number})"
    browser = Client()
    url = f"/thanh-toan/gia-lap/{pending.pk}/?return=/portal/thu-tuc/"
    vietnamese = browser.get(url).content.decode()
    assert f"Phí cấp 2 bản sao trích lục khai sinh ({number})" in vietnamese
    assert_vietnamese(vietnamese)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = browser.get(url).content.decode()
    assert f"Fee for 2 copies of the birth extract ({number})" in english
    assert_english(english)


def test_payments_import_nothing_of_the_procedures_they_collect_fees_for() -> None:
    """A settled payment is announced (payment_settled); the linked groups react, payments never call back."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(payments))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported and not {m for m in imported if m.startswith("dancu.procedures") and m != "dancu.procedures.models"}
    assert payments.payment_settled.has_listeners(Payment)
