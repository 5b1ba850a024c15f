"""What <Say> speaks: money, dates and digits said the way people say them, nothing that
cannot be heard; short yes/no answers; speech hints per question."""
import pytest

from server.voice_text import hints_for, ordinal, speakable, yes_or_no


@pytest.mark.parametrize("written, spoken", [
    ("$453.50", "453 dollars and 50 cents"),
    ("$1.00", "1 dollar"),
    ("$1.01", "1 dollar and 1 cent"),
    ("$0.40", "40 cents"),
    ("$1,250.00", "1,250 dollars"),
    ("$12", "12 dollars"),
    ("€9.99", "9 euros and 99 cents"),
    ("£2.50", "2 pounds and 50 pence"),
])
def test_money_is_said_in_words(written, spoken):
    assert speakable(f"That's {written} today.") == f"That's {spoken} today."


@pytest.mark.parametrize("written, spoken", [
    ("Nov 10, 2026", "November 10th, 2026"),
    ("Fri, Nov 27", "Friday, November 27th"),
    ("Dec 1", "December 1st"),
    ("Jan 2", "January 2nd"),
    ("Mar 3", "March 3rd"),
    ("Feb 11", "February 11th"),
    ("May 22", "May 22nd"),
    ("Tue, Dec 23, 2026", "Tuesday, December 23rd, 2026"),
])
def test_dates_are_said_with_the_month_and_an_ordinal(written, spoken):
    assert speakable(f"Due on {written}.") == f"Due on {spoken}."


def test_a_schedule_reads_as_a_sentence():
    assert speakable("payments of $151.16 on Dec 1, Jan 1 and Feb 1") == (
        "payments of 151 dollars and 16 cents on December 1st, January 1st and February 1st"
    )


@pytest.mark.parametrize("written, spoken", [
    ("+18005550100", "1, 8 0 0, 5 5 5, 0 1 0 0"),
    ("+442071234567", "4 4 2, 0 7 1, 2 3 4, 5 6 7"),
    ("+8613912345678", "8 6 1, 3 9 1, 2 3 4, 5 6 7 8"),
])
def test_phone_numbers_are_said_digit_by_digit_in_groups(written, spoken):
    assert speakable(f"Call us on {written}.") == f"Call us on {spoken}."


def test_times_on_the_hour_drop_the_minutes():
    assert speakable("tomorrow after 9:00 AM") == "tomorrow after 9 AM"
    assert speakable("today after 6:30 PM") == "today after 6:30 PM"


def test_links_and_emoji_are_never_spoken():
    assert speakable("Pay here: https://pay.northwind.example/a/DEMO-1001 \U0001F44D thanks") == "Pay here: thanks"


def test_words_that_look_like_months_are_left_alone():
    assert speakable("You may pay in March or May.") == "You may pay in March or May."


@pytest.mark.parametrize("day, said", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                       (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (31, "31st")])
def test_ordinals(day, said):
    assert ordinal(day) == said


@pytest.mark.parametrize("answer, meaning", [
    ("Yes.", True), ("yeah sure", True), ("Yes please", True), ("That's right.", True),
    ("OK", True), ("go ahead", True),
    ("No.", False), ("no thanks", False), ("Not now.", False), ("nope", False),
    ("hmm", None), ("", None), ("yes no", None),
    ("no, I want to talk to a person please", None),  # more than a no: for the bot to read
])
def test_short_yes_and_no(answer, meaning):
    assert yes_or_no(answer) is meaning


def test_hints_follow_the_question_and_always_include_a_person():
    assert hints_for("id_last4") == "$OOV_CLASS_DIGIT_SEQUENCE, talk to a person"
    months = hints_for("months", ["3 months", "6 months", "", "/request_human"])
    assert months == "months, a year, 3 months, 6 months, talk to a person"
    assert "pay now" in hints_for("unknown-kind")
