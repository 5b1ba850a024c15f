"""Dates, amounts and lists the way the borrower reads them, in the account's language.

Responses in domain.yml hold the sentences; these helpers only format the values that go
into them. Each takes the account's language tag as `language=` ("en", "zh", "zh-CN"), the
way the parsers in language do: Chinese gets Chinese formats ("2026年11月10日",
"1,234.50元"), any other language the English ones, the product's fallback.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional, Sequence

from lending.languages import is_chinese
from lending.money import format_money, to_money

ZH_WEEKDAYS = "一二三四五六日"  # Monday first, like date.weekday()


def long_date(day: dt.date, *, language: str = "en") -> str:
    """'Nov 10, 2026' / '2026年11月10日': a due date, which may be in another year."""
    if is_chinese(language):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day:%b} {day.day}, {day.year}"


def short_date(day: dt.date, *, language: str = "en") -> str:
    """'Fri, Nov 28' / '11月28日（周五）': a day in the coming weeks."""
    if is_chinese(language):
        return f"{day.month}月{day.day}日（周{ZH_WEEKDAYS[day.weekday()]}）"
    return f"{day:%a}, {day:%b} {day.day}"


def month_day(day: dt.date, *, language: str = "en") -> str:
    """'Dec 1' / '12月1日': one date in a schedule."""
    if is_chinese(language):
        return f"{day.month}月{day.day}日"
    return f"{day:%b} {day.day}"


def money(amount: Decimal, currency: str, *, language: str = "en") -> str:
    """'$1,234.50'; yuan for a Chinese reader '1,234.50元', as Chinese lenders write them.
    Other currencies keep lending.money's symbol or code in every language, so a reader
    never mistakes dollars for yuan."""
    if is_chinese(language) and currency.upper() == "CNY":
        return f"{to_money(amount):,.2f}元"
    return format_money(Decimal(amount), currency)


def day_count(days: int, *, language: str = "en") -> str:
    """'12 days' / '12天'."""
    if is_chinese(language):
        return f"{days}天"
    return "1 day" if days == 1 else f"{days} days"


def month_count(months: int, *, language: str = "en") -> str:
    """'3 months' / '3个月': a plan's length, also what a keypad choice sends to the bot
    (read back by language.parse_months in the same language)."""
    if is_chinese(language):
        return f"{months}个月"
    return "1 month" if months == 1 else f"{months} months"


def date_moves_allowed(count: int, *, language: str = "en") -> str:
    """How often a plan's dates may move, after "Your plan allows": '1 date change', 'no date
    changes'; in Chinese the whole predicate: '最多可调整1次还款日', '不可调整还款日'."""
    if is_chinese(language):
        return f"最多可调整{count}次还款日" if count else "不可调整还款日"
    if count == 0:
        return "no date changes"
    return "1 date change" if count == 1 else f"{count} date changes"


def reduction(percent: int, *, language: str = "en") -> str:
    """How much smaller a reduced instalment is than a plan's: 'half the usual', '30% less
    than usual'; '为正常月供的一半', '比正常月供少30%'."""
    if is_chinese(language):
        return "为正常月供的一半" if percent == 50 else f"比正常月供少{percent}%"
    return "half the usual" if percent == 50 else f"{percent}% less than usual"


def join_words(items: Sequence[str], *, language: str = "en") -> str:
    """'Dec 1, Jan 1 and Feb 1' / '12月1日、1月1日和2月1日'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if is_chinese(language):
        return f"{'、'.join(items[:-1])}和{items[-1]}"
    return f"{', '.join(items[:-1])} and {items[-1]}"


def list_of_methods(items: Sequence[str], *, language: str = "en") -> str:
    """Ways to pay in one sentence: 'a; b; c' / 'a；b；c'."""
    return ("；" if is_chinese(language) else "; ").join(items)


def numbered_choices(items: Sequence[str], *, language: str = "en") -> str:
    """Keypad choices said aloud. English follows the response's "Press": '1 for 3 months,
    2 for 6 months, or 3 for 12 months'; Chinese says the key with each choice:
    '按1选3个月，按2选6个月，按3选12个月'."""
    if is_chinese(language):
        return "，".join(f"按{n}选{item}" for n, item in enumerate(items, start=1))
    numbered = [f"{n} for {item}" for n, item in enumerate(items, start=1)]
    if len(numbered) <= 2:
        return " or ".join(numbered)
    return f"{', '.join(numbered[:-1])}, or {numbered[-1]}"


def reply_when(opening: Optional[dt.datetime], today: dt.date, *, language: str = "en") -> str:
    """When a person will reply, from the agents' next `opening` in the borrower's local
    time and the borrower's `today`: 'today after 9:00 AM', 'tomorrow after 8:00 AM',
    'on Monday after 9:00 AM', or 'as soon as possible' when no opening is known.
    Chinese carries its preposition as the English does ("on Monday"), so one sentence
    ("将{when}回复您") fits every case: '于今天9:00以后', '于明天8:00以后', '于周一9:00以后', '尽快'.
    """
    chinese = is_chinese(language)
    if opening is None:  # a policy with no working days: say nothing we cannot keep
        return "尽快" if chinese else "as soon as possible"
    ahead = (opening.date() - today).days
    if chinese:
        day = "今天" if ahead == 0 else "明天" if ahead == 1 else f"周{ZH_WEEKDAYS[opening.weekday()]}"
        return f"于{day}{opening.hour}:{opening.minute:02d}以后"
    day = "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"on {opening:%A}"
    clock = f"{opening:%I:%M %p}".lstrip("0")
    return f"{day} after {clock}"


def addressed_name(name: str, language: str) -> str:
    """How the bot addresses the borrower: the first name in English; in Chinese the full
    name as written, since a Chinese name starts with the surname and a lender does not use
    the given name alone."""
    return name.strip() if is_chinese(language) else name.split()[0]
