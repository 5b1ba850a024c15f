"""Turn what borrowers write into values the actions can use; pure functions, no I/O.

Each parser returns None when the message does not say one clear value, so the caller
asks again instead of guessing. Each takes the account's language as `language=` (default
"en"): "zh" / "zh-CN" read Simplified Chinese (language/zh/), any other language is
read as English, the product's fallback.
"""
from language.amounts import parse_amount
from language.dates import local_today, parse_date
from language.identity import parse_birth_date, parse_id_last4
from language.months import parse_months
from language.numbers import digits_only, words_to_number
from lending.languages import parser_language

__all__ = [
    "digits_only",
    "local_today",
    "parse_amount",
    "parse_birth_date",
    "parse_date",
    "parse_id_last4",
    "parse_months",
    "parser_language",
    "words_to_number",
]
