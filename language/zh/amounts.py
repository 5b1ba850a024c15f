"""Amounts of money in Chinese: 五百, 500元, 一千二, 两千五百块, ¥300, 3百, 1.5万, 三百五十块五毛."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import List, Optional, Tuple

from language.vocabulary import alternation
from language.zh.numerals import DIGITS, NUMBER, to_number
from language.zh.text import normalise
from language.zh.vocabulary import (
    JIAO,
    MONEY_AFTER,
    MONEY_BEFORE,
    MONEY_SCALES,
    NOT_MONEY_AFTER,
    NOT_MONEY_BEFORE,
    ROUGHLY_AFTER,
    YUAN,
)
from lending.money import to_money

_AFTER = alternation(MONEY_AFTER)
AMOUNT = re.compile(
    rf"(?:(?P<pre>{alternation(MONEY_BEFORE)})\s*)?"
    rf"(?P<num>{NUMBER.pattern})"
    rf"(?P<scale>[kw](?![a-z]))?"
    rf"(?:\s*(?P<post>{_AFTER})(?![a-z]))?"
)
# 一块儿 is "together" (五块儿钱 is money), 元旦 New Year's Day: not 块 or 元 of money.
_NOT_A_CURRENCY = re.compile(r"(?<=一块)儿|(?<=元)旦")
_DIGIT = rf"[\d{''.join(d for d in DIGITS if d not in ('零', '〇'))}]"
# After 块/元: tenths (毛/角) and hundredths (分): "五毛", "五毛五", "三块五" (= 3.50).
_TENTHS = re.compile(rf"(?P<jiao>{_DIGIT})(?P<unit>{alternation(JIAO)})?(?:(?P<fen>{_DIGIT})分?)?")
# A bare digit after 块 is tenths only when nothing makes it a day or a count ("五百块5号").
_ENDS_NUMBER = re.compile(rf"(?![\d{''.join(DIGITS)}]|{alternation(NOT_MONEY_AFTER)})")
_NOT_MONEY_AFTER = re.compile(rf"\s*(?:{alternation(NOT_MONEY_AFTER)})")
_NOT_MONEY_BEFORE = re.compile(
    rf"(?:{alternation(NOT_MONEY_BEFORE)}|[\d{''.join(DIGITS)}十]月)\s*(?:是|为|:|：)?\s*$"
)
_ROUGHLY = re.compile(rf"\s*(?:{alternation(ROUGHLY_AFTER)})")


def parse_amount(text: str) -> Optional[Decimal]:
    """The amount of money in Chinese `text`, rounded to cents, or None.

    "五百" -> 500, "500元" / "500块钱" / "¥300" / "人民币300元" / "200刀", "一千二" -> 1200,
    "两千五百块" -> 2500, "3百" -> 300, "1.5万" / "1.5w" -> 15000, "三百五十块五毛" -> 350.50,
    "三块五" -> 3.50. An amount marked as money (¥, 元, 块, 刀, k, w) wins over a bare number;
    numbers that are dates, counts or times ("15号", "分3期", "3个月", "下午3点", "周五")
    are not money, nor is a lone Chinese digit (一下, 一直, 两个人). None when there is no amount
    ("全部" / "全额" ask for the whole balance: the dialogue decides what that is), a rough
    one ("一千多"), or different amounts.
    """
    working = normalise(text)
    marked: List[Optional[Decimal]] = []
    bare: List[Optional[Decimal]] = []
    position = 0
    while True:
        match = AMOUNT.search(working, position)
        if match is None:
            break
        post, end = match["post"], match.end()
        if post and _NOT_A_CURRENCY.match(working, end):
            post, end = None, match.start("post")
        position = end
        value = to_number(match["num"])
        if value is None:
            continue
        is_marked = bool(match["pre"] or post or match["scale"])
        if not is_marked and _is_count_date_or_time(working, match["num"], match.start(), end):
            continue
        if match["scale"]:
            value *= MONEY_SCALES[match["scale"]]
        if post in YUAN:
            tenths, end = _tenths(working, end)
            value, position = value + tenths, end
        rough = _ROUGHLY.match(working, end)
        if rough:
            if not is_marked and _NOT_MONEY_AFTER.match(working, rough.end()):
                continue  # 十多天: a count of days
            value = None  # 一千多 / 一千多块: about a thousand, not one amount
        (marked if is_marked else bare).append(value)
    return _the_one_amount(marked) if marked else _the_one_amount(bare)


def _tenths(text: str, start: int) -> Tuple[Decimal, int]:
    """The 毛/角 and 分 after 块/元 at `start`, and where they end."""
    match = _TENTHS.match(text, start)
    if match is None:
        return Decimal(0), start
    if match["unit"] is None:
        bare_end = match.start("jiao") + 1
        if not _ENDS_NUMBER.match(text, bare_end):
            return Decimal(0), start
        return _digit(match["jiao"]) / 10, bare_end
    cents = _digit(match["fen"]) / 100 if match["fen"] else Decimal(0)
    if match["fen"] and not _ENDS_NUMBER.match(text, match.end()):
        return _digit(match["jiao"]) / 10, match.end("unit")
    return _digit(match["jiao"]) / 10 + cents, match.end()


def _digit(char: str) -> Decimal:
    return Decimal(char) if char.isdigit() else Decimal(DIGITS[char])


def _is_count_date_or_time(text: str, run: str, start: int, end: int) -> bool:
    if len(run) == 1 and run in DIGITS:
        return True  # a lone 一/两/三... is part of words (一下, 两个人), not an amount
    return bool(_NOT_MONEY_AFTER.match(text, end) or _NOT_MONEY_BEFORE.search(text[:start]))


def _the_one_amount(values: List[Optional[Decimal]]) -> Optional[Decimal]:
    if any(v is None for v in values):
        return None
    distinct = {to_money(v) for v in values}
    return distinct.pop() if len(distinct) == 1 else None
