"""Facts a borrower gives to prove who they are: a date of birth, the last 4 ID digits."""
from __future__ import annotations

import re
from datetime import date
from typing import List, Optional

from language import zh
from language.dates import DATE_ORDERS
from language.days import full_year, valid_date
from language.numbers import digits_only
from language.vocabulary import MONTHS, alternation
from lending.identity import date_order as jurisdiction_date_order
from lending.languages import is_chinese

EARLIEST_BIRTH_YEAR = 1900

_MONTH = rf"(?P<month>{alternation(MONTHS)})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"'?(?P<year>\d{4}|\d{2})"
NUMERIC_BIRTH_DATE = re.compile(
    r"(?<![\w/.:-])(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})"
    r"(?![\w/]|[.:-]\d)"
)
MONTH_FIRST_BIRTH_DATE = re.compile(rf"\b{_MONTH}\.?\s+(?:the\s+)?{_DAY},?\s+{_YEAR}\b")
DAY_FIRST_BIRTH_DATE = re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}\b")

# Digits typed with spaces, dashes or dots between them ("48 21", "4-8-2-1") are one group.
DIGIT_GROUP = re.compile(r"\d(?:[ .-]?\d)*")
LAST_FOUR_PHRASE = re.compile(r"\blast\s+(?:4|four)\b")


def parse_birth_date(
    text: str, date_order: str = "MDY", today: Optional[date] = None, *, language: str = "en"
) -> Optional[date]:
    """The date of birth in `text`, or None.

    Full dates only, with the year: "12/03/1985" (read by `date_order`, "MDY" for the US,
    "DMY" elsewhere; when that order is impossible the other is tried, so "13/03/1985" is
    13 March), "03-12-85", "12.03.1985", "1985-03-12" (year first is always Y-M-D),
    "march 3 1985", "3rd of march, 1985". Two-digit years are the latest year not after
    this one: "85" -> 1985, "03" -> 2003.
    None for an impossible day ("13/13/1985", "02/29/1985"), a date that is not in the past
    (before `today`, default the current date) or before 1900, no date, or two different dates.
    `language` ("zh", "zh-CN") selects the Chinese rules: "1988年3月14日", "19880314".
    """
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {DATE_ORDERS}, not {date_order!r}")
    today = today or date.today()
    if is_chinese(language):
        return zh.parse_birth_date(text, date_order, today)
    lowered = text.lower()
    found: List[Optional[date]] = []
    for match in NUMERIC_BIRTH_DATE.finditer(lowered):
        found.append(_numeric_birth_date(match, date_order, today))
    for pattern in (MONTH_FIRST_BIRTH_DATE, DAY_FIRST_BIRTH_DATE):
        for match in pattern.finditer(lowered):
            year = full_year(match["year"], today)
            found.append(valid_date(year, MONTHS[match["month"]], int(match["day"])))
    distinct = set(found)
    if len(distinct) != 1:
        return None
    born = distinct.pop()
    if born is None or born >= today or born.year < EARLIEST_BIRTH_YEAR:
        return None
    return born


def parse_id_last4(text: str, *, language: str = "en") -> Optional[str]:
    """The last 4 digits of an ID document in `text`, as a string, or None.

    "4821" / "last 4 are 4821" / "48 21" / "4 8 2 1" -> "4821"; leading zeros kept ("0457").
    Dates are not ID digits ("12/03/1985" is ignored). None when there is no group of exactly
    four digits, several of them, or a longer number (a full ID or phone number).
    `language` ("zh", "zh-CN") selects the Chinese rules: "后四位是4821", "尾号4821", and a
    final X, the check character of a Chinese ID number ("482X").
    """
    if is_chinese(language):
        return zh.parse_id_last4(text)
    lowered = LAST_FOUR_PHRASE.sub(" ", text.lower())
    for pattern in (NUMERIC_BIRTH_DATE, MONTH_FIRST_BIRTH_DATE, DAY_FIRST_BIRTH_DATE):
        lowered = pattern.sub(" ", lowered)
    lowered = re.sub(r"\d{1,2}/\d{1,2}", " ", lowered)
    groups = [digits_only(match.group()) for match in DIGIT_GROUP.finditer(lowered)]
    if any(len(group) > 4 for group in groups):
        return None
    fours = [group for group in groups if len(group) == 4]
    return fours[0] if len(fours) == 1 else None


def _numeric_birth_date(match: re.Match, date_order: str, today: date) -> Optional[date]:
    first, second, third = match["a"], match["b"], match["c"]
    if len(first) == 4:
        return valid_date(int(first), int(second), int(third)) if len(third) <= 2 else None
    if len(first) == 3 or len(third) == 3:
        return None
    year = full_year(third, today)
    month, day = (int(first), int(second)) if date_order == "MDY" else (int(second), int(first))
    return valid_date(year, month, day) or valid_date(year, day, month)


# The identity check reads an answer with the account's jurisdiction and language.
def read_birth_date(text: str, *, jurisdiction: str, today: date, language: str) -> Optional[date]:
    return parse_birth_date(str(text), date_order=jurisdiction_date_order(jurisdiction), today=today, language=language)


def read_id_last4(text: str, *, language: str) -> Optional[str]:
    return parse_id_last4(str(text), language=language)
