"""Deadline arithmetic across weekends, Tết (lunar), swapped days and the 15:00 cut-off."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dancu.core import workdays
from dancu.core.workdays import VIETNAM


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VIETNAM)


def test_tet_2027_is_a_week_off() -> None:
    # Tết Đinh Mùi: 6 Feb 2027 is the first day of the lunar year; public employees are off 4-10 Feb.
    for day in range(4, 11):
        assert not workdays.is_working_day(date(2027, 2, day)), day
    assert workdays.is_working_day(date(2027, 2, 3))
    assert workdays.is_working_day(date(2027, 2, 11))
    assert "Tết" in (workdays.holiday_name(date(2027, 2, 6)) or "")


def test_three_working_days_across_tet_2027() -> None:
    # Received Wednesday 3 Feb 2027 at 10:00: Thursday 4 to Wednesday 10 are Tết, Sat/Sun 13-14 a weekend.
    assert workdays.due_date(at(2027, 2, 3, 10), 3) == date(2027, 2, 15)


def test_the_1500_cut_off_moves_the_receipt_to_the_next_working_day() -> None:
    assert workdays.receipt_day(at(2026, 11, 20, 14, 59)) == date(2026, 11, 20)  # a Friday
    assert workdays.receipt_day(at(2026, 11, 20, 15, 0)) == date(2026, 11, 23)  # -> Monday
    # Tuesday 24 November 2026 is a day off (Vietnamese Culture Day, from 2026): Monday 23 + 2 = Thursday 26.
    assert not workdays.is_working_day(date(2026, 11, 24))
    assert workdays.due_date(at(2026, 11, 20, 15, 30), 2) == date(2026, 11, 26)
    # A dossier sent on Sunday counts from Monday.
    assert workdays.receipt_day(at(2026, 11, 22, 8)) == date(2026, 11, 23)


def test_a_cut_off_is_in_vietnam_time_whatever_the_server_zone() -> None:
    from zoneinfo import ZoneInfo

    utc = datetime(2026, 11, 20, 7, 30, tzinfo=ZoneInfo("UTC"))  # 14:30 in Hà Nội
    assert workdays.receipt_day(utc) == date(2026, 11, 20)
    assert workdays.receipt_day(utc + timedelta(hours=1)) == date(2026, 11, 23)


def test_a_swapped_saturday_is_a_working_day_and_its_monday_is_not() -> None:
    # 2026: Saturday 22 August is worked so that Monday 31 August joins National Day (1-2 September).
    assert workdays.is_working_day(date(2026, 8, 22))
    assert not workdays.is_working_day(date(2026, 8, 31))
    assert workdays.due_date(at(2026, 8, 21, 10), 1) == date(2026, 8, 22)
    assert workdays.due_date(at(2026, 8, 28, 10), 1) == date(2026, 9, 3)


def test_paused_days_extend_the_deadline() -> None:
    assert workdays.due_date(at(2026, 12, 7), 2, paused_working_days=3) == date(2026, 12, 14)


def test_status() -> None:
    due = date(2026, 11, 25)
    assert workdays.deadline_status(due, date(2026, 11, 20)) == "on_time"
    assert workdays.deadline_status(due, date(2026, 11, 24)) == "at_risk"
    assert workdays.deadline_status(due, date(2026, 11, 25)) == "at_risk"
    assert workdays.deadline_status(due, date(2026, 11, 26)) == "late"
    assert workdays.deadline_status(due, date(2026, 11, 30), finished_on=date(2026, 11, 25)) == "on_time"
    assert workdays.deadline_status(due, date(2026, 11, 30), finished_on=date(2026, 11, 26)) == "late"


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)), st.integers(min_value=0, max_value=30))
def test_n_working_days_later_is_n_working_days_between(start: date, n: int) -> None:
    due = workdays.add_working_days(start, n)
    assert workdays.is_working_day(due)
    if n:
        assert workdays.working_days_between(start, due) == n
