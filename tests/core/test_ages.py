"""Age in completed years, and the day an age is reached, with 29 February births reaching their ages on 1 March in
common years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancu.core.ages import age_on, birthday

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
leap_day_births = st.sampled_from([date(y, 2, 29) for y in range(1904, 2100, 4)])
ages = st.integers(min_value=0, max_value=120)


@given(birth=births | leap_day_births, age=ages)
def test_an_age_is_reached_on_its_birthday_and_not_the_day_before(birth: date, age: int) -> None:
    day = birthday(birth, age)
    assert age_on(birth, day) == age
    if age > 0:
        assert age_on(birth, day - timedelta(days=1)) == age - 1


@given(birth=births | leap_day_births, on=births, later=st.integers(min_value=0, max_value=800))
def test_age_never_goes_down_and_grows_one_year_at_a_time(birth: date, on: date, later: int) -> None:
    then = on + timedelta(days=later)
    assert age_on(birth, on) <= age_on(birth, then) <= age_on(birth, on) + later // 365 + 1


@given(birth=births | leap_day_births, on=births)
def test_age_counts_the_birthdays_passed(birth: date, on: date) -> None:
    """Against an independent definition: the number of birthdays (after the birth) on or before the day."""
    if on < birth:
        assert age_on(birth, on) < 0
        return
    assert age_on(birth, on) == sum(1 for n in range(1, 202) if birthday(birth, n) <= on)


@given(birth=births.filter(lambda d: (d.month, d.day) != (2, 29)), age=ages)
def test_a_birthday_falls_on_the_day_and_month_of_birth(birth: date, age: int) -> None:
    assert (birthday(birth, age).month, birthday(birth, age).day) == (birth.month, birth.day)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2023, 2, 28), 22),  # a common year: 28 February is not yet the birthday
        (date(2023, 3, 1), 23),
        (date(2024, 2, 28), 23),
        (date(2024, 2, 29), 24),  # a leap year: the birthday itself
        (date(2000, 2, 29), 0),
    ],
)
def test_born_on_29_february(on: date, expected: int) -> None:
    assert age_on(date(2000, 2, 29), on) == expected


def test_birthdays_of_29_february() -> None:
    assert birthday(date(2000, 2, 29), 25) == date(2025, 3, 1)
    assert birthday(date(2000, 2, 29), 40) == date(2040, 2, 29)
    assert birthday(date(1900, 3, 1), 100) == date(2000, 3, 1)
    assert birthday(date(1896, 2, 29), 4) == date(1900, 3, 1), "1900 is not a leap year"
