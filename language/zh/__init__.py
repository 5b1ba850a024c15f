"""Simplified Chinese: what borrowers write, turned into values (amounts, dates, months,
identity facts). Reached through language's parsers with language="zh" (or "zh-CN"),
which keep one signature for every language; the functions here take what Chinese needs.
"""
from language.zh.amounts import parse_amount
from language.zh.dates import parse_date
from language.zh.identity import parse_birth_date, parse_id_last4
from language.zh.months import parse_months
from language.zh.numerals import digit_string, to_integer, to_number

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
