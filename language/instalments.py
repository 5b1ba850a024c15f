"""Which instalment of a plan a borrower means ("the March one", "my second payment", "3月那期",
"第二期"), and whether a date they give names only a day of the month ("the 20th", "20号"),
which then means the first such day after that instalment's date."""
from __future__ import annotations

import re
from typing import Optional, Tuple

from language.vocabulary import INSTALMENT_WORDS, MONTHS, alternation
from language.zh.numerals import to_integer
from language.zh.text import normalise
from lending.languages import is_chinese

ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}
# ("month", 3): the instalment due in March; ("number", 2): the second instalment.
Reference = Tuple[str, int]

_THING = rf"(?:one|payment|pmt|bill|{alternation(INSTALMENT_WORDS)})"
_MONTH = rf"(?P<month>{alternation(MONTHS)})"
_EN_MONTH_FIRST = re.compile(rf"\b{_MONTH}(?:'s)?\s+{_THING}\b")
_EN_MONTH_AFTER = re.compile(rf"\b{_THING}\s+(?:for|in|of|due\s+in)\s+{_MONTH}\b(?!\.?\s*\d)")
_EN_NUMBER = re.compile(rf"\b(?P<n>{alternation(ORDINALS)}|\d{{1,2}}(?:st|nd|rd|th))\s+{_THING}\b")
_EN_DAY_ONLY = re.compile(r"\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b|\bthe\s+\d{1,2}\b")
_ANY_MONTH = alternation(MONTHS)
_EN_MONTH_DATE = re.compile(rf"\b(?:{_ANY_MONTH})\.?\s+(?:the\s+)?\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_ANY_MONTH})\b|\d/\d")

_ZH_N = r"(?:\d{1,2}|[一二三四五六七八九十两]{1,3})"
_ZH_MONTH = re.compile(rf"(?P<month>{_ZH_N})月份?(?:的)?(?:那|这)?(?:一)?(?:期|笔)")
_ZH_NUMBER = re.compile(rf"第(?P<n>{_ZH_N})(?:期|笔)")
_ZH_DAY_ONLY = re.compile(rf"(?<![月\d一二三四五六七八九十两])(?:{_ZH_N})(?:号|日)")


def _zh_number(text: str) -> Optional[int]:
    return int(text) if text.isdigit() else to_integer(text)


def named_instalment(text: str, *, language: str = "en") -> Optional[Reference]:
    """The instalment `text` names, by month or by its number; None when it names none."""
    if is_chinese(language):
        said = normalise(text)
        found = _ZH_MONTH.search(said)
        if found and (month := _zh_number(found["month"])) and 1 <= month <= 12:
            return ("month", month)
        found = _ZH_NUMBER.search(said)
        if found and (number := _zh_number(found["n"])):
            return ("number", number)
        return None
    said = text.lower()
    found = _EN_MONTH_FIRST.search(said) or _EN_MONTH_AFTER.search(said)
    if found:
        return ("month", MONTHS[found["month"]])
    found = _EN_NUMBER.search(said)
    if found:
        word = found["n"]
        return ("number", ORDINALS.get(word) or int(re.sub(r"\D", "", word)))
    return None


def names_day_of_month_only(text: str, *, language: str = "en") -> bool:
    """Whether the date in `text` is a bare day of the month ("the 20th", "20号")."""
    if is_chinese(language):
        return bool(_ZH_DAY_ONLY.search(normalise(text)))
    said = text.lower()
    return bool(_EN_DAY_ONLY.search(said)) and not _EN_MONTH_DATE.search(said)
