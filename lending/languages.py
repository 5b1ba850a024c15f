"""Which language's rules read a borrower's words.

Accounts carry a language tag ("en", "zh", "zh-CN", "en-GB"); the parsers take it as
`language=`. A language without rules of its own is read as English, the way the rest of
the product falls back to English (required statements, opt-out wording, templates).
"""
from __future__ import annotations

from typing import Optional

ENGLISH, CHINESE = "en", "zh"
LANGUAGES = (ENGLISH, CHINESE)


def parser_language(language: Optional[str]) -> str:
    """'zh' / 'zh-CN' / 'zh_Hans' / 'ZH' -> 'zh'; 'en-GB', 'es', None -> 'en'."""
    base = (language or ENGLISH).replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else ENGLISH


def is_chinese(language: Optional[str]) -> bool:
    return parser_language(language) == CHINESE
