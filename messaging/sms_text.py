"""SMS length rules, the opt-out wording and TwiML.

A carrier sends GSM-7 text (the GSM 03.38 default alphabet) as 160 septets in
one segment, or 153 per segment once concatenated; extension-table characters
take two septets and are never split across segments. Any other character
makes the whole message UCS-2: 70 UTF-16 units in one segment, 67 per
concatenated segment; a character outside the Basic Multilingual Plane (most
emoji) takes two units and is never split across segments. Twilio refuses a
message body over 1600 characters, counting such a character as two, so a
longer reply becomes several <Message> elements, cut where a reader would pause:
after a sentence (". ", or 。！？ in Chinese), else after a Chinese clause (，；：、),
else between words, and never inside a character or an emoji sequence.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, List

from twilio.twiml.messaging_response import MessagingResponse

from lending.languages import parser_language
from messaging.gateway_words import gateway_reply, phrase  # noqa: F401  (gateway_reply: also read from here)
from messaging.twiml_render import render

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

# DOMAIN.md: every outbound SMS carries the opt-out wording, in the borrower's language
# (messaging/gateway_words.py). A body that already names the keywords (the STOP/START/HELP
# answers, a campaign text) says it in its own words.
OPT_OUT_WORDING = phrase("opt_out_wording")
# How to opt out: "Reply STOP", "回复TD退订", "退订回T", "拒收请回复R", "回复退订".
_OPT_OUT_INSTRUCTION = re.compile(
    r"(?<![A-Za-z])STOP(?![A-Za-z])|回复?\s*[“\"「『]?\s*(?:TD|T|R|退订)(?![A-Za-z])"
)
# How to opt back in, as the answer to an opt-out says: "Reply START", "回复“订阅”".
_OPT_IN_INSTRUCTION = re.compile(r"(?<![A-Za-z])START(?![A-Za-z])|回复?\s*[“\"「『]?\s*订阅")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def utf16_units(text: str) -> int:
    """The length of `text` in UTF-16 code units: what UCS-2 segments and Twilio's body
    limit count ("你好" 2, "😀" 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


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
# Chinese needs no space after a full stop: cut after 。！？ (or .!?… typed after a Chinese
# character), with any closing quote or bracket, and at a line end after Chinese text.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_FULL_WIDTH_PUNCTUATION = "\u3000-\u303f\uff00-\uffef"
_CLOSERS = "”’」』）》】〕\"')\\]"
_CHINESE_SENTENCE_END = re.compile(
    rf"(?:[。！？]|(?<=[{_HAN}])[.!?…]+)+[{_CLOSERS}]*"
    rf"|(?<=[{_HAN}{_FULL_WIDTH_PUNCTUATION}])(?=\n)"
)
_CHINESE_CLAUSE_END = re.compile(rf"[，；：、]+[{_CLOSERS}]*|(?<=[{_HAN}])[,;:](?!\d)")
_ZWJ = "\u200d"  # joins emoji into one: 👩‍💻


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _belongs_to_previous(text: str, at: int) -> bool:
    """Whether no cut may fall before `text[at]`: a combining mark, variation selector,
    skin tone or tag after a character, either side of a zero-width joiner, the low half
    of a surrogate pair, the second of the two regional indicators of a flag."""
    before, after = text[at - 1], text[at]
    code = ord(after)
    if 0x1F1E6 <= code <= 0x1F1FF:
        indicators = 0  # flags pair up from the start of a run of regional indicators
        while at - indicators > 0 and 0x1F1E6 <= ord(text[at - indicators - 1]) <= 0x1F1FF:
            indicators += 1
        return indicators % 2 == 1
    return (
        before == _ZWJ or after == _ZWJ
        or unicodedata.category(after) in ("Mn", "Mc", "Me")
        or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tags (subdivision flags)
        or (0xD800 <= ord(before) <= 0xDBFF and 0xDC00 <= code <= 0xDFFF)  # a surrogate pair
    )


def _hard_cut(text: str, end: int) -> int:
    """`end`, moved back so that no character or emoji sequence is split."""
    cut = end
    while cut > 0 and _belongs_to_previous(text, cut):
        cut -= 1
    return cut or end  # one sequence longer than the limit is cut where it must be


def _cut(text: str, limit: int) -> int:
    """Where to end a piece of at most `limit` UTF-16 units: after the last sentence if
    it fills at least half the piece, else after the last Chinese clause if it does,
    else at the last space or any of those, else as late as no character is split."""
    fits = _fitting(text, limit)
    window = text[: fits + 1]
    sentence_ends = [m.start() for m in _SENTENCE_END.finditer(window) if m.start() <= fits]
    sentence_ends += [m.end() for m in _CHINESE_SENTENCE_END.finditer(window) if 0 < m.end() <= fits]
    if sentence_ends and max(sentence_ends) >= fits // 2:
        return max(sentence_ends)
    clause_ends = [m.end() for m in _CHINESE_CLAUSE_END.finditer(window) if m.end() <= fits]
    if clause_ends and clause_ends[-1] >= fits // 2:
        return clause_ends[-1]
    spaces = [m.start() for m in _SPACE.finditer(window) if 0 < m.start() <= fits]
    boundaries = spaces + sentence_ends + clause_ends
    if boundaries:
        return max(boundaries)
    return _hard_cut(text, fits)


def split_message(text: str, limit: int = TWILIO_BODY_LIMIT) -> List[str]:
    """Pieces of at most `limit` characters as Twilio counts them (UTF-16 units), cut at
    sentence, Chinese clause or word boundaries."""
    pieces = []
    rest = text.strip()
    while utf16_units(rest) > limit:
        end = max(1, _cut(rest, limit))
        pieces.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def opt_out_wording(language: str = "en") -> str:
    return OPT_OUT_WORDING.get(parser_language(language), OPT_OUT_WORDING["en"])


def tells_how_to_opt_out(text: str) -> bool:
    """Whether `text` says how to opt out: "Reply STOP ...", "回复TD退订", "退订回T"."""
    return bool(_OPT_OUT_INSTRUCTION.search(text))


def with_opt_out(body: str, language: str = "en") -> str:
    """`body` with the opt-out wording in `language` on a line of its own, unless it
    already says how to opt out or back in (the keyword answers say that themselves)."""
    if not body or tells_how_to_opt_out(body) or _OPT_IN_INSTRUCTION.search(body):
        return body
    return f"{body}\n{opt_out_wording(language)}"


def join_texts(texts: Iterable[str]) -> str:
    return "\n".join(t.strip() for t in texts if t and t.strip())


def twiml(bodies: Iterable[str]) -> str:
    """<Response> with one <Message> per body; `<Response/>` when there is none."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return render(response)


def reply_bodies(texts: Iterable[str]) -> List[str]:
    """The bot's texts joined into one reply, split to Twilio's body limit with room
    left for the opt-out wording."""
    longest = max(utf16_units(wording) for wording in OPT_OUT_WORDING.values())
    return split_message(join_texts(texts), TWILIO_BODY_LIMIT - longest - 1)
