"""Which of the relief options read out a borrower picks: by its number ("2", "the second",
"第二个") or by what it is ("the smaller payments", "waive the fees", "免除费用"), and whether
they turn them all down ("no thanks", "都不需要")."""
from __future__ import annotations

import re
from typing import Dict, Optional, Sequence

from language.instalments import ORDINALS
from language.vocabulary import NUMBER_WORDS, alternation
from language.zh.numerals import to_integer
from language.zh.text import normalise
from lending.languages import is_chinese

# What each kind of relief (lending.relief) is called in a reply.
_KINDS: Dict[str, Dict[str, re.Pattern]] = {
    "en": {
        "reduced_plan": re.compile(r"smaller|reduc|lower|less|cheaper|half|monthly|instal|install|plan"),
        "fee_waiver": re.compile(r"\bfees?\b|waive|charges"),
        "breathing_space": re.compile(r"break|breath|space|pause|no contact|hold|time off"),
    },
    "zh": {
        "reduced_plan": re.compile(r"减少|降低|少还|月供|减半|一半|分期"),
        "fee_waiver": re.compile(r"费用|免除|减免|免掉|手续费|罚息|免费"),
        "breathing_space": re.compile(r"暂停|喘息|缓一缓|缓缓|别联系|不联系|不要联系|休息"),
    },
}
_DECLINES = {
    "en": re.compile(r"\b(?:no|nope|nah|none|neither|nothing|not interested|not really)\b"),
    "zh": re.compile(r"不用|不需要|都不|不要|算了|没有合适"),
}
_EN_NUMBER = re.compile(rf"(?<![\d.,$])\b(?P<n>\d|{alternation(NUMBER_WORDS)}|{alternation(ORDINALS)}|\d(?:st|nd|rd|th))\b(?![\d.,])")
# A Chinese numeral only as a choice ("第二个", "选一", "2号"): 一 alone is in many words (缓一缓).
_ZH_NUMBER = re.compile(r"(?:第|选择?)(?P<n>\d|[一二三两])|(?P<m>[一二三两])(?:个|项|号)"
                        r"|(?<![\d.])(?P<d>\d)(?![\d.月天期个])")


def _language(language: str) -> str:
    return "zh" if is_chinese(language) else "en"


def _number(text: str, language: str) -> Optional[int]:
    if language == "zh":
        found = [next(g for g in groups if g) for groups in _ZH_NUMBER.findall(normalise(text))]
        values = {int(n) if n.isdigit() else to_integer(n) for n in found}
    else:
        values = set()
        for word in _EN_NUMBER.findall(text.lower()):
            digits = re.sub(r"\D", "", word)
            values.add(int(digits) if digits else ORDINALS.get(word, NUMBER_WORDS.get(word)))
    return values.pop() if len(values) == 1 else None


def parse_relief_choice(text: str, offered: Sequence[str], *, language: str = "en") -> Optional[str]:
    """The kind in `offered` (numbered from 1 in that order) the reply picks; None when it
    names none, or more than one."""
    lang = _language(language)
    number = _number(text, lang)
    if number is not None:
        return offered[number - 1] if 1 <= number <= len(offered) else None
    said = normalise(text) if lang == "zh" else text.lower()
    named = [kind for kind in offered if _KINDS[lang][kind].search(said)]
    return named[0] if len(named) == 1 else None


def declines(text: str, *, language: str = "en") -> bool:
    """Whether the reply turns every option down."""
    lang = _language(language)
    said = normalise(text) if lang == "zh" else text.lower()
    return bool(_DECLINES[lang].search(said))
