"""Personal data out of borrowers' messages, before a trainer ever reads them.

    redact("i'm Dana, dob 03/14/1988, call +1 555 010 0001", names=["Dana Rivers"])
    -> "i'm [NAME], dob [DATE], call [PHONE]"

What goes, each replaced by a typed placeholder so the sentence keeps its shape:
  [EMAIL]  e-mail addresses
  [CARD]   card numbers: 13-19 digits (spaces or dashes allowed) passing the Luhn check
  [ID]     ID numbers: US SSNs (123-45-6789), Chinese resident IDs (17 digits + digit/X,
           also in groups with spaces or dashes), passport-like letters + 6-9 digits,
           13-19 digits failing the Luhn check, the last digits of an ID ending in X
           (302X), and any other run of 4 or more digits (the last 4 of an ID, an
           account number, a bare year too, since it may be the last 4 of an ID) that
           is not an amount: typed together, spaced ("4 8 2 1") or spoken ("four eight
           two one", "forty eight twenty one", "四八二一"; language/spoken_numbers.py)
  [DATE]   dates with a year in any common form (03/14/1988, 1988-03-14, 14.03.88,
           march 14th 1988, 14 march 1988, 1988年3月14日, 一九八八年三月十四日), spelled
           out ("march fourteenth nineteen eighty eight", "the 3rd of may two thousand
           and one"), and any date right after "born", "dob", "birthday", "date of
           birth", 生日 or 出生 (or right before 出生)
  [PHONE]  phone numbers: E.164 (+15550100001), international with spaces or dots,
           local forms ((555) 010-0001, 555-010-0001, 010-0001), Chinese mobiles,
           unseparated runs of 10-15 digits, and 7-15 digits spoken or spaced one by one
  [NAME]   the account holder's names, as the store holds them, whatever the case or
           accents (José Ñúñez matches Jose Nunez and the reverse), also inside Chinese
           text (我是王芳), a Chinese given name alone (芳芳, 小芳) and a surname with a
           title (王女士)

Dates without a year ("friday", "the 15th", "march 3", "march third", "3月14日") stay
unless a birth word is next to them: they are what promises are made of, and a birth
date always carries a year. Amounts stay ("$1500", "1500 dollars", "1,500", "1500.00",
"3000元", "two hundred"), and so do times ("10 30", "ten thirty") and plan lengths
("3 months", "分3期"): they are what plans are made of. Names other than the account
holder's are not recognised.

Pure Python, no model: the gateway runs it on every captured message.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, List, Tuple

from language.spoken_numbers import (
    CHINESE_RUN,
    DAY,
    SHORT_YEAR,
    SPOKEN_RUN,
    YEAR,
    clock_time,
    run_digits,
)

PLACEHOLDERS = ("EMAIL", "CARD", "ID", "DATE", "PHONE", "NAME")
PLACEHOLDER = re.compile(r"\[(?:%s)\]" % "|".join(PLACEHOLDERS))

# Made-up values of the same kind, for turning a redacted message into a training
# example (all fictional: a reserved 555 number, example.com, a test card number).
STAND_INS = {
    "EMAIL": "alex@example.com",
    "CARD": "4111 1111 1111 1111",
    "ID": "7305",
    "DATE": "07/22/1991",
    "PHONE": "555 010 0199",
    "NAME": "Alex",
}

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:(?:19|20)\d{2}|'?\d{2})"
_FULL_YEAR = r"(?:19|20)\d{2}"
# After a spelled-out date's year: "march 3 20 dollars" and "may 5 10 am" hold no year.
_NOT_AMOUNT = r"\b(?!\s*(?:dollars?|bucks|usd|yuan|rmb|元|块|[ap]\.?m\b|o'?clock|:\d))"
_CN_NUMBER = r"[\d零〇○一二三四五六七八九十]"
_CN_YEAR = r"(?:\d{2}|\d{4}|[零〇○一二三四五六七八九]{2}|[零〇○一二三四五六七八九]{4})"
_CN_MONTH_DAY = rf"{_CN_NUMBER}{{1,2}}\s*月\s*{_CN_NUMBER}{{1,3}}\s*[日号]?"

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 18 characters, alone or in groups: 110105 19491231 002X, 1101-0519-4912-3100-2X.
CN_RESIDENT_ID = re.compile(r"(?<![\dA-Za-z])\d(?:[ -]?\d){16}[ -]?[\dXx](?![\dA-Za-z])")
# The end of a Chinese resident ID, whose last character may be X: "302X", "尾号302x".
ID_ENDING_X = re.compile(r"(?<![\dA-Za-z])\d{3,}[ -]?[Xx](?![A-Za-z\d])")
CARD = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
PASSPORT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{6,9}(?![A-Za-z0-9])")

DATES = [
    # 1988-03-14, 1988/3/14, 1988.03.14
    re.compile(r"(?<![\d.])(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?![\d.])"),
    # 03/14/1988, 14.03.88, 3-14-88 (either order of day and month)
    re.compile(
        r"(?<![\d.])(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.]"
        r"(?:(?:19|20)\d{2}|\d{2})(?![\d.])"
    ),
    # 1988年3月14日
    re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?"),
    # march 14 1988, march 14th, 1988, mar. 14 '88
    re.compile(rf"\b{_MONTHS}\s+{_DAY},?\s+{_YEAR}{_NOT_AMOUNT}", re.IGNORECASE),
    # 14 march 1988, 14th of march, 1988
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTHS},?\s+{_YEAR}{_NOT_AMOUNT}", re.IGNORECASE),
    # spelled out: the fourteenth of march, nineteen eighty eight (tried before the
    # month-first form, which would read "march, nineteen eighty-eight" as march 19, '88)
    re.compile(
        rf"\b(?:the\s+)?{DAY}\s+(?:of\s+)?{_MONTHS},?\s+(?:of\s+|in\s+)?(?:{YEAR}|{SHORT_YEAR})"
        rf"{_NOT_AMOUNT}",
        re.IGNORECASE,
    ),
    # march fourteenth nineteen eighty eight, march the 14th, '88
    re.compile(
        rf"\b{_MONTHS},?\s+(?:the\s+)?{DAY},?\s+(?:of\s+|in\s+)?(?:{YEAR}|{SHORT_YEAR}){_NOT_AMOUNT}",
        re.IGNORECASE,
    ),
    # march 1988, march nineteen eighty eight (a month and a full year, after the forms
    # with a day, which it would cut short)
    re.compile(rf"\b{_MONTHS}\s+{_FULL_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTHS},?\s+(?:of\s+|in\s+)?{YEAR}{_NOT_AMOUNT}", re.IGNORECASE),
    # 一九八八年三月十四日, 八八年三月
    re.compile(rf"{_CN_YEAR}\s*年\s*{_CN_NUMBER}{{1,2}}\s*月(?:\s*{_CN_NUMBER}{{1,3}}\s*[日号])?"),
]
_BIRTH_WORDS = r"(?:born|d\.?o\.?b\.?|birthday|birth\s*date|date\s+of\s+birth|bday)"
# A date without a year, right after a birth word: "born on march 3", "dob: 3/14".
BIRTH_DATE = re.compile(
    rf"(?P<lead>\b{_BIRTH_WORDS}\b(?:\s*(?:is|was|on|:|-|the))*\s*)"
    rf"(?P<date>{_MONTHS}\s+(?:the\s+)?{DAY}|(?:the\s+)?{DAY}\s+(?:of\s+)?{_MONTHS}"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01]))\b",
    re.IGNORECASE,
)
# 生日是3月14日, 出生于三月十四号; 我3月14日出生
CN_BIRTH_DATE = re.compile(
    rf"(?P<lead>(?:生日|出生(?:日期|年月日|于|在)?)\s*(?:是|为|:|：)?\s*)(?P<date>{_CN_MONTH_DAY})"
)
CN_DATE_BEFORE_BIRTH = re.compile(rf"{_CN_MONTH_DAY}(?=\s*(?:出生|生的|生日))")

# A phone number: digits in groups separated by one space, dot or dash, or in
# parentheses, with an optional leading + or 00. Judged by its digit count below.
PHONE = re.compile(r"(?<![\w+$¥€£])(?:\+|00)?\(?\d+\)?(?:[ .-]?\(?\d+\)?)*(?![\w])")
_CURRENCY_BEFORE = re.compile(r"(?:[$¥€£]|usd|rmb|cny)\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(
    r"^(?:\.\d{1,2}(?!\d)|\s*(?:dollars?|bucks|usd|rmb|yuan|cny|元|块|k\b))", re.IGNORECASE
)
DIGITS = re.compile(r"(?<![\d$¥€£])\d{4,}(?!\d)")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_amount(text: str, start: int, end: int) -> bool:
    return bool(_CURRENCY_BEFORE.search(text[max(0, start - 5):start])
                or _CURRENCY_AFTER.match(text[end:end + 10]))


def _cards(text: str) -> str:
    def replace(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        if _is_amount(text, match.start(), match.end()):
            return match.group()
        # 13-19 digits failing the check: a mistyped card, an account number.
        return "[CARD]" if luhn_ok(digits) else "[ID]"

    return CARD.sub(replace, text)


def _phones(text: str) -> str:
    def replace(match: re.Match) -> str:
        found = match.group()
        digits = re.sub(r"\D", "", found)
        separated = bool(re.search(r"[ .()-]", found.strip()))
        international = found.startswith(("+", "00"))
        if _is_amount(text, match.start(), match.end()):
            return found
        if international and 8 <= len(digits) <= 15:
            return "[PHONE]"
        if separated and 7 <= len(digits) <= 15:
            return "[PHONE]"
        if not separated and 10 <= len(digits) <= 15:
            return "[PHONE]"
        return found

    return PHONE.sub(replace, text)


def _digits_kind(digits: str) -> str:
    """What a run of digits said or spaced one group at a time most likely is."""
    if digits.isdigit() and 13 <= len(digits) <= 19 and luhn_ok(digits):
        return "[CARD]"
    if digits.isdigit() and 7 <= len(digits) <= 15:
        return "[PHONE]"
    return "[ID]"


def _spoken_runs(text: str) -> str:
    def replace(match: re.Match) -> str:
        digits = run_digits(match.group())
        if (len(digits) < 4 or clock_time(match.group())
                or _is_amount(text, match.start(), match.end())):
            return match.group()
        return _digits_kind(digits)

    text = SPOKEN_RUN.sub(replace, text)
    return CHINESE_RUN.sub(replace, text)


def _digit_runs(text: str) -> str:
    def replace(match: re.Match) -> str:
        if _is_amount(text, match.start(), match.end()):
            return match.group()
        return "[ID]"

    return DIGITS.sub(replace, text)


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯",
                      "尉迟", "公孙", "长孙", "宇文", "轩辕", "端木", "西门", "南宫", "澹台", "申屠")
# Letters NFKD leaves as they are, and what they are written as without accents.
_UNDECOMPOSED = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i",
                 "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "ð": "d"}
_TITLES = "先生|女士|小姐|太太|夫人|老师|师傅|总|哥|姐"


def _fold(text: str) -> Tuple[str, List[int]]:
    """The text without accents (José -> Jose), and where each of its characters came
    from, so that a match in the folded text is cut from the original."""
    folded, origin = [], []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", _UNDECOMPOSED.get(char, char)):
            if not unicodedata.combining(part):
                folded.append(part)
                origin.append(index)
    return "".join(folded), origin


def _chinese_name_patterns(name: str) -> List[str]:
    """王芳 -> 王芳 (spaces allowed between its characters), its given name alone when
    it has two characters or is doubled or prefixed (芳芳, 小芳, 阿芳), and the surname
    with a title (王女士)."""
    surname_length = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
    surname, given = name[:surname_length], name[surname_length:]
    spaced = r"\s?".join(re.escape(char) for char in name)
    patterns = [spaced, rf"{re.escape(surname)}(?:{_TITLES})"]
    if given:
        patterns.append(re.escape(given) if len(given) >= 2
                        else rf"(?:[小阿]{re.escape(given)}|{re.escape(given * 2)})")
    return patterns


def name_patterns(names: Iterable[str]) -> List[str]:
    """Regular expressions for the account holders' names, matched against accent-free
    text: 'José Ñúñez' -> Nunez, Jose (longest first; initials are left alone)."""
    patterns = set()
    for name in names:
        for part in re.split(r"[\s,·•.]+", _fold(name or "")[0].strip()):
            if _CJK.search(part):
                patterns.update(_chinese_name_patterns(part))
            elif len(part) >= 2:
                # Only Latin letters and digits bound a Latin name (我是Dana): \w would count
                # the Chinese characters around it as part of the word.
                patterns.add(rf"(?<![A-Za-z0-9]){re.escape(part)}(?![A-Za-z0-9])")
    return sorted(patterns, key=len, reverse=True)


def _names(text: str, names: Iterable[str]) -> str:
    patterns = name_patterns(names)
    if not patterns:
        return text
    folded, origin = _fold(text)
    spans = [(m.start(), m.end()) for m in re.finditer("|".join(f"(?:{p})" for p in patterns),
                                                       folded, re.IGNORECASE) if m.end() > m.start()]
    for start, end in reversed(spans):
        first, last = origin[start], origin[end - 1] + 1
        while last < len(text) and unicodedata.combining(text[last]):
            last += 1  # a combining accent written after the name's last letter
        text = text[:first] + "[NAME]" + text[last:]
    return text


def redact(text: str, names: Iterable[str] = ()) -> str:
    """The message with personal data replaced by placeholders (see the module's doc)."""
    text = EMAIL.sub("[EMAIL]", text)
    text = CN_RESIDENT_ID.sub("[ID]", text)
    text = _cards(text)
    text = SSN.sub("[ID]", text)
    text = PASSPORT.sub("[ID]", text)
    text = ID_ENDING_X.sub("[ID]", text)
    for pattern in DATES:
        text = pattern.sub("[DATE]", text)
    for pattern in (BIRTH_DATE, CN_BIRTH_DATE):
        text = pattern.sub(lambda m: m.group("lead") + "[DATE]", text)
    text = CN_DATE_BEFORE_BIRTH.sub("[DATE]", text)
    text = _phones(text)
    text = _spoken_runs(text)
    text = _digit_runs(text)
    return _names(text, names)


def placeholders_in(text: str) -> List[str]:
    return PLACEHOLDER.findall(text)


def stand_in(text: str) -> str:
    """A redacted message with made-up values in place of its placeholders."""
    return PLACEHOLDER.sub(lambda m: STAND_INS[m.group()[1:-1]], text)
