"""An officer's action on a dossier goes through a form, then one service (``procedures.desk.act``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from dancu.backoffice.forms import DossierActionForm
from dancu.core.errors import DomainError
from dancu.procedures import desk
from dancu.procedures.desk import ACTIONS
from dancu.procedures.models import Dossier


@pytest.mark.parametrize("action", [value for value, _label in ACTIONS])
def test_every_desk_action_is_accepted_with_its_reason_trimmed(action: str) -> None:
    form = DossierActionForm({"action": action, "reason": "  Thiếu giấy chứng sinh  "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"action": action, "reason": "Thiếu giấy chứng sinh", "confirm": False}


def test_an_unknown_action_is_refused_on_its_field() -> None:
    form = DossierActionForm({"action": "delete", "reason": ""})
    assert not form.is_valid()
    assert form.has_error("action", "action_unknown")


def test_a_missing_action_and_a_reason_too_long_are_refused() -> None:
    form = DossierActionForm({"reason": "x" * 1001})
    assert not form.is_valid()
    assert form.has_error("action", "required")
    assert form.has_error("reason", "max_length")


def test_a_refusal_of_the_service_lands_on_the_reason() -> None:
    with translation.override("vi"):  # the page's language: the refusal is rendered when it is added to the form
        form = DossierActionForm({"action": "reject", "reason": ""})
        assert form.is_valid()
        form.add_domain_error(DomainError("reason_required", "Give the reason for the refusal.", field="reason"))
        assert form.has_error("reason", "reason_required")
        assert form.first_error() == "Hãy nêu lý do từ chối."


def test_the_service_refuses_an_action_it_does_not_know() -> None:
    with pytest.raises(DomainError) as refused:
        desk.act(Dossier(number="HS.1"), "delete", official=User(username="hotich"))
    assert refused.value.code == "action_unknown"
