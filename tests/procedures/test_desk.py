"""The officers' desk (``procedures.desk``) through the back office's page: take a dossier, refuse an unknown
action with its code, and nothing is written by the view itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dancu.procedures import linked
from dancu.procedures.models import Dossier, Transition
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


@pytest.fixture
def birth(family: dict[str, Any]) -> Dossier:
    case = factories.birth_case(family["account"], family["father"])
    return factories.dossiers_by_procedure(case)[linked.BIRTH]


def _officer(name: str) -> tuple[Client, User]:
    user = factories.official(name, role="civil_status_officer")
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
    assert "Thao tác không hợp lệ." in response.content.decode()  # "Unknown action." in Vietnamese
    birth.refresh_from_db()
    assert (birth.status, Transition.objects.filter(dossier=birth).count()) == before
    assert birth.assigned_to is None
