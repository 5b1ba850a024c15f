"""English words borrowers use for numbers, days and money.

One list serves both the spaCy entity patterns (what counts as an entity) and the
parsers in this package (what the entity means), so the two cannot drift apart.
"""
from __future__ import annotations

import re

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALE_WORDS = {"hundred": 100, "thousand": 1000}

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}

# Monday is 0, as in date.weekday().
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sunday": 6,
}
# Abbreviations that are also ordinary words ("i sat", "the sun", "we'd" typed "wed"):
# they count as a weekday only after "next", "this" or "on".
AMBIGUOUS_WEEKDAYS = {"mon": 0, "wed": 2, "sat": 5, "sun": 6}

TOMORROW_SPELLINGS = [
    "tomorrow", "tmrw", "tmr", "tmrow", "tmw", "tmro", "2moro", "2morrow", "2mrw", "2mro",
    "tomoro", "tomorow", "tommorow", "tommorrow", "tomm",
]
TODAY_SPELLINGS = ["today", "tonight", "2day", "2nite", "tonite"]

CURRENCY_SYMBOLS = ["$", "us$", "usd", "€", "£"]
CURRENCY_WORDS = ["dollars", "dollar", "bucks", "buck", "usd", "dlls", "dls", "$"]

MONTH_UNITS = ["months", "month", "mo", "mos", "mths", "mth", "mnths", "mnth"]
INSTALMENT_WORDS = ["instalments", "installments", "instalment", "installment"]
YEAR_UNITS = ["years", "year", "yrs", "yr"]


def alternation(words) -> str:
    """A regex alternation of `words`, longest first so 'sept' wins over 'sep'."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
