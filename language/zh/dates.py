"""Dates in Chinese, resolved from the borrower's local today: 明天, 后天, 大后天, 下周五,
这周五, 周三, 15号, 十五号, 下个月15号, 月底, 下月初, 11月15日, 2026年11月15日, 3天后.

Rules only (dateparser reads little Chinese, and its guesses are not ours to make). Each
rule consumes the text it matched, longest expressions first, so "大后天" is not also "后天"
and "下个月15号" is not also "15号".
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Callable, List, Optional, Tuple

from language.days import (
    add_months,
    full_year,
    last_day_of_month,
    next_day_of_month,
    next_month_day,
    next_weekday,
    valid_date,
    weekday_of_week,
)
from language.vocabulary import alternation
from language.zh.numerals import digit_string, to_integer
from language.zh.text import blank, normalise
from language.zh.vocabulary import (
    DAY_OF_MONTH,
    RELATIVE_DAYS,
    TWO_DAYS,
    WEEK_OFFSETS,
    WEEK_WORDS,
    WEEKDAY_NAMES,
)

Resolver = Callable[[re.Match, date], Optional[date]]

_CN_SMALL = "零〇一二两三四五六七八九十"
# A small count or a day/month number: "3", "15", "十五", "三十一", "两".
_N = rf"(?:\d{{1,2}}|[{_CN_SMALL}]{{1,3}})"
# Not glued to a number before it ("12个月" is not "2个月"; "一周一次" has no 周一).
_FREE = rf"(?<![\d{_CN_SMALL}百千万几每个第])"
_WEEK = rf"(?:{alternation(WEEK_WORDS)})"
_WHICH_WEEK = rf"(?P<which>{alternation(WEEK_OFFSETS)})"
_WHICH_MONTH = r"(?P<which>下下个|下下|下个|下|这个|这|本|上个|上)"
_WEEKDAY = rf"{_WEEK}(?P<day>[一二三四五六日天]|[1-7](?!\d))(?![{_CN_SMALL}次遍回趟个])"
_LATER = r"(?P<dir>以后|之后|过后|后|以内|之内|内)"
_AGO_OR_LATER = r"(?P<dir>以后|之后|过后|后|以内|之内|内|以前|之前|前)"
# Days, weeks, months or years counted: 3天, 两周, 两个星期, 一个礼拜, 一个月 ("3月" is
# March), 一年.
_UNIT = r"(?P<unit>天|个?(?:星期|礼拜)|周|个月|年)"


def parse_date(text: str, today: date) -> Optional[date]:
    """The day Chinese `text` names, counted from the borrower's local `today`, or None.

    Open dates mean the next one, today included: "周三" / "星期三" / "礼拜三" is the next
    Wednesday, "15号" the next 15th, "11月15日" the next 15 November. "这周五" / "本周五" is
    the Friday of this calendar week (weeks start on Monday; it may have passed), "下周五"
    the Friday of next week, "上周五" of last week. "下周" is 7 days on, "下个月" the same
    day next month (clamped), "月底" this month's last day, "下月初" the 1st of next month,
    "3天后" / "三天以后" / "过三天" 3 days on, "3天内" the last of those days.
    None when no day is named, for bare numbers, vague ones ("几天后", "明后天"), impossible
    ones ("2月30号") and when the message names different days.
    """
    working = normalise(text)
    found: List[date] = []
    for pattern, resolve in _RULES:
        for match in list(pattern.finditer(working)):
            resolved = resolve(match, today)
            if resolved is None:
                return None  # it names a day we cannot pin down: ask, never guess
            found.append(resolved)
            working = blank(working, *match.span())
    distinct = set(found)
    return distinct.pop() if len(distinct) == 1 else None


# -- resolvers ------------------------------------------------------------------------------

def _number(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    return int(text) if text.isdigit() else to_integer(text)


def _relative_day(match: re.Match, today: date) -> date:
    return today + timedelta(days=RELATIVE_DAYS[match.group()])


def _two_days(_match: re.Match, _today: date) -> None:
    return None


def _offset(match: re.Match, today: date) -> Optional[date]:
    count = _number(match["count"])
    if count is None:
        return None
    if (match.groupdict().get("dir") or "").endswith("前"):
        count = -count
    unit = match["unit"]
    if unit in ("个月", "年"):
        return add_months(today, count * (12 if unit == "年" else 1))
    return today + timedelta(days=count * (1 if unit in ("天", "日") else 7))


def _weeks_on(match: re.Match) -> int:
    return WEEK_OFFSETS[match["which"]] if match["which"] else 0


def _weekday(match: re.Match, today: date) -> date:
    weekday = WEEKDAY_NAMES[match["day"]]
    if match["which"] is None:
        return next_weekday(today, weekday)
    return weekday_of_week(today, weekday, _weeks_on(match))


def _weekend(match: re.Match, today: date) -> date:
    if match["which"] is None or _weeks_on(match) == 0:
        return today if today.weekday() == 6 else next_weekday(today, 5)
    return weekday_of_week(today, 5, _weeks_on(match))


def _week_later(match: re.Match, today: date) -> date:
    return today + timedelta(days=7 * _weeks_on(match))


def _months_on(match: re.Match) -> int:
    which = match["which"] or ""
    if which.startswith("下下"):
        return 2
    if which.startswith("下"):
        return 1
    return -1 if which.startswith("上") else 0


def _month_later(match: re.Match, today: date) -> date:
    return add_months(today, _months_on(match))


def _month_part(match: re.Match, today: date) -> Optional[date]:
    """月底 / 月末: the last day; 月初: the 1st. Of this month, or the one `which` names;
    a bare 月初 is the next 1st (this month's has passed)."""
    month = add_months(today.replace(day=1), _months_on(match))
    if match["part"] in ("底", "末"):
        return last_day_of_month(month.year, month.month)
    if match["which"] is None:
        return next_day_of_month(today, 1)
    return month


def _month_day_relative(match: re.Match, today: date) -> Optional[date]:
    day = _number(match["day"])
    month = add_months(today.replace(day=1), _months_on(match))
    return valid_date(month.year, month.month, day) if day else None


def _year_of(match: re.Match, today: date) -> Optional[int]:
    year = match["year"]
    if year is None:
        return None
    if year in ("今", "本"):
        return today.year
    if year == "明":
        return today.year + 1
    if year == "去":
        return today.year - 1
    digits = year if year.isdigit() else digit_string(year)
    # A payment date's two-digit year is this century's: "26年" is 2026.
    return full_year(digits, date(2099, 12, 31)) if digits and len(digits) in (2, 4) else None


def _month_and_day(match: re.Match, today: date) -> Optional[date]:
    month, day = _number(match["month"]), _number(match["day"])
    if not month or not day:
        return None
    year = _year_of(match, today)
    if match["year"] and year is None:
        return None
    if year is None:
        return next_month_day(today, month, day)
    return valid_date(year, month, day)


def _named_month_part(match: re.Match, today: date) -> Optional[date]:
    """11月底: the last day of November, 11月初 its 1st; without a year, the next such day
    (today included)."""
    month = _number(match["month"])
    if not month or not 1 <= month <= 12:
        return None
    year = _year_of(match, today)
    if match["year"] and year is None:
        return None
    end = match["part"] in ("底", "末")
    for candidate_year in ([year] if year is not None else [today.year, today.year + 1]):
        day = last_day_of_month(candidate_year, month) if end else date(candidate_year, month, 1)
        if year is not None or day >= today:
            return day
    return None


def _iso(match: re.Match, _today: date) -> Optional[date]:
    return valid_date(int(match["y"]), int(match["m"]), int(match["d"]))


def _month_slash_day(match: re.Match, today: date) -> Optional[date]:
    first, second = int(match["m"]), int(match["d"])
    for month, day in ((first, second), (second, first)):  # 11/15, and 15/11 read back
        if 1 <= month <= 12:
            resolved = next_month_day(today, month, day)
            if resolved is not None:
                return resolved
    return None


def _day_of_month(match: re.Match, today: date) -> Optional[date]:
    day = _number(match["day"])
    return next_day_of_month(today, day) if day and day <= 31 else None


def _year_end(_match: re.Match, today: date) -> date:
    return date(today.year, 12, 31)


# -- rules ----------------------------------------------------------------------------------

def _rule(pattern: str, resolve: Resolver) -> Tuple[re.Pattern, Resolver]:
    return re.compile(pattern), resolve


_YEAR = r"(?:(?P<year>\d{4}|\d{2}|[〇零一二三四五六七八九]{2,4}|今|明|去|本)年)"
_DAY_UNIT = rf"(?:{alternation(DAY_OF_MONTH)})"

# Order matters: longer expressions first, each consuming its text.
_RULES: List[Tuple[re.Pattern, Resolver]] = [
    # 2026-11-15, 2026/11/15, 2026.11.15; 11/15 (month first, as Chinese writes dates)
    _rule(r"(?<![\d.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d.])", _iso),
    _rule(r"(?<![\d/.])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])", _month_slash_day),
    # 2026年11月15日, 11月15号, 十一月十五日, 明年3月1号
    _rule(rf"{_YEAR}?{_FREE}(?P<month>{_N})月(?:份)?(?P<day>{_N}){_DAY_UNIT}?(?![\d{_CN_SMALL}个天期次])",
          _month_and_day),
    _rule(rf"{_YEAR}?{_FREE}(?P<month>{_N})月(?:份)?(?P<part>底|末|初)", _named_month_part),
    # 3天后, 三天以后, 两个星期后, 一个月以后, 3天内, 三天前
    _rule(rf"{_FREE}(?P<count>{_N}|几){_UNIT}{_AGO_OR_LATER}", _offset),
    # 3日后, 三日内; but "15日前" is "before the 15th", read by the 15日 rule below
    _rule(rf"{_FREE}(?P<count>{_N}|几)(?P<unit>日){_LATER}", _offset),
    # 过三天, 过两周: in so many days or weeks
    _rule(rf"过(?P<count>{_N}|几){_UNIT}(?:以后|之后|后|再)?", _offset),
    _rule(alternation(TWO_DAYS), _two_days),
    _rule(alternation(RELATIVE_DAYS), _relative_day),
    _rule(r"年底|年末", _year_end),
    # 下个月15号, 下月十五日, 本月20号
    _rule(rf"{_WHICH_MONTH}月(?P<day>{_N}){_DAY_UNIT}?(?![\d{_CN_SMALL}个天期次])", _month_day_relative),
    # 月底, 本月底, 下个月底, 下月初, 月末
    _rule(rf"{_WHICH_MONTH}?月(?P<part>底|末|初)", _month_part),
    # 下周五, 这周五, 本周五, 下个星期五, 上礼拜天; 周三, 星期三, 礼拜三
    _rule(rf"{_FREE}{_WHICH_WEEK}?{_WEEKDAY}", _weekday),
    _rule(rf"{_FREE}{_WHICH_WEEK}?{_WEEK}末", _weekend),
    # 下周, 下个星期, 下下周: a week (or two) on
    _rule(rf"(?P<which>下下个|下下|下个|下){_WEEK}", _week_later),
    # 下个月, 下下个月: the same day a month (or two) on
    _rule(r"(?P<which>下下个|下下|下个|下)月(?![底末初])", _month_later),
    # 15号, 十五号, 15日 (not 1号线, a metro line)
    _rule(rf"{_FREE}(?<!月)(?P<day>{_N}){_DAY_UNIT}(?!线|楼|码|房)", _day_of_month),
]
