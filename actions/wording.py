"""Dates, amounts and lists the way the borrower reads them (English for now).

Responses in domain.yml hold the sentences; these helpers only format the values that go
into them, so a translation changes domain.yml and, for its date style, this module.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Sequence

from lending.money import format_money


def long_date(day: dt.date) -> str:
    """'Nov 10, 2026': a due date, which may be in another year."""
    return f"{day:%b} {day.day}, {day.year}"


def short_date(day: dt.date) -> str:
    """'Fri, Nov 28': a day in the coming weeks."""
    return f"{day:%a}, {day:%b} {day.day}"


def month_day(day: dt.date) -> str:
    """'Dec 1': one date in a schedule."""
    return f"{day:%b} {day.day}"


def money(amount: Decimal, currency: str) -> str:
    return format_money(Decimal(amount), currency)


def day_count(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def join_words(items: Sequence[str]) -> str:
    """'Dec 1, Jan 1 and Feb 1'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def numbered_choices(items: Sequence[str]) -> str:
    """'1 for 3 months, 2 for 6 months, or 3 for 12 months': keypad choices said aloud."""
    numbered = [f"{n} for {item}" for n, item in enumerate(items, start=1)]
    if len(numbered) <= 2:
        return " or ".join(numbered)
    return f"{', '.join(numbered[:-1])}, or {numbered[-1]}"
