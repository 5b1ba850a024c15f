"""A number of months for an instalment plan: "3 months", "six months", "a year"."""
from __future__ import annotations

import re
from typing import List, Optional

from language import zh
from language.amounts import DIGIT_AMOUNT
from language.numbers import NUMBER_WORD_RUN, number_word_runs, words_to_number
from language.vocabulary import INSTALMENT_WORDS, MONTH_UNITS, YEAR_UNITS, alternation
from lending.languages import is_chinese

MAX_BARE_MONTHS = 120  # a bare "200" is an amount typed in the wrong place, not a plan

_COUNT = rf"(?P<count>\d{{1,3}}|{NUMBER_WORD_RUN.pattern}|an?)"
COUNTED_MONTHS = re.compile(
    rf"(?<![\w.,/:$])(?:{_COUNT})\s*-?\s*"
    rf"(?:(?P<months>{alternation(MONTH_UNITS)}|{alternation(INSTALMENT_WORDS)}"
    rf"|monthly\s+(?:payments|{alternation(INSTALMENT_WORDS)}))"
    rf"|(?P<years>{alternation(YEAR_UNITS)}))\b"
)
HALF_YEAR = re.compile(r"\bhalf\s+(?:a\s+)?year\b")
YEAR_AND_A_HALF = re.compile(r"\b(?:a|one|1)\s+year\s+and\s+a\s+half\b")
BARE_INTEGER = re.compile(r"(?<![\w.,/:$-])\d{1,3}(?![\w/]|[.,:-]\d)")


def parse_months(text: str, *, language: str = "en") -> Optional[int]:
    """The number of months `text` asks for, or None.

    "3 months" -> 3, "six months" -> 6, "12 mo" / "3 mos" -> 12 / 3, "3 monthly payments" /
    "3 instalments" -> 3, "a year" -> 12, "2 years" -> 24, "half a year" -> 6,
    "a year and a half" -> 18. A bare number ("6", "six") counts only when no unit is given
    and it is between 1 and 120 (the actions call this after asking for months).
    None for amounts ("$6"), for no number, and when the message names different counts.
    `language` ("zh", "zh-CN") selects the Chinese rules: "分3期", "六个月", "半年".
    """
    if is_chinese(language):
        return zh.parse_months(text)
    lowered = text.lower()
    counted: List[int] = []
    for pattern, months in ((YEAR_AND_A_HALF, 18), (HALF_YEAR, 6)):
        if pattern.search(lowered):
            counted.append(months)
            lowered = pattern.sub(" ", lowered)
    for match in COUNTED_MONTHS.finditer(lowered):
        count = _count(match["count"])
        if match["count"] in ("a", "an") and match["months"]:
            continue  # "$100 a month" is a rate, not a plan of one month
        if count:
            counted.append(count * (12 if match["years"] else 1))
    if counted:
        return _the_one(counted)
    without_money = DIGIT_AMOUNT.sub(
        lambda m: " " if (m["pre"] or m["post"] or m["scale"]) else m.group(), lowered
    )
    bare = [int(m.group()) for m in BARE_INTEGER.finditer(without_money)]
    bare += [value for match, value in number_word_runs(without_money) if match.group() != "one"]
    in_range = [n for n in bare if 1 <= n <= MAX_BARE_MONTHS]
    return _the_one(in_range) if len(in_range) == len(bare) else None


def _count(word: str) -> Optional[int]:
    if word.isdigit():
        return int(word)
    if word in ("a", "an"):
        return 1
    return words_to_number(word)


def _the_one(values: List[int]) -> Optional[int]:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
