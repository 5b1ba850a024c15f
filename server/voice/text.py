"""Words for the ear: what the gateway does to a text before <Say> speaks it, what it hears
in a short yes or no, and the phrases that help speech recognition on each question.

The responses in domain.yml and the actions' wording keep one written form for every
channel ("$453.50", "Fri, Nov 27", "+18005550100"); this module is the one place that
turns it into the way people say it ("453 dollars and 50 cents", "Friday, November 27th",
"1, 8 0 0, 5 5 5, 0 1 0 0"). One set of rules per language: English here, Mandarin in
server/voice/text_zh.py; every function takes the account's language ("en", "zh", "zh-CN").
"""
from __future__ import annotations

import logging
import re
from typing import Dict, Iterable, List, Optional

from lending.languages import is_chinese
from server.voice import text_zh as voice_text_zh

log = logging.getLogger(__name__)

# symbol -> (unit, units, subunit, subunits)
CURRENCY_WORDS = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yuan", "yuan", "fen", "fen"),
}
MONTHS = {
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "May": "May",
    "Jun": "June", "Jul": "July", "Aug": "August", "Sep": "September", "Oct": "October",
    "Nov": "November", "Dec": "December",
}
WEEKDAYS = {
    "Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday", "Fri": "Friday",
    "Sat": "Saturday", "Sun": "Sunday",
}

_MONEY = re.compile(r"([$€£¥])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?(?!\d)")
_DATE = re.compile(
    rf"\b(?:({'|'.join(WEEKDAYS)}), )?({'|'.join(MONTHS)}) (\d{{1,2}})(?!\d)(?:, (\d{{4}}))?"
)
_PHONE = re.compile(r"\+(\d{7,15})\b")
_OCLOCK = re.compile(r"\b(\d{1,2}):00 ([AP]M)\b")
_URL = re.compile(r"\bhttps?://\S+")
# Emoji and pictographs: nothing a text-to-speech voice should try to read.
_PICTOGRAPHS = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_SPACES = re.compile(r"\s+")


ORDINAL_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


def ordinal(day: int) -> str:
    """3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}{ORDINAL_SUFFIXES.get(day % 10, 'th')}"


def spoken_money(symbol: str, whole: str, cents: Optional[str]) -> str:
    """'$453.50' -> '453 dollars and 50 cents'; '$1.00' -> '1 dollar'; '$0.40' -> '40 cents'."""
    unit, units, subunit, subunits = CURRENCY_WORDS[symbol]
    amount = int(whole.replace(",", ""))
    fraction = int(cents or 0)
    parts = []
    if amount or not fraction:
        parts.append(f"{whole} {unit if amount == 1 else units}")
    if fraction:
        parts.append(f"{fraction} {subunit if fraction == 1 else subunits}")
    return " and ".join(parts)


def spoken_digits(digits: str) -> str:
    """Digit by digit, in groups the ear can follow: '18005550100' -> '1, 8 0 0, 5 5 5,
    0 1 0 0' (a North American number: 1, area code, exchange, line); other numbers in
    threes, with the rest at the end."""
    if len(digits) == 11 and digits.startswith("1"):
        groups = [digits[0], digits[1:4], digits[4:7], digits[7:]]
    else:
        groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
        if len(groups) > 1 and len(groups[-1]) == 1:  # no lone digit at the end
            groups[-2:] = [groups[-2] + groups[-1]]
    return ", ".join(" ".join(group) for group in groups)


def spoken_date(match: re.Match) -> str:
    weekday, month, day, year = match.groups()
    said = f"{MONTHS[month]} {ordinal(int(day))}"
    if weekday:
        said = f"{WEEKDAYS[weekday]}, {said}"
    if year:
        said = f"{said}, {year}"
    return said


def speakable(text: str, language: Optional[str] = "en") -> str:
    """The text as <Say> should speak it, in the account's language's way."""
    if _URL.search(text):
        # A link cannot be heard; responses for the phone offer to text it instead.
        log.warning("a link reached a voice prompt and was left out")
        text = _URL.sub("", text)
    text = _PICTOGRAPHS.sub("", text)
    if is_chinese(language):
        return voice_text_zh.speakable(text)
    text = _MONEY.sub(lambda m: spoken_money(*m.groups()), text)
    text = _PHONE.sub(lambda m: spoken_digits(m.group(1)), text)
    text = _DATE.sub(spoken_date, text)
    text = _OCLOCK.sub(r"\1 \2", text)
    return _SPACES.sub(" ", text).strip()


# --- short answers to the gateway's own yes/no questions ----------------------------------

YES = {"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "please",
       "absolutely", "definitely", "uh-huh"}
NO = {"no", "nope", "nah", "not", "don't", "dont", "wrong", "incorrect", "never"}
# Longer answers are more than a yes or a no ("no, I want to talk to a person"): the bot reads them.
MAX_YES_NO_WORDS = 4
_WORD = re.compile(r"[a-z]+(?:[-'][a-z]+)?")
_CJK = re.compile(r"[\u3400-\u9fff]")


def yes_or_no(said: str, language: Optional[str] = "en") -> Optional[bool]:
    """True for a short yes, False for a short no, None for anything else. On a Chinese
    call an answer in Chinese is read by Chinese rules (是的 / 不是); one without a Chinese
    character ("OK", "yes") by the English ones."""
    if is_chinese(language) and _CJK.search(said):
        return voice_text_zh.yes_or_no(said)
    words = _WORD.findall(said.lower())
    if not words or len(words) > MAX_YES_NO_WORDS:
        return None
    has_yes = any(w in YES for w in words) or "go ahead" in " ".join(words)
    has_no = any(w in NO for w in words)
    if has_yes != has_no:
        return has_yes
    return None


# --- speech hints per question ------------------------------------------------------------

# Google's class tokens ($MONTH, ...) are documented values of <Gather hints>.
HINTS: Dict[str, List[str]] = {
    "birth_date": ["$MONTH", "$DAY", "$YEAR"],
    "id_last4": ["$OOV_CLASS_DIGIT_SEQUENCE"],
    "yes_no": ["yes", "no", "that's right"],
    "options": ["pay now", "a date to pay", "a monthly plan", "more time"],
    "months": ["months", "a year"],
    "amount": ["$MONEY", "dollars", "the full amount"],
    "date": ["today", "tomorrow", "next week", "Friday", "$DAY", "$MONTH"],
    "open": ["how much do I owe", "pay now", "payment plan", "more time", "call me later"],
}
ALWAYS = ["talk to a person"]
MAX_HINTS = 12


def hints_for(expect: str, key_words: Iterable[str] = (), language: Optional[str] = "en") -> str:
    """The <Gather hints> for a question, in the language the caller is expected to speak:
    what it expects, the words its keys stand for, and asking for a person."""
    hints, always = (voice_text_zh.HINTS, voice_text_zh.ALWAYS) if is_chinese(language) else (HINTS, ALWAYS)
    phrases: List[str] = []
    for phrase in [*hints.get(expect, hints["open"]), *key_words, *always]:
        phrase = phrase.strip()
        if phrase and not phrase.startswith("/") and phrase not in phrases:
            phrases.append(phrase[:100])
    return ", ".join(phrases[:MAX_HINTS])
