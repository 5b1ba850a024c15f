"""Calendar arithmetic every language's date rules share: pure functions on `date`."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Optional, Tuple
from zoneinfo import ZoneInfo


def local_now(timezone: str, now: Optional[datetime] = None) -> datetime:
    """`now` (default: the current time; a naive `now` is read as UTC) in the IANA `timezone`."""
    now = now or datetime.now(dt_timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt_timezone.utc)
    return now.astimezone(ZoneInfo(timezone))


def valid_date(year: int, month: int, day: int) -> Optional[date]:
    """date(year, month, day), or None when there is no such day (30 February)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 -> 28/29 Feb)."""
    year, month = shift_month(day.year, day.month, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_weekday(today: date, weekday: int) -> date:
    """The next `weekday` (0 = Monday), today included."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def weekday_of_week(today: date, weekday: int, weeks: int = 0) -> date:
    """`weekday` (0 = Monday) in the calendar week `weeks` after today's (weeks start on
    Monday; 0 is this week, which may be in the past)."""
    return today - timedelta(days=today.weekday()) + timedelta(days=7 * weeks + weekday)


def weekday_of_next_week(today: date, weekday: int) -> date:
    """`weekday` (0 = Monday) in the calendar week after today's."""
    return weekday_of_week(today, weekday, 1)


def next_day_of_month(today: date, day: int) -> Optional[date]:
    """The next date falling on day `day` of a month, today included ("the 31st" skips
    30-day months)."""
    for ahead in range(0, 3):
        year, month = shift_month(today.year, today.month, ahead)
        candidate = valid_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def next_month_day(today: date, month: int, day: int) -> Optional[date]:
    """The next `month`/`day`, today included (29 Feb may be years away); None if no such day."""
    for year in range(today.year, today.year + 9):
        candidate = valid_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def shift_month(year: int, month: int, months: int) -> Tuple[int, int]:
    """(year, month) `months` later (or earlier, when negative)."""
    shifted_year, month_index = divmod(year * 12 + month - 1 + months, 12)
    return shifted_year, month_index + 1


def full_year(year: str, today: date) -> int:
    """A year as written: four digits as they are, two digits the latest such year not
    after today's ("85" -> 1985, "03" -> 2003 in 2026)."""
    if len(year) == 4:
        return int(year)
    this_century = 2000 + int(year)
    return this_century if this_century <= today.year else this_century - 100
