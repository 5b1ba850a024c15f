"""A number of months for an instalment plan in Chinese: 分3期, 分三期, 六个月, 半年, 一年."""
from __future__ import annotations

import re
from typing import List, Optional

from language.vocabulary import alternation
from language.zh.amounts import AMOUNT
from language.zh.numerals import DIGITS, NUMBER, to_integer
from language.zh.text import blank, normalise
from language.zh.vocabulary import NOT_MONEY_AFTER, NOT_MONEY_BEFORE

MAX_BARE_MONTHS = 120  # as in English: a bare "200" is an amount, not a plan

_CN_SMALL = "零〇一二两三四五六七八九十"
_COUNT = rf"(?P<count>\d{{1,3}}|[{_CN_SMALL}百]{{1,4}})"
_FREE = rf"(?<![\d{_CN_SMALL}百千万几每第上下这本])"
# 分3期 / 三期 / 12期 (not 第3期, the third instalment); 六个月 / 分6个月 / 分6月;
# 一年半 (18), 两年 (24), 半年 (6). "3月" alone is March, "下个月" a date.
_COUNTED = [
    (re.compile(rf"{_FREE}{_COUNT}年半"), 12, 6),
    (re.compile(rf"{_FREE}{_COUNT}个?期"), 1, 0),
    (re.compile(rf"{_FREE}{_COUNT}个月"), 1, 0),
    (re.compile(rf"分{_COUNT}个?月(?![\d{_CN_SMALL}号日底末初])"), 1, 0),
    (re.compile(rf"{_FREE}{_COUNT}年(?![\d{_CN_SMALL}]|[底末初])"), 12, 0),
]
HALF_YEAR = re.compile(r"半年")
_NOT_A_COUNT_AFTER = re.compile(rf"\s*(?:{alternation(NOT_MONEY_AFTER)})")
_NOT_A_COUNT_BEFORE = re.compile(
    rf"(?:{alternation(NOT_MONEY_BEFORE)}|[\d{''.join(DIGITS)}十]月)\s*(?:是|为|:|：)?\s*$"
)


def parse_months(text: str) -> Optional[int]:
    """The number of months Chinese `text` asks for, or None.

    "分3期" / "分三期" / "3期" -> 3, "六个月" / "6个月" / "分6个月" -> 6, "半年" -> 6,
    "一年" -> 12, "两年" -> 24, "一年半" -> 18. A bare number ("6", "六", "十二") counts
    only when no unit is given and it is between 1 and 120 (the actions call this after
    asking for months); a lone "一" does not (一下, 一直). None for amounts ("6块", "¥6"),
    "第3期" (which instalment, not how many), dates ("周三", "3号"), no number, and
    different counts.
    """
    working = normalise(text)
    counted: List[int] = []
    for pattern, per, extra in _COUNTED:
        for match in list(pattern.finditer(working)):
            count = _count(match["count"])
            if count:
                counted.append(count * per + extra)
            working = blank(working, *match.span())
    for match in list(HALF_YEAR.finditer(working)):
        counted.append(6)
        working = blank(working, *match.span())
    if counted:
        return _the_one(counted)
    for match in list(AMOUNT.finditer(working)):
        if match["pre"] or match["post"] or match["scale"]:
            working = blank(working, *match.span())
    bare: List[Optional[int]] = []
    for match in NUMBER.finditer(working):
        run = match.group()
        if run in ("一", "壹") or _is_something_else(working, match):
            continue
        bare.append(_count(run))
    in_range = [n for n in bare if n is not None and 1 <= n <= MAX_BARE_MONTHS]
    return _the_one(in_range) if bare and len(in_range) == len(bare) else None


def _count(run: str) -> Optional[int]:
    return int(run) if run.isdigit() else to_integer(run)


def _is_something_else(text: str, match: re.Match) -> bool:
    return bool(
        _NOT_A_COUNT_AFTER.match(text, match.end())
        or _NOT_A_COUNT_BEFORE.search(text[: match.start()])
    )


def _the_one(values: List[int]) -> Optional[int]:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
