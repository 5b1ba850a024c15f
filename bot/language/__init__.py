"""Turn what borrowers write into values the actions can use; pure functions, no I/O.

Each parser returns None when the message does not say one clear value, so the caller
asks again instead of guessing. Each takes the account's language as `language=` (default
"en"): "zh" / "zh-CN" read Simplified Chinese (bot/language/zh/), any other language is
read as English, the product's fallback.
"""
from bot.language.amounts import parse_amount
from bot.language.dates import local_today, parse_date
from bot.language.identity import parse_birth_date, parse_id_last4
from bot.language.languages import parser_language
from bot.language.months import parse_months
from bot.language.numbers import digits_only, words_to_number

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
