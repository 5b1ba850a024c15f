"""Values formatted for the borrower's language (language/wording.py): English by default and
for any language without formats of its own, Chinese for "zh" and "zh-CN"."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from language.wording import (
    day_count,
    join_words,
    long_date,
    money,
    month_count,
    month_day,
    numbered_choices,
    reply_when,
    short_date,
)

DUE = dt.date(2026, 11, 10)
FRIDAY = dt.date(2026, 11, 27)
SCHEDULE = ["Dec 1", "Jan 1", "Feb 1"]
ZH_SCHEDULE = ["12月1日", "1月1日", "2月1日"]


@pytest.mark.parametrize("language", ["en", "en-GB", "es", None])
def test_english_and_the_fallback(language):
    kw = {"language": language} if language else {}
    assert long_date(DUE, **kw) == "Nov 10, 2026"
    assert short_date(FRIDAY, **kw) == "Fri, Nov 27"
    assert month_day(dt.date(2026, 12, 1), **kw) == "Dec 1"
    assert money(Decimal("1234.5"), "USD", **kw) == "$1,234.50"
    assert money(Decimal("1234.5"), "CNY", **kw) == "¥1,234.50"
    assert (day_count(1, **kw), day_count(12, **kw)) == ("1 day", "12 days")
    assert (month_count(1, **kw), month_count(3, **kw)) == ("1 month", "3 months")
    assert join_words(SCHEDULE, **kw) == "Dec 1, Jan 1 and Feb 1"
    assert numbered_choices(["3 months", "6 months", "12 months"], **kw) == (
        "1 for 3 months, 2 for 6 months, or 3 for 12 months")


@pytest.mark.parametrize("language", ["zh", "zh-CN"])
def test_chinese(language):
    assert long_date(DUE, language=language) == "2026年11月10日"
    assert short_date(FRIDAY, language=language) == "11月27日（周五）"
    assert short_date(dt.date(2026, 11, 29), language=language) == "11月29日（周日）"
    assert month_day(dt.date(2026, 12, 1), language=language) == "12月1日"
    assert money(Decimal("1234.5"), "CNY", language=language) == "1,234.50元"
    assert day_count(12, language=language) == "12天"
    assert month_count(3, language=language) == "3个月"
    assert join_words(ZH_SCHEDULE, language=language) == "12月1日、1月1日和2月1日"
    assert join_words(ZH_SCHEDULE[:2], language=language) == "12月1日和1月1日"
    assert numbered_choices(["3个月", "6个月", "12个月"], language=language) == (
        "按1选3个月，按2选6个月，按3选12个月")


@pytest.mark.parametrize(
    "amount, currency, language, text",
    [
        ("0.005", "CNY", "zh", "0.01元"),  # rounded half up to cents, as everywhere
        ("1000000", "CNY", "zh-CN", "1,000,000.00元"),
        ("12.3", "cny", "zh", "12.30元"),
        # another currency keeps its symbol or code for a Chinese reader: never read as yuan
        ("453.5", "USD", "zh", "$453.50"),
        ("99", "HKD", "zh", "99.00 HKD"),
    ],
)
def test_money_stays_exact(amount, currency, language, text):
    assert money(Decimal(amount), currency, language=language) == text


def test_a_single_item_is_not_joined():
    assert join_words(["Dec 1"]) == "Dec 1"
    assert join_words(["12月1日"], language="zh") == "12月1日"
    assert join_words([]) == ""


def test_two_keypad_choices():
    assert numbered_choices(["2 months", "3 months"]) == "1 for 2 months or 2 for 3 months"
    assert numbered_choices(["2个月", "3个月"], language="zh") == "按1选2个月，按2选3个月"


SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    "opening, en, zh",
    [
        (dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), "today after 9:00 AM", "于今天9:00以后"),
        (dt.datetime(2026, 11, 25, 22, 0, tzinfo=SHANGHAI), "tomorrow after 10:00 PM", "于明天22:00以后"),
        (dt.datetime(2026, 11, 30, 8, 30, tzinfo=SHANGHAI), "on Monday after 8:30 AM", "于周一8:30以后"),
        (None, "as soon as possible", "尽快"),
    ],
)
def test_when_a_person_replies(opening, en, zh):
    assert reply_when(opening, TUESDAY) == en
    assert reply_when(opening, TUESDAY, language="zh-CN") == zh
