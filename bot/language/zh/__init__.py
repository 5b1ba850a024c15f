"""Simplified Chinese: what borrowers write, turned into values (amounts, dates, months,
identity facts). Reached through bot.language's parsers with language="zh" (or "zh-CN"),
which keep one signature for every language; the functions here take what Chinese needs.
"""
from bot.language.zh.amounts import parse_amount
from bot.language.zh.dates import parse_date
from bot.language.zh.identity import parse_birth_date, parse_id_last4
from bot.language.zh.months import parse_months
from bot.language.zh.numerals import digit_string, to_integer, to_number

__all__ = [
    "digit_string",
    "parse_amount",
    "parse_birth_date",
    "parse_date",
    "parse_id_last4",
    "parse_months",
    "to_integer",
    "to_number",
]
