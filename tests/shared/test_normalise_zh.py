"""What the actions get from a borrower's Chinese: amounts, dates, months, identity facts.

The parsers are the same functions as for English (tests/unit/test_normalise.py), reached
with the account's language.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from language import (
    parse_amount,
    parse_birth_date,
    parse_date,
    parse_id_last4,
    parse_months,
    parser_language,
)
from language.zh import digit_string, to_number

SHANGHAI = "Asia/Shanghai"
ZH = "zh-CN"
# Tuesday 24 Nov 2026, 09:30 in Shanghai.
NOW = datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 24)


def d(text: str) -> date:
    return date.fromisoformat(text)


def shanghai(local: str) -> datetime:
    """A wall-clock time in Shanghai, as an aware datetime."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(SHANGHAI))


# -- which language reads the text -----------------------------------------------------------

@pytest.mark.parametrize("language, expected", [
    ("zh", "zh"), ("zh-CN", "zh"), ("ZH", "zh"), ("zh_Hans", "zh"), ("zh-Hans-CN", "zh"),
    ("en", "en"), ("en-GB", "en"), ("es", "en"), ("", "en"), (None, "en"),
])
def test_the_accounts_language_picks_the_rules(language, expected):
    assert parser_language(language) == expected


def test_english_stays_the_default_and_reads_no_chinese():
    assert parse_amount("五百") is None
    assert parse_amount("500") == Decimal("500.00")
    assert parse_amount("五百", language="zh") == Decimal("500.00")
    assert parse_date("明天", SHANGHAI, now=NOW) is None
    assert parse_months("分3期") is None
    assert parse_id_last4("四八二一") is None
    assert parse_id_last4("四八二一", language="zh") == "4821"


def test_chinese_rules_still_read_digits_and_iso_dates():
    assert parse_amount("$200", language=ZH) == Decimal("200.00")
    assert parse_date("2026-12-15", SHANGHAI, now=NOW, language=ZH) == d("2026-12-15")


# -- numerals --------------------------------------------------------------------------------

@pytest.mark.parametrize("run, expected", [
    ("五百", "500"), ("一千二", "1200"), ("一千零二", "1002"), ("两千五百", "2500"),
    ("十五", "15"), ("十", "10"), ("二十", "20"), ("一百零五", "105"), ("一百一", "110"),
    ("三百五十", "350"), ("一万二", "12000"), ("三万五千二", "35200"), ("十万", "100000"),
    ("一亿三千万", "130000000"), ("3百", "300"), ("3千5", "3500"), ("2万5", "25000"),
    ("1万2000", "12000"), ("一百20", "120"), ("1.5万", "15000"), ("一点五万", "15000"),
    ("三点五", "3.5"), ("1,200", "1200"), ("壹仟贰佰", "1200"), ("零", "0"),
])
def test_chinese_numerals(run, expected):
    assert to_number(run) == Decimal(expected)


@pytest.mark.parametrize("run", ["千万", "万一", "百分", "一二", "一百一千", "一万二万", "", "abc", "点五"])
def test_runs_that_are_words_or_digit_strings_are_not_positional_numbers(run):
    assert to_number(run) is None


@pytest.mark.parametrize("run, expected", [
    ("一九八八", "1988"), ("四八二一", "4821"), ("二〇二六", "2026"), ("幺零二", "102"),
    ("48二1", "4821"), ("两千", None), ("十五", None), ("", None),
])
def test_digit_strings(run, expected):
    assert digit_string(run) == expected


# -- amounts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("五百", "500.00"),
    ("500元", "500.00"),
    ("500块钱", "500.00"),
    ("一千二", "1200.00"),
    ("两千五百块", "2500.00"),
    ("¥300", "300.00"),
    ("￥３００", "300.00"),  # full-width, as Chinese input methods type it
    ("人民币300元", "300.00"),
    ("3百", "300.00"),
    ("1.5万", "15000.00"),
    ("1.5w", "15000.00"),
    ("2k", "2000.00"),
    ("三百五十块五毛", "350.50"),
    ("三百五十元五角", "350.50"),
    ("三块五", "3.50"),
    ("一块五毛五", "1.55"),
    ("一百零五块", "105.00"),
    ("1,200元", "1200.00"),
    ("200刀", "200.00"),
    ("$200", "200.00"),
    ("1200", "1200.00"),
    ("我下周五可以先还五百块", "500.00"),  # 周五 is a day, not 5
    ("周五500块", "500.00"),
    ("15号还500", "500.00"),
    ("分3期每期500", "500.00"),
    ("能不能分6期，每期八百", "800.00"),
    ("我3天后还300元", "300.00"),
    ("五百块5号还", "500.00"),  # 5号 is a day, not 5 jiao
    ("十多天后还500", "500.00"),
    ("大概三百", "300.00"),
    ("500元，500元", "500.00"),  # the same amount twice is one amount
    ("五块儿钱", "5.00"),
    ("2026元旦前还500", "500.00"),  # 元旦 (New Year's Day) is no yuan
])
def test_amounts(text, expected):
    assert parse_amount(text, language=ZH) == Decimal(expected)


@pytest.mark.parametrize("text", [
    "", "你好", "全部", "全额", "全部还清", "一次性还清可以吗",  # the whole balance: the dialogue decides
    "一", "我一直在还", "等一下", "我们一块儿还", "千万别打电话", "万一还不上",
    "分3期", "3个月", "15号", "下午3点", "周五", "十一月", "10%", "百分之十", "打8折",
    "尾号4821", "后四位是4821", "第一期",
    "一千多", "一千多块",  # about a thousand: ask
    "五百或者六百", "我欠两万块先还五千块", "还200，300可以吗", "-200", "五毛",
])
def test_amounts_refuse_what_is_not_one_amount(text):
    assert parse_amount(text, language=ZH) is None


# -- dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("今天", "2026-11-24"),
    ("明天", "2026-11-25"),
    ("我明天下午3点还", "2026-11-25"),
    ("后天", "2026-11-26"),
    ("大后天", "2026-11-27"),
    ("昨天", "2026-11-23"),
    ("下周五", "2026-12-04"),
    ("下个星期五", "2026-12-04"),
    ("下礼拜天", "2026-12-06"),
    ("下下周五", "2026-12-11"),
    ("这周五", "2026-11-27"),
    ("本周五", "2026-11-27"),
    ("这周一", "2026-11-23"),  # this week's Monday, yesterday: the action judges past days
    ("上周五", "2026-11-20"),
    ("周三", "2026-11-25"),
    ("星期三", "2026-11-25"),
    ("礼拜三", "2026-11-25"),
    ("周二", "2026-11-24"),  # today is Tuesday: the next Tuesday is today
    ("星期日", "2026-11-29"),
    ("周五500块", "2026-11-27"),
    ("周5", "2026-11-27"),
    ("礼拜天", "2026-11-29"),
    ("周末", "2026-11-28"),
    ("下周末", "2026-12-05"),
    ("15号", "2026-12-15"),
    ("十五号", "2026-12-15"),
    ("15日", "2026-12-15"),
    ("24号", "2026-11-24"),  # today counts
    ("三十一号", "2026-12-31"),
    ("下个月15号", "2026-12-15"),
    ("下月十五日", "2026-12-15"),
    ("这个月底前还清", "2026-11-30"),
    ("月底", "2026-11-30"),
    ("月末", "2026-11-30"),
    ("本月底", "2026-11-30"),
    ("下个月底", "2026-12-31"),
    ("下月初", "2026-12-01"),
    ("下个月初还两千五", "2026-12-01"),
    ("月初", "2026-12-01"),
    ("11月15日", "2027-11-15"),  # already past this year
    ("11月15号", "2027-11-15"),
    ("12月3号", "2026-12-03"),
    ("十二月三十一日", "2026-12-31"),
    ("2026年11月15日", "2026-11-15"),  # a year given is kept, past or not
    ("2026年12月15日", "2026-12-15"),
    ("二〇二六年十二月三日", "2026-12-03"),
    ("26年12月3号", "2026-12-03"),
    ("明年3月1号", "2027-03-01"),
    ("请于11月30日前还款", "2026-11-30"),
    ("15日前", "2026-12-15"),  # before the 15th, not 15 days ago
    ("12月底", "2026-12-31"),
    ("年底", "2026-12-31"),
    ("2026-12-15", "2026-12-15"),
    ("2026/12/15", "2026-12-15"),
    ("12/15", "2026-12-15"),
    ("3天后", "2026-11-27"),
    ("三天以后", "2026-11-27"),
    ("三天之后", "2026-11-27"),
    ("3日后", "2026-11-27"),
    ("过三天", "2026-11-27"),
    ("3天内", "2026-11-27"),
    ("两周后", "2026-12-08"),
    ("两个星期以后", "2026-12-08"),
    ("一个月后", "2026-12-24"),
    ("三天前", "2026-11-21"),
    ("下周", "2026-12-01"),
    ("下个月", "2026-12-24"),
    ("能宽限到下个月吗", "2026-12-24"),
    ("没钱，下个月10号发工资", "2026-12-10"),
    ("好的，下周一还款", "2026-11-30"),
    ("明天，明天", "2026-11-25"),
])
def test_dates_resolve_from_the_borrowers_today(text, expected):
    assert parse_date(text, SHANGHAI, now=NOW, language=ZH) == d(expected)


@pytest.mark.parametrize("text", [
    "", "你好", "5", "4821", "500元", "分3期", "3个月", "12个月", "3月", "六月份",
    "明后天", "今明两天", "明天或者后天", "几天后", "过几天再说",  # vague or two days
    "2月30号", "32号", "13月1日", "2026年2月29日",  # no such day
    "一周一次", "每周一", "1号线", "十一月", "周12",
])
def test_dates_refuse_what_names_no_single_day(text):
    assert parse_date(text, SHANGHAI, now=NOW, language=ZH) is None


@pytest.mark.parametrize("text, local_now, expected", [
    # 月底 on the last day of the month is today; 下月初 then is tomorrow
    ("月底", "2026-11-30T10:00", "2026-11-30"),
    ("下月初", "2026-11-30T10:00", "2026-12-01"),
    ("月底", "2028-02-10T10:00", "2028-02-29"),  # leap year
    ("月底", "2027-02-10T10:00", "2027-02-28"),
    ("下个月", "2027-01-31T10:00", "2027-02-28"),  # clamped to the month's end
    # said on a Friday: 下周五 is next week's, 周五 and 这周五 today
    ("下周五", "2026-11-27T10:00", "2026-12-04"),
    ("周五", "2026-11-27T10:00", "2026-11-27"),
    ("这周五", "2026-11-27T10:00", "2026-11-27"),
    # across a month's end and a year's end
    ("3天后", "2026-11-29T10:00", "2026-12-02"),
    ("明天", "2026-12-31T10:00", "2027-01-01"),
    ("下周一", "2026-12-29T10:00", "2027-01-04"),
    ("15号", "2026-12-20T10:00", "2027-01-15"),
    ("三十一号", "2026-11-05T10:00", "2026-12-31"),  # skips 30-day November
    ("12月底", "2027-01-02T10:00", "2027-12-31"),
])
def test_month_ends_week_edges_and_crossing_months(text, local_now, expected):
    assert parse_date(text, SHANGHAI, now=shanghai(local_now), language=ZH) == d(expected)


def test_shanghai_and_utc_disagree_about_today_near_midnight():
    # 00:30 on Wednesday 25 Nov in Shanghai is still 16:30 on Tuesday 24 Nov in UTC.
    just_after_midnight = datetime(2026, 11, 24, 16, 30, tzinfo=timezone.utc)
    assert parse_date("明天", SHANGHAI, now=just_after_midnight, language=ZH) == d("2026-11-26")
    assert parse_date("明天", "UTC", now=just_after_midnight, language=ZH) == d("2026-11-25")
    assert parse_date("周三", SHANGHAI, now=just_after_midnight, language=ZH) == d("2026-11-25")
    assert parse_date("周三", "UTC", now=just_after_midnight, language=ZH) == d("2026-11-25")
    assert parse_date("今天", SHANGHAI, now=just_after_midnight, language=ZH) == d("2026-11-25")
    # 23:59 on 30 Nov in Shanghai: still the month's last day there, not in UTC's December
    last_minute = datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc)
    assert parse_date("月底", SHANGHAI, now=last_minute, language=ZH) == d("2026-11-30")
    a_minute_later = datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    assert parse_date("月底", SHANGHAI, now=a_minute_later, language=ZH) == d("2026-12-31")
    assert parse_date("月底", "UTC", now=a_minute_later, language=ZH) == d("2026-11-30")


def test_a_naive_now_is_utc_and_the_date_order_is_still_checked():
    assert parse_date("今天", SHANGHAI, now=datetime(2026, 11, 24, 16, 30), language=ZH) == d("2026-11-25")
    with pytest.raises(ValueError):
        parse_date("明天", SHANGHAI, now=NOW, date_order="YDM", language=ZH)


# -- months ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("分3期", 3),
    ("分三期", 3),
    ("分成3期", 3),
    ("12期", 12),
    ("十二期", 12),
    ("两期", 2),
    ("六个月", 6),
    ("6个月", 6),
    ("分6个月", 6),
    ("分十二个月", 12),
    ("我能分六个月还吗", 6),
    ("半年", 6),
    ("一年", 12),
    ("两年", 24),
    ("一年半", 18),
    ("6", 6),
    ("六", 6),
    ("十二", 12),
    ("分3期，每期500块", 3),
    ("2000块能分3期吗", 3),
])
def test_months(text, expected):
    assert parse_months(text, language=ZH) == expected


@pytest.mark.parametrize("text", [
    "", "你好", "分期", "200", "0", "一", "6块", "¥6", "第3期", "3月", "下个月", "周三", "3号",
    "下周五", "分3期还是6期", "6或者9",
])
def test_months_refuse_what_is_not_one_count(text):
    assert parse_months(text, language=ZH) is None


# -- birth dates -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1988年3月14日", "1988-03-14"),
    ("1988年3月14号", "1988-03-14"),
    ("1988年03月14日", "1988-03-14"),
    ("我生日是1988年3月14日", "1988-03-14"),
    ("一九八八年三月十四日", "1988-03-14"),
    ("88年3月14号", "1988-03-14"),
    ("03年1月1日", "2003-01-01"),
    ("1988-03-14", "1988-03-14"),
    ("1988/3/14", "1988-03-14"),
    ("1988.03.14", "1988-03-14"),
    ("19880314", "1988-03-14"),
    ("出生日期：19880314", "1988-03-14"),
    ("1988年3月14日，也就是1988-03-14", "1988-03-14"),
])
def test_birth_dates(text, expected):
    assert parse_birth_date(text, today=TODAY, language=ZH) == d(expected)


def test_birth_dates_with_the_year_last_follow_the_date_order():
    assert parse_birth_date("14/03/1988", date_order="DMY", today=TODAY, language=ZH) == d("1988-03-14")
    assert parse_birth_date("03/14/1988", date_order="MDY", today=TODAY, language=ZH) == d("1988-03-14")


@pytest.mark.parametrize("text", [
    "", "你好", "3月14日", "1988年", "1988年2月30日", "2030年1月1日", "1899年1月1日",
    "110101198803140012",  # a full ID number is never read, nor its birth date
    "1988年3月14日或1988年3月15日", "4821", "19881314",
])
def test_birth_dates_refuse_impossible_future_or_unclear_dates(text):
    assert parse_birth_date(text, today=TODAY, language=ZH) is None


# -- ID characters ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("4821", "4821"),
    ("后四位是4821", "4821"),
    ("后4位：4821", "4821"),
    ("身份证后四位4821", "4821"),
    ("我的身份证号后四位是4821", "4821"),
    ("最后四位是 4 8 2 1", "4821"),
    ("尾号4821", "4821"),
    ("尾号是四八二一", "4821"),
    ("后四位是零四五七", "0457"),
    ("０４５７", "0457"),
    ("尾号482x", "482X"),  # a Chinese ID number may end in the check character X
    ("尾号4821，生日1988年3月14日", "4821"),
    ("3月14日 4821", "4821"),
    ("我叫张三 4821", "4821"),
])
def test_id_last4(text, expected):
    assert parse_id_last4(text, language=ZH) == expected


@pytest.mark.parametrize("text", [
    "", "没有", "482", "48211", "4821 1234", "1988年3月14日", "19880314", "13812345678",
    "110101198803140012", "2000块", "¥4821",
])
def test_id_last4_refuses_anything_but_one_group_of_four(text):
    assert parse_id_last4(text, language=ZH) is None
