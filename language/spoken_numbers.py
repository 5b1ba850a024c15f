"""Numbers written out in words, as people type what they would say, for redaction
(language/redaction.py): "four eight two one", "forty eight twenty one", "nineteen eighty
eight", "5 5 5 0 1 0 ...", "四八二一", and the pieces of a date spelled out ("march
fourteenth nineteen eighty eight").

A run of spoken digit groups reads as the digits said one group after another, the
way IDs, phone numbers and years are spoken: "nineteen eighty eight" is 1988 and
"four eight two one" is 4821. Words that make an amount ("hundred", "thousand", 十, 百)
end a run: "two hundred" is never a run of digits.
"""
from __future__ import annotations

import re
from typing import Optional

UNITS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}
TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6",
    "seventy": "7", "eighty": "8", "ninety": "9",
}
ORDINALS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    "|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth"
    "|twentieth|thirtieth"
)
CHINESE_DIGITS = {"零": "0", "〇": "0", "○": "0", "幺": "1", "一": "1", "二": "2", "三": "3",
                  "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}

_SEP = r"(?:\s*[-,]\s*|\s+)"
_UNIT = r"(?:zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine)"
_NONZERO = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEEN = "(?:%s)" % "|".join(TEENS)
_TENS = "(?:%s)" % "|".join(TENS)
_TENS_UNIT = rf"{_TENS}(?:[- ]+{_NONZERO})?"

# Pieces of a spelled-out date (language/redaction.py puts them together).
DAY = (
    rf"(?:(?:twenty|thirty)[- ]?(?:{ORDINALS})|{ORDINALS}|twenty[- ]+{_NONZERO}|thirty[- ]+one"
    rf"|{_TEEN}|twenty|thirty|{_NONZERO}|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?)"
)
YEAR = (
    rf"(?:(?:nineteen|twenty)[- ]+(?:hundred|oh[- ]+{_NONZERO}|o[- ]+{_NONZERO}|{_TENS_UNIT}|{_TEEN})"
    rf"|two[- ]+thousand(?:[- ]+and)?(?:[- ]+(?:{_TENS_UNIT}|{_TEEN}|{_NONZERO}))?"
    rf"|{_UNIT}[- ]+{_UNIT}[- ]+{_UNIT}[- ]+{_UNIT}"
    r"|(?:19|20)\d{2})"
)
SHORT_YEAR = rf"(?:{_TENS_UNIT}|oh[- ]+{_NONZERO}|'?\d{{2}})"  # '88, eighty eight

# One spoken group: "double five", "forty-eight", "nineteen", "four", or 1-2 typed
# digits (longer typed groups are phone numbers and IDs, judged elsewhere).
_GROUP = rf"(?:(?:double|triple)[- ]+{_UNIT}|{_TENS_UNIT}|{_TEEN}|{_UNIT}|\d{{1,2}})"
SPOKEN_RUN = re.compile(
    rf"(?<![A-Za-z0-9$¥€£.,]){_GROUP}(?:{_SEP}{_GROUP})+(?:{_SEP}?(?:x|ex))?(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Chinese digits said one by one (a phone number, an ID), not a number with 十/百/千.
CHINESE_RUN = re.compile(r"[零〇○幺一二三四五六七八九](?:\s?[零〇○幺一二三四五六七八九]){3,}(?:\s?[xX])?")
_GROUP_IN_RUN = re.compile(rf"\b{_GROUP}\b", re.IGNORECASE)


def _group_digits(group: str) -> str:
    words = re.split(r"[- ]+", group.strip().lower())
    if words[0] in ("double", "triple"):
        return UNITS[words[1]] * (2 if words[0] == "double" else 3)
    if words[0] in TENS:
        return TENS[words[0]] + (UNITS[words[1]] if len(words) > 1 else "0")
    return TEENS.get(words[0]) or UNITS.get(words[0]) or words[0]


def run_digits(run: str) -> str:
    """The digits a spoken run stands for ("forty eight twenty one" -> "4821"); a
    trailing X (the last character of a Chinese resident ID) is kept."""
    if CHINESE_RUN.fullmatch(run):
        return "".join(CHINESE_DIGITS.get(char, char.upper()) for char in run if not char.isspace())
    tail = "X" if re.search(r"(?:^|[^a-z])e?x$", run, re.IGNORECASE) else ""
    return "".join(_group_digits(group) for group in _GROUP_IN_RUN.findall(run)) + tail


def clock_time(run: str) -> Optional[str]:
    """"ten thirty", "11 45": two groups that read as hours and minutes, else None."""
    groups = _GROUP_IN_RUN.findall(run)
    if len(groups) != 2:
        return None
    hours, minutes = (_group_digits(g) for g in groups)
    if len(hours) == 2 and 10 <= int(hours) <= 12 and len(minutes) == 2 and int(minutes) < 60:
        return f"{hours}:{minutes}"
    return None
