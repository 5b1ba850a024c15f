"""Personal data out of borrowers' messages, before a trainer ever reads them.

    redact("i'm Dana, dob 03/14/1988, call +1 555 010 0001", names=["Dana Rivers"])
    -> "i'm [NAME], dob [DATE], call [PHONE]"

What goes, each replaced by a typed placeholder so the sentence keeps its shape:
  [EMAIL]  e-mail addresses
  [CARD]   card numbers: 13-19 digits (spaces or dashes allowed) passing the Luhn check
  [ID]     ID numbers: US SSNs (123-45-6789), Chinese resident IDs (17 digits + digit/X),
           passport-like letters + 6-9 digits, 13-19 digits failing the Luhn check, and
           any other run of 4 or more digits (the last 4 of an ID, an account number, a
           bare year too, since it may be the last 4 of an ID) that is not an amount
  [DATE]   dates with a year in any common form (03/14/1988, 1988-03-14, 14.03.88,
           march 14th 1988, 14 march 1988, 1988年3月14日), and any date right after
           "born", "dob", "birthday" or "date of birth"
  [PHONE]  phone numbers: E.164 (+15550100001), international with spaces or dots,
           local forms ((555) 010-0001, 555-010-0001, 010-0001), Chinese mobiles,
           and unseparated runs of 10-15 digits
  [NAME]   the account holder's first and last names, as the store holds them

Dates without a year ("friday", "the 15th", "march 3") stay unless a birth word precedes
them: they are what promises are made of, and a birth date always carries a year.
Amounts stay ("$1500", "1500 dollars", "1,500", "1500.00", "3000元"): they are what
plans are made of. Names other than the account holder's are not recognised.

Pure Python, no model: the gateway runs it on every captured message.
"""
from __future__ import annotations

import re
from typing import Iterable, List

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

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CN_RESIDENT_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
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
    re.compile(rf"\b{_MONTHS}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    # 14 march 1988, 14th of march, 1988
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTHS},?\s+{_YEAR}\b", re.IGNORECASE),
    # march 1988 (a month and a full year)
    re.compile(rf"\b{_MONTHS}\s+{_FULL_YEAR}\b", re.IGNORECASE),
]
_BIRTH_WORDS = r"(?:born|d\.?o\.?b\.?|birthday|birth\s*date|date\s+of\s+birth|bday)"
# A date without a year, right after a birth word: "born on march 3", "dob: 3/14".
BIRTH_DATE = re.compile(
    rf"(?P<lead>\b{_BIRTH_WORDS}\b(?:\s*(?:is|was|on|:|-|the))*\s*)"
    rf"(?P<date>{_MONTHS}\s+{_DAY}|{_DAY}\s+(?:of\s+)?{_MONTHS}"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01]))\b",
    re.IGNORECASE,
)

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


def _digit_runs(text: str) -> str:
    def replace(match: re.Match) -> str:
        if _is_amount(text, match.start(), match.end()):
            return match.group()
        return "[ID]"

    return DIGITS.sub(replace, text)


def name_parts(names: Iterable[str]) -> List[str]:
    """'Dana Rivers' -> ['Rivers', 'Dana'] (longest first; initials are left alone)."""
    parts = {part for name in names if name for part in re.split(r"[\s,]+", name.strip())}
    return sorted((p for p in parts if len(p) >= 2), key=len, reverse=True)


def _names(text: str, names: Iterable[str]) -> str:
    for part in name_parts(names):
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[NAME]", text, flags=re.IGNORECASE)
    return text


def redact(text: str, names: Iterable[str] = ()) -> str:
    """The message with personal data replaced by placeholders (see the module's doc)."""
    text = EMAIL.sub("[EMAIL]", text)
    text = CN_RESIDENT_ID.sub("[ID]", text)
    text = _cards(text)
    text = SSN.sub("[ID]", text)
    text = PASSPORT.sub("[ID]", text)
    for pattern in DATES:
        text = pattern.sub("[DATE]", text)
    text = BIRTH_DATE.sub(lambda m: m.group("lead") + "[DATE]", text)
    text = _phones(text)
    text = _digit_runs(text)
    return _names(text, names)


def placeholders_in(text: str) -> List[str]:
    return PLACEHOLDER.findall(text)


def stand_in(text: str) -> str:
    """A redacted message with made-up values in place of its placeholders."""
    return PLACEHOLDER.sub(lambda m: STAND_INS[m.group()[1:-1]], text)
