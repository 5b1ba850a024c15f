"""Identity answers in Chinese: a date of birth (1988年3月14日, 1988-03-14, 19880314,
88年3月14号) and the last 4 characters of an ID number (后四位是4821, 尾号4821)."""
from __future__ import annotations

import re
from datetime import date
from typing import List, Optional

from language.days import full_year, valid_date
from language.zh.amounts import AMOUNT
from language.zh.numerals import digit_string, to_integer
from language.zh.text import blank, normalise

EARLIEST_BIRTH_YEAR = 1900

_CN_DIGIT = "〇零一二三四五六七八九幺"
_SMALL = rf"(?:\d{{1,2}}|[{_CN_DIGIT}十]{{1,3}})"
# 1988年3月14日, 88年3月14号, 一九八八年三月十四日 (the year read digit by digit)
CHINESE_BIRTH_DATE = re.compile(
    rf"(?<![\d{_CN_DIGIT}])(?P<year>\d{{4}}|\d{{2}}|[{_CN_DIGIT}]{{4}}|[{_CN_DIGIT}]{{2}})年"
    rf"(?P<month>{_SMALL})月(?:份)?(?P<day>{_SMALL})(?:日|号)?(?![\d{_CN_DIGIT}十])"
)
# 1988-03-14, 1988/3/14, 1988.03.14 (year first, as Chinese writes dates)
YEAR_FIRST_BIRTH_DATE = re.compile(
    r"(?<![\d/.:-])(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?![\d/]|[.:-]\d)"
)
# 19880314: the way an ID card writes it; never read out of a longer number (a full ID).
COMPACT_BIRTH_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12]\d|3[01])(?!\d)"
)
# 14/03/1988 or 03/14/1988: read by date_order, as in English
YEAR_LAST_BIRTH_DATE = re.compile(
    r"(?<![\d/.:-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?![\d/]|[.:-]\d)"
)
BIRTH_DATES = (CHINESE_BIRTH_DATE, YEAR_FIRST_BIRTH_DATE, COMPACT_BIRTH_DATE, YEAR_LAST_BIRTH_DATE)
# Month and day without a year (3月14日) are dates too, not ID digits.
_MONTH_DAY = re.compile(rf"{_SMALL}月{_SMALL}(?:日|号)?|\d{{1,2}}/\d{{1,2}}")

# "后四位", "最后4位", "末四位", "身份证号后四位是", "尾号", "尾数": the words around the digits
LAST_FOUR_PHRASE = re.compile(
    r"(?:身份证|证件)?(?:号码|号)?(?:的)?(?:最后|后|末|尾)(?:四|4)(?:位|个)(?:数字|号码|数)?|尾号|尾数"
)
# Digits typed with spaces, dashes or dots between them are one group; a Chinese ID number
# ends with a check character that may be X.
DIGIT_GROUP = re.compile(r"\d(?:[ .-]?\d)*(?:[ .-]?x)?(?![a-z])")
_DIGIT_READING = re.compile(rf"[{_CN_DIGIT}]{{2,}}")


def parse_birth_date(text: str, date_order: str, today: date) -> Optional[date]:
    """The date of birth in Chinese `text`, or None.

    "1988年3月14日" / "1988年3月14号" / "一九八八年三月十四日" / "88年3月14号" (two-digit
    years are the latest year not after this one), "1988-03-14" / "1988/3/14" /
    "1988.03.14", "19880314", and "14/03/1988" read by `date_order` as in English.
    None without a year ("3月14日"), for impossible or future days, before 1900, inside a
    longer number (a full ID number is never read), and for two different dates.
    """
    working = normalise(text)
    found: List[Optional[date]] = []
    for pattern in BIRTH_DATES:
        for match in list(pattern.finditer(working)):
            found.append(_birth_date(match, date_order, today))
            working = blank(working, *match.span())
    distinct = set(found)
    if len(distinct) != 1:
        return None
    born = distinct.pop()
    if born is None or born >= today or born.year < EARLIEST_BIRTH_YEAR:
        return None
    return born


def parse_id_last4(text: str) -> Optional[str]:
    """The last 4 characters of an ID number in Chinese `text`, or None.

    "4821" / "后四位是4821" / "身份证后4位：4821" / "尾号4821" / "48 21" / "四八二一" ->
    "4821"; leading zeros kept; a final X (the check character of a Chinese ID number) is
    kept upper case: "尾号482x" -> "482X". Dates and money ("2000块") are not ID digits.
    None when there is no group of exactly four, several, or a longer number (a full ID or
    phone number).
    """
    working = LAST_FOUR_PHRASE.sub(" ", normalise(text))
    for pattern in (*BIRTH_DATES, _MONTH_DAY):
        working = pattern.sub(" ", working)
    working = AMOUNT.sub(
        lambda m: " " if (m["pre"] or m["post"] or m["scale"]) else m.group(), working
    )
    working = _DIGIT_READING.sub(lambda m: f" {digit_string(m.group())} ", working)
    groups = [re.sub(r"[ .-]", "", m.group()).upper() for m in DIGIT_GROUP.finditer(working)]
    if any(len(group) > 4 for group in groups):
        return None
    fours = [group for group in groups if len(group) == 4]
    return fours[0] if len(fours) == 1 else None


def _birth_date(match: re.Match, date_order: str, today: date) -> Optional[date]:
    groups = match.groupdict()
    year_text = groups["year"]
    if not year_text.isdigit():
        year_text = digit_string(year_text) or ""
    if len(year_text) not in (2, 4):
        return None
    year = full_year(year_text, today)
    if "a" in groups:
        first, second = int(groups["a"]), int(groups["b"])
        month, day = (first, second) if date_order == "MDY" else (second, first)
        return valid_date(year, month, day) or valid_date(year, day, month)
    month, day = _number(groups["month"]), _number(groups["day"])
    return valid_date(year, month, day) if month and day else None


def _number(text: str) -> Optional[int]:
    return int(text) if text.isdigit() else to_integer(text)
