"""Each app reacts to the event log through its own consumer and offset (issue 14): a death recorded by anything
closes the holder's e-ID account (accounts) and cancels their cards (cards), each independently; ``dancu follow``
runs them all in one process."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dancu.accounts import consumers as account_consumers
from dancu.accounts.models import Account, AccountStatus
from dancu.cards import consumers as card_consumers
from dancu.cards.models import CardStatus, IdentityCard
from dancu.cards.services import issue_card
from dancu.events.models import ConsumerOffset
from dancu.events.services import app_consumers, follow_all, last_sequence
from dancu.registry import services as registry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(settings: Any, tmp_path: Any) -> Account:
    settings.VAR_DIR = tmp_path
    person = factories.person(full_name="Hoàng Văn Tư", birth_date=date(1950, 3, 3), residence="00004")
    issue_card(pin=person.pin, issued_on=date(2021, 5, 5), actor="t")
    return factories.account(person)


def _die(account: Account) -> None:
    registry.record_death(
        pin=account.person.pin, death_date=timezone.localdate() - timedelta(days=1), actor="import", source="file:x"
    )


def test_the_apps_consumers_are_found_by_their_room() -> None:
    assert {"accounts", "cards", "procedures"} <= app_consumers().keys()
    assert "events" not in app_consumers()


def test_a_death_closes_the_account_and_cancels_the_card_each_through_its_own_consumer(holder: Account) -> None:
    _die(holder)  # recorded without any dossier
    assert account_consumers.follow() >= 1
    assert Account.objects.get(pk=holder.pk).status == AccountStatus.CLOSED
    assert IdentityCard.objects.get(person=holder.person).status == CardStatus.VALID  # the cards app has not read yet
    assert card_consumers.follow() >= 1
    assert IdentityCard.objects.get(person=holder.person).status == CardStatus.CANCELLED
    offsets = dict(ConsumerOffset.objects.values_list("consumer", "sequence"))
    assert offsets[account_consumers.CONSUMER] < offsets[card_consumers.CONSUMER] == last_sequence()  # its own event


def test_replaying_changes_nothing(holder: Account) -> None:
    _die(holder)
    follow_all()
    cancelled = IdentityCard.objects.get(person=holder.person).status_changed_at
    ConsumerOffset.objects.filter(consumer__in=[account_consumers.CONSUMER, card_consumers.CONSUMER]).update(sequence=0)
    events = last_sequence()
    assert follow_all(["accounts", "cards"])["cards"] >= 1
    assert last_sequence() == events  # no second card.cancelled event
    assert IdentityCard.objects.get(person=holder.person).status_changed_at == cancelled
    assert Account.objects.get(pk=holder.pk).status == AccountStatus.CLOSED


def test_follow_runs_every_consumer_once_and_refuses_an_unknown_one(holder: Account) -> None:
    _die(holder)
    call_command("follow", verbosity=0)
    assert Account.objects.get(pk=holder.pk).status == AccountStatus.CLOSED
    assert IdentityCard.objects.get(person=holder.person).status == CardStatus.CANCELLED
    with pytest.raises(CommandError, match="consumer_unknown"):
        call_command("follow", only=["nosuch"])
    call_command("linked_follow", only=["cards"], verbosity=0)  # the old name still works
