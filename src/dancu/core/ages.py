"""A person's age: completed years on a date, and the day a given age is reached.

Someone born on 29 February reaches each age on 1 March in a common year (on 29 February in a leap year): an age is
completed once the calendar has passed the day and month of birth, which a common year's 28 February has not. The
same rule sets the renewal days of identity cards (Law on Identification 2023 art. 21) and the end of a child's
under-6 health-insurance card. No Django here.
"""

from __future__ import annotations

from datetime import date


def age_on(birth_date: date, on: date) -> int:
    """Completed years from ``birth_date`` to ``on`` ("tuổi tròn"); negative when ``on`` is before the birth."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def birthday(birth_date: date, age: int) -> date:
    """The day ``age`` is completed: the first day on which :func:`age_on` gives ``age``."""
    year = birth_date.year + age
    if birth_date.month == 2 and birth_date.day == 29 and not _leap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
