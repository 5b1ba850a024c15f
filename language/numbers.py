"""Numbers as borrowers type them: digits with thousands commas, or words."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator, Optional, Tuple

from language.vocabulary import NUMBER_WORDS, SCALE_WORDS, alternation

# 1250, 1,250, 1,250.50, 20.5 (callers decide what may stand around it)
DECIMAL = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"

_WORD = alternation([*NUMBER_WORDS, *SCALE_WORDS])
# "two hundred and fifty", "twenty-five", "a hundred": a run of number words.
NUMBER_WORD_RUN = re.compile(
    rf"\b(?:an?\s+(?=(?:{alternation(SCALE_WORDS)})\b))?(?:{_WORD})"
    rf"(?:(?:\s+and\s+|\s*-\s*|\s+)(?:{_WORD}))*\b"
)


def digits_only(text: str) -> str:
    """The digits of `text` in order: '48 21' -> '4821', 'no digits' -> ''."""
    return "".join(ch for ch in text if ch.isdigit())


def decimal_from(token: str) -> Decimal:
    """'1,250.50' -> Decimal('1250.50'); the caller has matched DECIMAL already."""
    return Decimal(token.replace(",", ""))


def words_to_number(words: str) -> Optional[int]:
    """'two hundred and fifty' -> 250, 'twenty-five' -> 25, 'a hundred' -> 100;
    None when a word is not a number word."""
    total = current = 0
    seen_any = False
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if word in ("and", ""):
            continue
        if word in ("a", "an"):
            current = current or 1
        elif word in NUMBER_WORDS:
            current += NUMBER_WORDS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
        seen_any = True
    return total + current if seen_any else None


def number_word_runs(text: str) -> Iterator[Tuple[re.Match, int]]:
    """Each run of number words in `text` with its value, in order of appearance."""
    for match in NUMBER_WORD_RUN.finditer(text.lower()):
        value = words_to_number(match.group())
        if value is not None:
            yield match, value
