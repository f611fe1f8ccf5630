"""Working days in Vietnam for legal deadlines: weekends, public holidays (lunar Tết and Hùng Kings' day included),
the government's swapped days (a Saturday that becomes a working day, a Monday that becomes a day off), and the
15:00 cut-off after which a dossier counts as received on the next working day (Decree 63/2024, DOMAIN.md §6).

Holiday data comes from the ``holidays`` package (country VN, with each year's announced swaps); days not yet
announced by the government fall back on the Labour Code's fixed days. No Django here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: Dossiers received at or after this local time count from the next working day.
CUT_OFF = time(15, 0)
#: A deadline this many working days away or closer is "at risk".
AT_RISK_DAYS = 1


@lru_cache(maxsize=64)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def holiday_name(day: date) -> str | None:
    name = _calendar(day.year).get(day)
    return str(name) if name else None


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def receipt_day(received_at: datetime) -> date:
    """The working day a dossier counts as received: that day if it is a working day and before 15:00 (Vietnam
    time), otherwise the next working day."""
    local = received_at.astimezone(VIETNAM) if received_at.tzinfo else received_at
    day = local.date()
    if is_working_day(day) and local.time() < CUT_OFF:
        return day
    return next_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself when ``days`` is 0 and it is a working day)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        return day if is_working_day(day) else next_working_day(day)
    for _ in range(days):
        day = next_working_day(day)
    return day


def due_date(received_at: datetime, working_days: int, paused_working_days: int = 0) -> date:
    """The last day to return a result: ``working_days`` after the receipt day, plus the working days during which
    the clock was paused (a supplement was asked for). A same-day procedure (0 days) is due on the receipt day."""
    return add_working_days(receipt_day(received_at), working_days + paused_working_days)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def deadline_status(due: date, today: date, finished_on: date | None = None) -> str:
    """``on_time`` / ``late`` for a finished case; ``on_time``, ``at_risk`` or ``late`` for an open one."""
    if finished_on is not None:
        return "on_time" if finished_on <= due else "late"
    if today > due:
        return "late"
    return "at_risk" if working_days_between(today, due) <= AT_RISK_DAYS else "on_time"
