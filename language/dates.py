"""Dates a borrower names ("friday", "the 15th", "end of the month") resolved in their time zone.

Our own rules resolve what borrowers write most and what dateparser gets wrong ("next friday",
"the 15th", "tmrw", "end of the month"); dateparser is the fallback for anything else that
names a day, and never sees a bare number.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Callable, List, Optional, Tuple

from dateparser.search import search_dates

from language import zh
from language.amounts import DIGIT_AMOUNT
from language.days import (
    add_months,
    last_day_of_month,
    local_now,
    next_day_of_month,
    next_month_day,
    next_weekday,
    valid_date,
    weekday_of_next_week,
)
from language.vocabulary import (
    AMBIGUOUS_WEEKDAYS,
    MONTHS,
    NUMBER_WORDS,
    TODAY_SPELLINGS,
    TOMORROW_SPELLINGS,
    WEEKDAYS,
    alternation,
)
from lending.languages import is_chinese

DATE_ORDERS = ("MDY", "DMY")
ALL_WEEKDAYS = {**WEEKDAYS, **AMBIGUOUS_WEEKDAYS}

_SPELLINGS = [
    (re.compile(rf"(?<!\w)(?:{alternation(TOMORROW_SPELLINGS)})(?!\w)"), "tomorrow"),
    (re.compile(rf"(?<!\w)(?:{alternation(TODAY_SPELLINGS)})(?!\w)"), "today"),
    (re.compile(r"\bnxt\b"), "next"),
    (re.compile(r"\bwks?\b"), "week"),
    (re.compile(r"\bmnths?\b"), "month"),
]
_MONTH = rf"(?P<month>{alternation(MONTHS)})"
_DAY = r"(?P<day>0?[1-9]|[12]\d|3[01])"
_ORDINAL = r"(?:st|nd|rd|th)"
_COUNT = rf"(?P<count>\d{{1,3}}|{alternation(NUMBER_WORDS)}|an?|(?:a\s+)?couple(?:\s+of)?)"
_NEXT_OR_THIS = r"(?P<mod>next|this\s+coming|this|coming)"

Resolver = Callable[[re.Match, date, str], Optional[date]]


def local_today(timezone: str, now: Optional[datetime] = None) -> date:
    """Today's date in the IANA `timezone` at `now` (default: the current time; a naive
    `now` is read as UTC)."""
    return local_now(timezone, now).date()


def parse_date(
    text: str, timezone: str, now: Optional[datetime] = None, date_order: str = "MDY",
    *, language: str = "en",
) -> Optional[date]:
    """The day `text` names, resolved in the borrower's IANA `timezone`, or None.

    Relative words count from the borrower's local today: at 2026-11-24T07:30Z a borrower in
    America/Los_Angeles is still on 23 November, so "tomorrow" is 24 November.
    Open dates mean the next one, today included: "friday" / "this friday" is the next Friday,
    "next friday" the Friday of next week (weeks start on Monday), "the 15th" the next 15th,
    "15/12" or "dec 3" the next such day. "next week" is 7 days on, "next month" the same
    day next month (clamped to its last day), "end of the month" its last day, "end of the
    week" the next Friday, "in 3 days" / "in two weeks" count from today.
    `date_order` ("MDY" for the US, "DMY" elsewhere) reads "3/4" and "03/04/2026"; when that
    order gives no valid date the other one is tried ("15/12" is 15 December either way).
    Whole messages work ("i can pay on friday"). None when no day is named, for bare numbers
    ("3", "4821"), and when the message names different days (ask which one).
    `language` ("zh", "zh-CN") selects the Chinese rules (language/zh/dates.py), which
    resolve the same way; Chinese writes numeric dates year-month-day, so `date_order` is
    checked but does not change how they are read.
    """
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {DATE_ORDERS}, not {date_order!r}")
    borrower_now = local_now(timezone, now)
    today = borrower_now.date()
    if is_chinese(language):
        return zh.parse_date(text, today)
    working = _normalise(text)
    found: List[date] = []
    for pattern, resolve in _RULES:
        # Each rule consumes its spans, so "day after tomorrow" is not also "tomorrow".
        for match in list(pattern.finditer(working)):
            resolved = resolve(match, today, date_order)
            if resolved is not None:
                found.append(resolved)
            start, end = match.span()
            working = working[:start] + " " * (end - start) + working[end:]
    if not found:
        found = _dateparser_dates(working, borrower_now, date_order)
    distinct = set(found)
    return distinct.pop() if len(distinct) == 1 else None


# -- rules ---------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    working = text.lower()
    for pattern, replacement in _SPELLINGS:
        working = pattern.sub(replacement, working)
    return working


def _count(word: str) -> Optional[int]:
    word = re.sub(r"\s+", " ", word)
    if word.isdigit():
        return int(word)
    if word in ("a", "an"):
        return 1
    if "couple" in word:
        return 2
    return NUMBER_WORDS.get(word)


def _offset(match: re.Match, today: date, _order: str) -> Optional[date]:
    count = _count(match["count"])
    if count is None:
        return None
    groups = match.groupdict()
    if groups.get("base") == "tomorrow":
        today += timedelta(days=1)
    if groups.get("ago"):
        count = -count
    unit = match["unit"]
    if unit.startswith("month"):
        return add_months(today, count)
    return today + timedelta(days=count * (7 if unit.startswith("week") else 1))


def _end_of(match: re.Match, today: date, _order: str) -> date:
    later = 1 if (match.groupdict().get("which") or "").strip() == "next" else 0
    if match["unit"] == "week":
        return next_weekday(today, 4) + timedelta(days=7 * later)
    month = add_months(today.replace(day=1), later)
    return last_day_of_month(month.year, month.month)


def _weekday(match: re.Match, today: date, _order: str) -> date:
    weekday = ALL_WEEKDAYS[match["day"]]
    modifier = match["mod"] or ""
    if modifier == "next":
        return weekday_of_next_week(today, weekday)
    if "coming" in modifier:  # "this coming monday" said on a Monday is a week away
        return next_weekday(today + timedelta(days=1), weekday)
    return next_weekday(today, weekday)


def _weekday_next_week(match: re.Match, today: date, _order: str) -> date:
    return weekday_of_next_week(today, ALL_WEEKDAYS[match["day"]])


def _month_and_day(match: re.Match, today: date, _order: str) -> Optional[date]:
    month, day = MONTHS[match["month"]], int(match["day"])
    if match["year"]:
        return valid_date(int(match["year"]), month, day)
    return next_month_day(today, month, day)


def _numeric(match: re.Match, today: date, order: str) -> Optional[date]:
    first, second, year = match["a"], match["b"], match["c"]
    if len(first) == 4:  # ISO: year first, always year-month-day
        return valid_date(int(first), int(second), int(year)) if year else None
    if year is None and match["sep"] != "/":
        return None  # "12.15" is money and "12-15" a range; only "12/15" is a day
    month, day = (int(first), int(second)) if order == "MDY" else (int(second), int(first))
    for m, d in ((month, day), (day, month)):
        if year is None:
            resolved = next_month_day(today, m, d) if 1 <= m <= 12 else None
        else:
            full_year = int(year) + 2000 if len(year) == 2 else int(year)
            resolved = valid_date(full_year, m, d) if len(year) in (2, 4) else None
        if resolved is not None:
            return resolved
    return None


def _day_of_month(match: re.Match, today: date, _order: str) -> Optional[date]:
    return next_day_of_month(today, int(match["day"]))


def _ignored(_match: re.Match, _today: date, _order: str) -> None:
    return None


def _fixed(days: int) -> Resolver:
    return lambda _match, today, _order: today + timedelta(days=days)


def _yearly(month: int, day: int) -> Resolver:
    return lambda _match, today, _order: next_month_day(today, month, day)


def _weekend(match: re.Match, today: date, _order: str) -> date:
    if match["which"] == "next":
        return weekday_of_next_week(today, 5)
    return today if today.weekday() == 6 else next_weekday(today, 5)


def _after_weekend(_match: re.Match, today: date, _order: str) -> date:
    return next_weekday(today + timedelta(days=1), 0)


def _last_period(match: re.Match, today: date, _order: str) -> date:
    return today - timedelta(days=7) if match["unit"] == "week" else add_months(today, -1)


def _last_weekday(match: re.Match, today: date, _order: str) -> date:
    """The most recent such weekday before today ("last friday" on a Friday is 7 days ago)."""
    weekday = ALL_WEEKDAYS[match["day"]]
    return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)


def _next_period(match: re.Match, today: date, _order: str) -> date:
    return today + timedelta(days=7) if match["unit"] == "week" else add_months(today, 1)


_SAFE_WEEKDAY = rf"(?P<day>{alternation(WEEKDAYS)})"
_ANY_WEEKDAY = rf"(?P<day>{alternation(ALL_WEEKDAYS)})"
_UNIT = r"(?P<unit>days?|weeks?|months?)"
_YEAR = r"(?:,?\s+(?P<year>\d{4})\b)?"
_BEFORE_A_DATE = rf"(?=(?:the\s+)?\d{{1,2}}{_ORDINAL}|\d{{1,2}}/\d|{_MONTH}\b)"
_NUMERIC = r"(?<![\w/.:,-])(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})(?:(?P=sep)(?P<c>\d{2,4}))?"
_NOT_MONEY = r"(?![\w/.:,]|\s*(?:dollars?|bucks|usd)\b)"


def _rule(pattern: str, resolve: Resolver) -> Tuple[re.Pattern, Resolver]:
    return re.compile(pattern), resolve


# Order matters: longer expressions first, each consuming its text.
_RULES: List[Tuple[re.Pattern, Resolver]] = [
    _rule(r"\bday\s+after\s+tomorrow\b", _fixed(2)),
    _rule(rf"\b{_COUNT}\s*{_UNIT}\s+from\s+(?P<base>now|today|tomorrow)\b", _offset),
    _rule(rf"\b{_COUNT}\s*{_UNIT}\s+(?P<ago>ago)\b", _offset),
    _rule(r"\b(?:today|this\s+(?:morning|afternoon|evening))\b", _fixed(0)),
    _rule(r"\btomorrow\b", _fixed(1)),
    _rule(r"\byesterday\b", _fixed(-1)),
    _rule(r"\b(?:christmas|xmas)\s+eve\b", _yearly(12, 24)),
    _rule(r"\b(?:christmas|xmas)\b", _yearly(12, 25)),
    _rule(r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?(?P<which>this\s+|next\s+)?(?P<unit>month|week)\b",
          _end_of),
    _rule(r"\b(?P<unit>month)\s*-?\s*end\b", _end_of),
    # "monday the 30th", "fri dec 4": the explicit date decides, the weekday name is ignored
    _rule(rf"\b{_ANY_WEEKDAY}\b\.?,?\s+{_BEFORE_A_DATE}", _ignored),
    _rule(rf"\b(?:on\s+)?{_ANY_WEEKDAY}\s+next\s+week\b", _weekday_next_week),
    _rule(rf"\bnext\s+week\s+(?:on\s+)?{_ANY_WEEKDAY}\b", _weekday_next_week),
    _rule(r"\b(?P<which>this|next)\s+weekend\b", _weekend),
    _rule(r"\bafter\s+the\s+weekend\b", _after_weekend),
    _rule(r"\bnext\s+(?P<unit>week|month)\b", _next_period),
    _rule(r"\blast\s+(?P<unit>week|month)\b", _last_period),
    _rule(rf"\blast\s+{_ANY_WEEKDAY}\b", _last_weekday),
    _rule(rf"\b(?:{_NEXT_OR_THIS}\s+)?{_SAFE_WEEKDAY}\b", _weekday),
    _rule(rf"\b(?:{_NEXT_OR_THIS}|on|by|until|till)\s+(?P<day>{alternation(AMBIGUOUS_WEEKDAYS)})\b",
          _weekday),
    _rule(rf"\bin\s+{_COUNT}\s*{_UNIT}\b", _offset),
    _rule(rf"{_NUMERIC}(?!\w|/|[.,:-]\d)", _numeric),                 # 12/15, 12/15/2026
    _rule(rf"\b{_MONTH}\.?\s+(?:the\s+)?{_DAY}{_ORDINAL}?\b{_YEAR}", _month_and_day),
    _rule(rf"\b(?:the\s+)?{_DAY}{_ORDINAL}?\s+(?:of\s+)?{_MONTH}\b\.?{_YEAR}", _month_and_day),
    _rule(rf"\b(?:the\s+)?{_DAY}{_ORDINAL}\b", _day_of_month),           # the 15th
    _rule(rf"\b(?:on|by|until|till|before)\s+the\s+{_DAY}{_NOT_MONEY}", _day_of_month),
]

# dateparser reads "200" as a year, "may" as May, "december" as today's day in December and
# "45 years" as a date; only what it found around a weekday, a month with its day, or a count
# of days or weeks ("2 weeks", "within 30 days", "in about a week") is kept.
_NAMES_A_DAY = re.compile(
    rf"\b(?:{alternation(WEEKDAYS)}"
    rf"|(?:{alternation(MONTHS)})\.?\s+\d|\d+(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{alternation(MONTHS)})"
    rf"|(?:\d{{1,3}}|{alternation(NUMBER_WORDS)}|an?)\s+(?:days?|weeks?))\b"
)


def _dateparser_dates(text: str, local_now: datetime, date_order: str) -> List[date]:
    without_money = DIGIT_AMOUNT.sub(
        lambda m: " " * len(m.group()) if (m["pre"] or m["post"] or m["scale"]) else m.group(),
        text,
    )
    if not _NAMES_A_DAY.search(without_money):
        return []
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "DATE_ORDER": date_order,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    found = search_dates(without_money, languages=["en"], settings=settings) or []
    return [when.date() for said, when in found if _NAMES_A_DAY.search(said.lower())]
