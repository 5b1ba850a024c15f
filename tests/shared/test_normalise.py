"""What the actions get from a borrower's words: amounts, dates, months, identity facts."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from language import (
    digits_only,
    local_today,
    parse_amount,
    parse_birth_date,
    parse_date,
    parse_id_last4,
    parse_months,
    words_to_number,
)

LA = "America/Los_Angeles"
# Tuesday 24 Nov 2026 07:30 UTC is still Monday 23 Nov, 23:30 in Los Angeles.
NOW = datetime(2026, 11, 24, 7, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 24)


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("today", "2026-11-23"),
        ("tonight", "2026-11-23"),
        ("tomorrow", "2026-11-24"),
        ("tmrw", "2026-11-24"),
        ("ill pay 2moro", "2026-11-24"),
        ("day after tomorrow", "2026-11-25"),
        ("yesterday", "2026-11-22"),
        ("friday", "2026-11-27"),
        ("this fri", "2026-11-27"),
        ("next friday", "2026-12-04"),
        ("monday", "2026-11-23"),  # today is Monday: the next Monday is today
        ("next monday", "2026-11-30"),
        ("this coming monday", "2026-11-30"),
        ("next week friday", "2026-12-04"),
        ("monday the 30th", "2026-11-30"),
        ("on sun", "2026-11-29"),
        ("last friday", "2026-11-20"),
        ("i can pay on friday", "2026-11-27"),
        ("I can pay $200 on Friday", "2026-11-27"),
        ("next week", "2026-11-30"),
        ("next month", "2026-12-23"),
        ("end of the month", "2026-11-30"),
        ("by end of week", "2026-11-27"),
        ("end of next month", "2026-12-31"),
        ("this weekend", "2026-11-28"),
        ("after the weekend", "2026-11-30"),
        ("the 15th", "2026-12-15"),
        ("on the 3rd", "2026-12-03"),
        ("by the 30", "2026-11-30"),
        ("the 23rd", "2026-11-23"),  # today counts
        ("15/12", "2026-12-15"),
        ("12/15", "2026-12-15"),
        ("3/4", "2027-03-04"),
        ("12/15/2026", "2026-12-15"),
        ("2026-12-15", "2026-12-15"),
        ("dec 3", "2026-12-03"),
        ("december 3rd", "2026-12-03"),
        ("3 december", "2026-12-03"),
        ("the 3rd of december", "2026-12-03"),
        ("nov 20", "2027-11-20"),  # already past this year
        ("feb 29", "2028-02-29"),  # the next leap day
        ("in 3 days", "2026-11-26"),
        ("in two weeks", "2026-12-07"),
        ("in a couple of days", "2026-11-25"),
        ("2 weeks from now", "2026-12-07"),
        ("a week from tomorrow", "2026-12-01"),
        ("2 days ago", "2026-11-21"),
        ("christmas", "2026-12-25"),
        ("i can pay in about two weeks", "2026-12-07"),  # dateparser's part
        ("within 30 days", "2026-12-23"),
    ],
)
def test_dates_resolve_in_the_borrowers_time_zone(text, expected):
    assert parse_date(text, LA, now=NOW) == d(expected)


@pytest.mark.parametrize(
    "text, zone, now, expected",
    [
        ("tomorrow", "UTC", NOW, "2026-11-25"),
        ("tomorrow", LA, NOW, "2026-11-24"),
        ("today", "Asia/Shanghai", datetime(2026, 11, 23, 17, tzinfo=timezone.utc), "2026-11-24"),
        ("today", LA, datetime(2026, 11, 24, 7, 30), "2026-11-23"),  # naive now is UTC
        ("end of the month", LA, datetime(2028, 2, 10, 18, 0, tzinfo=timezone.utc), "2028-02-29"),
        ("end of the month", LA, datetime(2027, 2, 10, 18, 0, tzinfo=timezone.utc), "2027-02-28"),
        ("next month", LA, datetime(2027, 1, 31, 20, 0, tzinfo=timezone.utc), "2027-02-28"),
        ("next month", LA, datetime(2028, 1, 31, 20, 0, tzinfo=timezone.utc), "2028-02-29"),
        ("end of the month", LA, datetime(2026, 12, 31, 20, 0, tzinfo=timezone.utc), "2026-12-31"),
        ("the 31st", LA, datetime(2026, 11, 5, 20, 0, tzinfo=timezone.utc), "2026-12-31"),
        ("2/29/2028", LA, NOW, "2028-02-29"),
    ],
)
def test_time_zones_month_ends_and_leap_years(text, zone, now, expected):
    assert parse_date(text, zone, now=now) == d(expected)


@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("3/4", "MDY", "2027-03-04"),
        ("3/4", "DMY", "2027-04-03"),
        ("15/12", "MDY", "2026-12-15"),  # no month 15: read the other way
        ("12/15", "DMY", "2026-12-15"),
        ("03/04/2027", "DMY", "2027-04-03"),
    ],
)
def test_date_order_reads_numeric_dates(text, order, expected):
    assert parse_date(text, LA, now=NOW, date_order=order) == d(expected)


@pytest.mark.parametrize(
    "text",
    [
        "3", "4821", "200", "i paid 200", "hello", "", "i may pay later", "pay now", "$12.15",
        "12.15", "friday or saturday", "tomorrow, no, friday", "i'm 45 years old", "december",
        "2/29/2027", "13/13", "sat", "i sat on it", "for 3 months", "call me at 5",
    ],
)
def test_dates_refuse_what_names_no_single_day(text):
    assert parse_date(text, LA, now=NOW) is None


def test_date_order_must_be_known():
    with pytest.raises(ValueError):
        parse_date("3/4", LA, now=NOW, date_order="YDM")


def test_local_today_is_the_borrowers_day():
    assert local_today(LA, NOW) == date(2026, 11, 23)
    assert local_today("Europe/London", NOW) == date(2026, 11, 24)


# -- amounts ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("$1,250.50", "1250.50"),
        ("$200", "200.00"),
        ("$ 200", "200.00"),
        ("200$", "200.00"),
        ("200 dollars", "200.00"),
        ("150 bucks", "150.00"),
        ("200 usd", "200.00"),
        ("USD 200", "200.00"),
        ("200usd", "200.00"),
        ("two hundred", "200.00"),
        ("two hundred dollars", "200.00"),
        ("two hundred and fifty", "250.00"),
        ("twenty-five bucks", "25.00"),
        ("a hundred dollars", "100.00"),
        ("2 hundred dollars", "200.00"),
        ("1.2k", "1200.00"),
        ("$2k", "2000.00"),
        ("500", "500.00"),
        ("1,250", "1250.00"),
        ("$35.5", "35.50"),
        ("$10.005", "10.01"),
        ("i can pay 200 on the 15th", "200.00"),
        ("I can pay $200 on Friday", "200.00"),
        ("pay 100 over 3 months", "100.00"),
        ("around 100", "100.00"),
        ("$200 now, $200 friday", "200.00"),  # the same amount twice is one amount
    ],
)
def test_amounts(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "", "nothing", "3 months", "in 2 days", "on 12/15", "dec 3", "the 15th", "10%", "5pm",
        "i owe $500 but can pay $200", "200 or 300", "1,25", "one", "this one", "-200",
    ],
)
def test_amounts_refuse_what_is_not_one_amount(text):
    assert parse_amount(text) is None


# -- months ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("3 months", 3),
        ("six months", 6),
        ("12 mo", 12),
        ("3 mos", 3),
        ("3mos", 3),
        ("3-month plan", 3),
        ("3 monthly payments", 3),
        ("4 instalments", 4),
        ("4 installments", 4),
        ("twenty four months", 24),
        ("a year", 12),
        ("2 years", 24),
        ("half a year", 6),
        ("a year and a half", 18),
        ("6", 6),
        ("six", 6),
        ("6 please", 6),
        ("i can pay $200 over 6", 6),
        ("can i pay 100 a month for 6 months", 6),
    ],
)
def test_months(text, expected):
    assert parse_months(text) == expected


@pytest.mark.parametrize(
    "text", ["", "nothing", "$6", "200", "0", "one", "a month", "3 months or 6 months", "6 or 9"]
)
def test_months_refuse_what_is_not_one_count(text):
    assert parse_months(text) is None


# -- birth dates -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("12/03/1985", "1985-12-03"),
        ("born 12/03/1985", "1985-12-03"),
        ("03-12-85", "1985-03-12"),
        ("12.03.1985", "1985-12-03"),
        ("1985-03-12", "1985-03-12"),
        ("march 3 1985", "1985-03-03"),
        ("3 march 1985", "1985-03-03"),
        ("born on the 3rd of march, 1985", "1985-03-03"),
        ("march 3rd '85", "1985-03-03"),
        ("13/03/1985", "1985-03-13"),  # no month 13: read day first
        ("02/29/1984", "1984-02-29"),
        ("feb 29 1996", "1996-02-29"),
        ("1/12/99", "1999-01-12"),
        ("01/01/03", "2003-01-01"),
    ],
)
def test_birth_dates(text, expected):
    assert parse_birth_date(text, today=TODAY) == d(expected)


def test_birth_date_order_can_be_day_first():
    assert parse_birth_date("12/03/1985", date_order="DMY", today=TODAY) == date(1985, 3, 12)


@pytest.mark.parametrize(
    "text",
    [
        "", "hello", "13/13/1985", "02/29/1985", "12/31/26", "2030-01-01", "1899-01-01",
        "12/03/1985 or 03/12/1985", "march 1985", "12/03", "4821",
    ],
)
def test_birth_dates_refuse_impossible_future_or_unclear_dates(text):
    assert parse_birth_date(text, today=TODAY) is None


# -- ID digits -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("4821", "4821"),
        ("last 4 are 4821", "4821"),
        ("my last 4 4821", "4821"),
        ("last four: 8806", "8806"),
        ("48 21", "4821"),
        ("4 8 2 1", "4821"),
        ("48-21", "4821"),
        ("id ends in 0457.", "0457"),
        ("30/10/1991 and last 4 4402", "4402"),
    ],
)
def test_id_last4(text, expected):
    assert parse_id_last4(text) == expected


@pytest.mark.parametrize(
    "text", ["", "none", "482", "48211", "4821 1234", "12/03/1985", "march 3 1985", "555 123 4567"]
)
def test_id_last4_refuses_anything_but_one_group_of_four(text):
    assert parse_id_last4(text) is None


# -- small helpers ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected", [("48 21", "4821"), ("no digits", ""), ("a1b2", "12")]
)
def test_digits_only(text, expected):
    assert digits_only(text) == expected


@pytest.mark.parametrize(
    "words, expected",
    [("two hundred and fifty", 250), ("twenty-five", 25), ("a hundred", 100),
     ("one thousand two hundred", 1200), ("twelve hundred", 1200), ("fifty cats", None)],
)
def test_words_to_number(words, expected):
    assert words_to_number(words) == expected
