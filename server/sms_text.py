"""SMS length rules and TwiML.

A carrier sends GSM-7 text (the GSM 03.38 default alphabet) as 160 septets in
one segment, or 153 per segment once concatenated; extension-table characters
take two septets and are never split across segments. Any other character
makes the whole message UCS-2: 70 UTF-16 units in one segment, 67 per
concatenated segment. Twilio refuses a message body over 1600 characters, so a
longer reply becomes several <Message> elements.
"""
from __future__ import annotations

import re
from typing import Iterable, List

from twilio.twiml.messaging_response import MessagingResponse

# GSM 03.38 default alphabet, in table order (0x1B, the escape to the
# extension table, is left out: it is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Sent as ESC + one character: two septets each.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
TWILIO_BODY_LIMIT = 1600

# DOMAIN.md: every outbound SMS carries the opt-out wording, in the borrower's
# language. A body that already names the keywords (the STOP/START/HELP answers, a
# campaign text) says it in its own words.
OPT_OUT_WORDING = {
    "en": "Reply STOP to opt out.",
    "zh": "回复STOP退订。",
}
_NAMES_KEYWORDS = re.compile(r"(?<![A-Za-z])(STOP|START)(?![A-Za-z])")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _units(text: str) -> List[int]:
    """The size of each character in its encoding's units (septets or UTF-16)."""
    if is_gsm7(text):
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segment_count(text: str) -> int:
    """How many SMS segments a carrier bills for this text (0 for no text)."""
    if not text:
        return 0
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if is_gsm7(text) else (UCS2_SINGLE, UCS2_MULTI)
    units = _units(text)
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:  # a two-unit character never straddles two segments
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s+")
_SPACE = re.compile(r"\s+")


def _cut(text: str, limit: int) -> int:
    """Where to end a piece of at most `limit` characters: after the last
    sentence if it fills at least half the piece, else at the last space."""
    window = text[: limit + 1]
    sentence_ends = [m.start() for m in _SENTENCE_END.finditer(window) if m.start() <= limit]
    if sentence_ends and sentence_ends[-1] >= limit // 2:
        return sentence_ends[-1]
    spaces = [m.start() for m in _SPACE.finditer(window) if 0 < m.start() <= limit]
    if spaces:
        return spaces[-1]
    return limit


def split_message(text: str, limit: int = TWILIO_BODY_LIMIT) -> List[str]:
    """Pieces of at most `limit` characters, cut at sentence or word boundaries."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        end = _cut(rest, limit)
        pieces.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def opt_out_wording(language: str = "en") -> str:
    return OPT_OUT_WORDING.get(language.split("-")[0].lower(), OPT_OUT_WORDING["en"])


def with_opt_out(body: str, language: str = "en") -> str:
    if not body or _NAMES_KEYWORDS.search(body):
        return body
    return f"{body}\n{opt_out_wording(language)}"


def join_texts(texts: Iterable[str]) -> str:
    return "\n".join(t.strip() for t in texts if t and t.strip())


def twiml(bodies: Iterable[str]) -> str:
    """<Response> with one <Message> per body; `<Response/>` when there is none."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response)


def reply_bodies(texts: Iterable[str]) -> List[str]:
    """The bot's texts joined into one reply, split to Twilio's body limit with room
    left for the opt-out wording."""
    longest = max(len(wording) for wording in OPT_OUT_WORDING.values())
    return split_message(join_texts(texts), TWILIO_BODY_LIMIT - longest - 1)
