"""Identity-card expiry (Law on Identification 2023 art. 21): a card is renewed at 14, 25, 40 and 60; one issued
within the two years before a renewal age stays valid until the next one; from two years before 60 a card never
expires."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancu.cards.rules import GRACE_YEARS, RENEWAL_AGES, card_expiry
from dancu.core.ages import age_on, birthday

BORN = date(1990, 5, 10)


@pytest.mark.parametrize(
    ("issued_on", "expires_on"),
    [
        (date(1995, 5, 10), date(2004, 5, 10)),  # a child's card (on request): until 14
        (date(2002, 5, 9), date(2004, 5, 10)),  # the day before 12: until 14
        (date(2002, 5, 10), date(2015, 5, 10)),  # at 12, within two years of 14: until 25
        (date(2004, 5, 10), date(2015, 5, 10)),  # renewed on the 14th birthday: until 25
        (date(2013, 5, 9), date(2015, 5, 10)),  # the day before 23: until 25
        (date(2013, 5, 10), date(2030, 5, 10)),  # at 23, within two years of 25: until 40
        (date(2015, 5, 9), date(2030, 5, 10)),  # the day before 25
        (date(2021, 7, 1), date(2030, 5, 10)),  # the chip-card campaign, at 31: until 40
        (date(2028, 5, 9), date(2030, 5, 10)),  # the day before 38: until 40
        (date(2028, 5, 10), date(2050, 5, 10)),  # at 38: until 60
        (date(2048, 5, 9), date(2050, 5, 10)),  # the day before 58: until 60
        (date(2048, 5, 10), None),  # at 58, within two years of 60: never expires
        (date(2050, 5, 10), None),  # renewed at 60
        (date(2065, 1, 2), None),  # issued at 74 (a replacement)
    ],
)
def test_expiry(issued_on: date, expires_on: date | None) -> None:
    assert card_expiry(BORN, issued_on) == expires_on


def test_born_on_29_february() -> None:
    born = date(2000, 2, 29)
    assert card_expiry(born, date(2020, 6, 1)) == date(2025, 3, 1), "the 25th birthday in a common year"
    assert card_expiry(born, date(2023, 2, 28)) == date(2025, 3, 1), "not yet 23 on 28 February"
    assert card_expiry(born, date(2023, 3, 1)) == date(2040, 2, 29), "23 on 1 March: until 40, a leap year"


births = st.dates(min_value=date(1930, 1, 1), max_value=date(2030, 12, 31))


@given(born=births, days=st.integers(min_value=0, max_value=100 * 366))
def test_every_expiry_is_a_renewal_birthday_at_least_two_years_on(born: date, days: int) -> None:
    issued_on = born + timedelta(days=days)
    expires_on = card_expiry(born, issued_on)
    if expires_on is None:
        assert issued_on >= birthday(born, RENEWAL_AGES[-1] - GRACE_YEARS)
        return
    age = age_on(born, expires_on)
    assert age in RENEWAL_AGES and expires_on == birthday(born, age)
    assert expires_on > issued_on
    assert age - age_on(born, issued_on) > GRACE_YEARS, "a card issued within two years of an age outlives it"
    earlier = [a for a in RENEWAL_AGES if a < age]
    assert not earlier or issued_on >= birthday(born, earlier[-1] - GRACE_YEARS), "no renewal age was skipped"


@given(born=births, first=st.integers(min_value=0, max_value=90 * 366), more=st.integers(min_value=0, max_value=3660))
def test_a_later_card_never_expires_sooner(born: date, first: int, more: int) -> None:
    earlier = card_expiry(born, born + timedelta(days=first))
    later = card_expiry(born, born + timedelta(days=first + more))
    assert later is None or (earlier is not None and later >= earlier)
