"""Chinese numerals as borrowers write them: 五百, 一千二 (1200), 两千五百, 1.5万, 3百, 十五,
壹仟贰佰 (the financial forms on bills), and digit by digit: 一九八八, 四八二一.

`NUMBER` finds a run of numeral characters and digits; `to_number` reads one as positional
notation (units 十 百 千 万 亿), `digit_string` as a sequence of digits. Each returns None
for a run that is not a number read that way, so the callers never guess.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import List, Optional, Union

from language.numbers import DECIMAL

DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
    "捌": 8, "九": 9, "玖": 9,
}
UNITS = {
    "十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000,
    "万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8,
}
# Read aloud digit by digit, 1 is often 幺 and 0 is 〇 or 零 (两 is never used that way).
DIGIT_READINGS = {**{k: v for k, v in DIGITS.items() if k != "两"}, "幺": 1}

DIGIT_CHARS = "".join(DIGITS)
UNIT_CHARS = "".join(UNITS)
NUMERAL_CHARS = DIGIT_CHARS + UNIT_CHARS
_ZEROS = ("零", "〇")

# A run of digits and numeral characters, with 点 as a decimal point when a digit follows
# ("三点五万"; "三点" alone is 3 o'clock). Digits and Chinese digits mix only across a unit
# ("3千5", "1万2000"; "周五500" is 五 and 500). Numbers glued to a date or time separator
# ("2026-11", "11/15", "5:30", "1.5.2") and negative numbers are not matched.
_POINT = rf"点(?=[\d{DIGIT_CHARS}])"
NUMBER = re.compile(
    rf"(?<![\d\-])(?<!\d[.,:/])"
    rf"(?:{DECIMAL}|[{NUMERAL_CHARS}])"
    rf"(?:(?<![{DIGIT_CHARS}]){DECIMAL}|(?<!\d)[{DIGIT_CHARS}]|[{UNIT_CHARS}]|{_POINT})*"
    rf"(?:(?<=\d)(?!\d|[.,:/\-]\d)|(?<!\d))"
)
DIGIT_STRING = re.compile(rf"[\d{''.join(DIGIT_READINGS)}]+")

Token = Union[Decimal, str]
_TOKEN = re.compile(rf"{DECIMAL}|[{NUMERAL_CHARS}]|点")


def to_number(run: str) -> Optional[Decimal]:
    """The value of a numeral run, or None when it is not a number in positional notation.

    '五百' -> 500, '一千二' -> 1200 (a last digit after a unit counts in the next lower
    unit: 一万二 = 12000, 一百一 = 110), '一千零二' -> 1002, '两千五百' -> 2500,
    '十五' -> 15, '3百' -> 300, '1.5万' / '一点五万' -> 15000, '三点五' -> 3.5,
    '1,200' -> 1200, '壹仟贰佰' -> 1200.
    None for runs that start with a unit (千万, 万一, 百分: words, not numbers), for digits
    in a row ('一二', read those with `digit_string`), and for units out of order ('一百一千').
    """
    tokens = _tokens(run)
    if not tokens:
        return None
    if isinstance(tokens[0], str) and tokens[0] not in ("十", "拾") and tokens[0] not in _ZEROS:
        return None
    if tokens.count("点") > 1:
        return None
    if "点" in tokens:
        return _with_decimal_point(tokens)
    return _positional(tokens)


def to_integer(run: str) -> Optional[int]:
    """`to_number` for whole numbers only: '十五' -> 15, '1.5' -> None."""
    value = to_number(run)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def digit_string(run: str) -> Optional[str]:
    """A run read digit by digit: '一九八八' -> '1988', '四八二一' -> '4821',
    '幺〇二' -> '102', '48二1' -> '4821'; None when it holds anything but digits."""
    if not run or not DIGIT_STRING.fullmatch(run):
        return None
    return "".join(ch if ch.isdigit() else str(DIGIT_READINGS[ch]) for ch in run)


def _tokens(run: str) -> Optional[List[Token]]:
    tokens: List[Token] = []
    position = 0
    for match in _TOKEN.finditer(run):
        if match.start() != position:
            return None
        position = match.end()
        text = match.group()
        if text in DIGITS:
            tokens.append(text if text in _ZEROS else Decimal(DIGITS[text]))
        elif text in UNITS or text == "点":
            tokens.append(text)
        else:
            try:
                tokens.append(Decimal(text.replace(",", "")))
            except InvalidOperation:
                return None
    return tokens if position == len(run) else None


def _positional(tokens: List[Token]) -> Optional[Decimal]:
    total = Decimal(0)     # whole 亿s
    myriads = Decimal(0)   # whole 万s below the current 亿
    section = Decimal(0)   # below 万
    digit: Optional[Decimal] = None
    last_unit: Optional[int] = None   # the unit just applied, for 一千二 = 1200
    smaller_than = 10**4  # units inside a section must fall: 千 > 百 > 十
    after_zero = False
    for token in tokens:
        if isinstance(token, Decimal):
            if digit is not None:
                return None  # "一二": digits in a row are not positional
            digit = token
        elif token in _ZEROS:
            if digit is not None:
                return None
            after_zero = True
        else:
            unit = UNITS[token]
            if unit < 10**4:
                if unit >= smaller_than:
                    return None
                section += (digit if digit is not None else 1) * unit
                smaller_than = unit
            elif unit == 10**4:
                value = section + (digit or 0)
                if value == 0 or myriads:
                    return None
                myriads, section, smaller_than = value * unit, Decimal(0), 10**4
            else:
                value = myriads + section + (digit or 0)
                if value == 0 or total:
                    return None
                total, myriads, section, smaller_than = value * unit, Decimal(0), Decimal(0), 10**4
            digit, last_unit, after_zero = None, unit, False
    if digit is not None:
        if last_unit is None or after_zero:
            section += digit
        elif digit == digit.to_integral_value() and 1 <= digit <= 9:
            section += digit * (last_unit // 10)  # 一千二, 两万五, 三百五
        elif digit < last_unit:
            section += digit  # 1万2000, 一百20
        else:
            return None
    return total + myriads + section


def _with_decimal_point(tokens: List[Token]) -> Optional[Decimal]:
    point = tokens.index("点")
    whole, fraction = tokens[:point], tokens[point + 1:]
    scale = 1
    if fraction and isinstance(fraction[-1], str) and fraction[-1] in ("万", "萬", "亿", "億"):
        scale = UNITS[fraction.pop()]
        if any(isinstance(t, str) for t in whole):
            return None  # 一万点五万
    digits = []
    for token in fraction:
        if isinstance(token, Decimal) and token == token.to_integral_value() and token >= 0:
            digits.append(str(int(token)))
        elif token in _ZEROS:
            digits.append("0")
        else:
            return None
    if not whole or not digits:
        return None
    integer = _positional(whole)
    if integer is None:
        return None
    return (integer + Decimal("0." + "".join(digits))) * scale
