"""Reads outside the gateway are recorded under the person's key and come back only to that person, newest first."""

from __future__ import annotations

import datetime as dt

import pytest

from dancu.exchange.access import AccessChannel, pin_hmac_hex, record_access, records_of
from dancu.exchange.models import AccessRecord
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_record_is_keyed_by_the_hmac_and_shown_only_to_its_person() -> None:
    mother, other = factories.person(sex="F"), factories.person()
    record_access(
        mother.pin,
        channel=AccessChannel.SIGN_IN,
        organisation="Cổng dịch vụ công",
        actor="demo-rp",
        fields=["address", "full_name", "address"],
    )
    row = AccessRecord.objects.get()
    assert row.pin_hmac == pin_hmac_hex(mother.pin) != mother.pin
    assert mother.pin not in str(row.__dict__)
    assert row.fields == ["address", "full_name"]
    assert [r.organisation for r in records_of(mother.pin)] == ["Cổng dịch vụ công"]
    assert records_of(other.pin) == []


def test_records_page_back_in_time_newest_first() -> None:
    someone = factories.person()
    start = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    for hour in range(5):
        record_access(
            someone.pin,
            channel=AccessChannel.BACK_OFFICE,
            organisation=f"office {hour}",
            time=start + dt.timedelta(hours=hour),
        )
    first = records_of(someone.pin, limit=2)
    assert [r.organisation for r in first] == ["office 4", "office 3"]
    rest = records_of(someone.pin, before=first[-1].time, limit=10)
    assert [r.organisation for r in rest] == ["office 2", "office 1", "office 0"]


def test_an_unknown_channel_or_a_malformed_pin_is_refused() -> None:
    someone = factories.person()
    with pytest.raises(ValueError):
        record_access(someone.pin, channel="gossip", organisation="x")
    with pytest.raises(Exception, match="pin"):
        record_access("12345", channel=AccessChannel.SIGN_IN, organisation="x")
    assert not AccessRecord.objects.exists()


def test_records_of_the_same_instant_page_by_id_none_twice() -> None:
    someone = factories.person()
    instant = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    made = [
        record_access(someone.pin, channel=AccessChannel.SIGN_IN, organisation=f"rp {n}", time=instant)
        for n in range(3)
    ]
    first = records_of(someone.pin, limit=2)
    rest = records_of(someone.pin, before=first[-1].time, before_id=first[-1].pk, limit=10)
    assert [r.pk for r in first + rest] == [r.pk for r in reversed(made)]
