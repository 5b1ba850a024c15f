"""Amounts of money in what a borrower wrote: "$1,250.50", "200 dollars", "two hundred"."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import List, Optional

from language import zh
from language.numbers import DECIMAL, decimal_from, number_word_runs
from language.vocabulary import (
    INSTALMENT_WORDS,
    MONTH_UNITS,
    MONTHS,
    YEAR_UNITS,
    alternation,
)
from lending.languages import is_chinese
from lending.money import to_money

_SYMBOL = r"\bus\$|\busd|[$€£]"
_CURRENCY_WORD = r"dollars?|bucks?|usd|dlls?|dls|\$"
SCALES = {"k": 1000, "hundred": 100, "thousand": 1000}

# A number in digits, with an optional currency before it, a scale ("1.2k", "2 hundred")
# and a currency word after it. A number glued to letters, slashes or colons is part of
# something else ("3rd", "12mo", "15/12", "5:30") and is not matched at all.
DIGIT_AMOUNT = re.compile(
    rf"(?:(?P<pre>{_SYMBOL})\s*)?"
    rf"(?(pre)|(?<![\w.,/:-]))(?P<num>{DECIMAL})"
    rf"(?:\s*(?P<scale>k|hundred|thousand)\b)?"
    rf"(?:\s*(?P<post>{_CURRENCY_WORD})(?!\w))?"
    rf"(?![\w/]|[.,:-]\d)"
)
WORD_AMOUNT_CURRENCY = re.compile(rf"\s*(?:{_CURRENCY_WORD})(?!\w)")

# A bare number next to one of these is a duration, a time, a date or an ID, not money.
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:-\s*)?(?:%|(?:days?|weeks?|wks?|monthly|hours?|hrs?|minutes?|mins?|am|pm|o'?clock"
    rf"|percent|{alternation(MONTH_UNITS + INSTALMENT_WORDS + YEAR_UNITS)}"
    rf"|(?:of\s+)?(?:{alternation(MONTHS)}))\b)"
)
_NOT_MONEY_BEFORE = re.compile(
    rf"(?:\b(?:{alternation(MONTHS)})|\b(?:on|by|until|till|before)\s+the|\blast)\s*$"
)


def parse_amount(text: str, *, language: str = "en") -> Optional[Decimal]:
    """The amount of money in `text`, rounded to cents, or None.

    "$1,250.50" -> 1250.50, "200 dollars" / "USD 200" / "150 bucks" -> 200.00 / 150.00,
    "two hundred" -> 200.00, "1.2k" -> 1200.00, "500" -> 500.00.
    An amount marked as money ($, dollars, bucks, k) wins over a bare number; numbers that
    belong to dates, durations or times ("the 15th", "3 months", "in 2 days") are not money.
    None when there is no amount, or when the message names different amounts (ask again).
    `language` ("zh", "zh-CN") selects the Chinese rules: "五百", "一千二", "¥300", "1.5万".
    """
    if is_chinese(language):
        return zh.parse_amount(text)
    lowered = text.lower()
    marked: List[Decimal] = []
    bare: List[Decimal] = []
    for match in DIGIT_AMOUNT.finditer(lowered):
        value = decimal_from(match["num"]) * SCALES.get(match["scale"] or "", 1)
        if match["pre"] or match["post"] or match["scale"]:
            marked.append(value)
        elif not _is_date_or_duration(lowered, match.start(), match.end()):
            bare.append(value)
    # Scale words already read with their digits ("2 hundred") are not read again.
    rest = DIGIT_AMOUNT.sub(lambda m: " " * len(m.group()), lowered)
    for match, value in number_word_runs(rest):
        if WORD_AMOUNT_CURRENCY.match(rest, match.end()):
            marked.append(Decimal(value))
        elif match.group() != "one" and not _is_date_or_duration(rest, match.start(), match.end()):
            bare.append(Decimal(value))
    return _the_one_amount(marked) if marked else _the_one_amount(bare)


def _is_date_or_duration(text: str, start: int, end: int) -> bool:
    return bool(_NOT_MONEY_AFTER.match(text, end) or _NOT_MONEY_BEFORE.search(text[:start]))


def _the_one_amount(values: List[Decimal]) -> Optional[Decimal]:
    distinct = {to_money(v) for v in values}
    return distinct.pop() if len(distinct) == 1 else None
