"""The officers' desk (``procedures.desk``) through the back office's page: take a dossier, refuse an unknown
action with its code, and nothing is written by the view itself."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dancu.accounts.models import Account
from dancu.backoffice.services import ensure_roles
from dancu.procedures import attachments, linked
from dancu.procedures.models import Dossier, Transition
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


@pytest.fixture
def birth() -> Dossier:
    mother = factories.person(full_name="Đinh Thị Thu", sex="F", birth_date=date(1996, 1, 20), residence="00004")
    user = User.objects.create(username="eid:desk", password=make_password("x-Secret-12345"))
    account = Account.objects.create(user=user, person=mother, phone="+84912345678")
    case = linked.declare_birth(
        account,
        child_full_name="Lý An",
        child_sex="F",
        child_birth_date=timezone.localdate(),
        child_birth_commune="00004",
        requester_relationship="mother",
        birth_certificate=attachments.Upload("birth_certificate", "application/pdf", b"%PDF-1 x"),
    )
    return Dossier.objects.get(case=case, procedure__code=linked.BIRTH)


def _officer(name: str) -> tuple[Client, User]:
    user = User.objects.create_user(name, password="x-Secret-123456")
    user.groups.add(ensure_roles()["civil_status_officer"])
    client = Client()
    client.force_login(user)
    return client, user


def test_an_officer_takes_a_dossier(birth: Dossier) -> None:
    client, user = _officer("hotich-desk")
    response = client.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "assign", "reason": ""})
    assert response.status_code == 302
    birth.refresh_from_db()
    assert birth.assigned_to == user
    assert "Đã ghi nhận." in client.get(response["Location"]).content.decode()


def test_an_unknown_action_changes_nothing_and_says_why(birth: Dossier) -> None:
    client, _user = _officer("hotich-desk2")
    before = (birth.status, Transition.objects.filter(dossier=birth).count())
    response = client.post(f"/ho-so/{birth.pk}/thao-tac/", {"action": "delete", "reason": ""}, follow=True)
    assert "Unknown action." in response.content.decode()
    birth.refresh_from_db()
    assert (birth.status, Transition.objects.filter(dossier=birth).count()) == before
    assert birth.assigned_to is None
