"""What <Say> speaks: money, dates and digits said the way people say them, nothing that
cannot be heard; short yes/no answers; speech hints per question."""
import pytest

from server.voice.text import hints_for, ordinal, speakable, yes_or_no


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


# --- Mandarin (server/voice/text_zh.py) ----------------------------------------------------

@pytest.mark.parametrize("written, spoken", [
    ("1,234.50元", "一千二百三十四元五角"),
    ("1234.05元", "一千二百三十四元零五分"),
    ("453.55元", "四百五十三元五角五分"),
    ("1,000.00元", "一千元"),
    ("0.40元", "四角"),
    ("2.00元", "两元"),
    ("2,222.20元", "两千二百二十二元两角"),
    ("12,000元", "一万两千元"),
    ("100,500元", "十万零五百元"),
    ("¥1,234.50", "一千二百三十四元五角"),
    ("$453.50", "四百五十三点五美元"),
    ("453.50美元", "四百五十三点五美元"),
    ("€9.99", "九点九九欧元"),
])
def test_chinese_money_is_said_in_yuan_and_jiao(written, spoken):
    assert speakable(f"您本期应还{written}。", "zh-CN") == f"您本期应还{spoken}。"


@pytest.mark.parametrize("written, spoken", [
    ("2026年11月10日", "二零二六年十一月十日"),
    ("11月15日", "十一月十五日"),
    ("12月1日（周二）", "十二月一日（周二）"),
    ("每月15号", "每月十五号"),
    ("11月底", "十一月底"),
])
def test_chinese_dates_say_the_year_digit_by_digit(written, spoken):
    assert speakable(f"到期日为{written}。", "zh") == f"到期日为{spoken}。"


@pytest.mark.parametrize("written, spoken", [
    ("+8613912345678", "幺三九，幺二三四，五六七八"),  # a mainland mobile: 3-4-4, without +86
    ("13912345678", "幺三九，幺二三四，五六七八"),
    ("+18005550100", "幺，八零零，五五五，零幺零零"),
    ("+861012345678", "幺零，幺二三四，五六七八"),  # a Beijing line: area code, then fours
])
def test_chinese_phone_numbers_are_said_digit_by_digit_with_yao(written, spoken):
    assert speakable(f"请拨打{written}。", "zh") == f"请拨打{spoken}。"


def test_chinese_times_small_numbers_links_and_emoji():
    assert speakable("明天上午9:00以后", "zh") == "明天上午九点以后"
    assert speakable("下午2:30", "zh") == "下午两点三十分"
    assert speakable("分3个月，按1确认", "zh") == "分3个月，按1确认"  # Polly reads these well
    assert speakable("付款链接 https://pay.northwind.example/a/DEMO-1001 \U0001F44D 。", "zh") == "付款链接。"


def test_english_rules_stay_on_english_calls():
    assert speakable("2026年11月10日 $453.50", "en") == "2026年11月10日 453 dollars and 50 cents"
    assert speakable("$453.50", "es") == "453 dollars and 50 cents"  # no rules of its own: English


@pytest.mark.parametrize("answer, meaning", [
    ("是", True), ("是的", True), ("对", True), ("对的", True), ("嗯", True), ("好", True),
    ("好的，谢谢。", True), ("嗯，是的", True), ("可以", True), ("没错", True), ("OK", True),
    ("不是", False), ("不对", False), ("没有", False), ("不用了，谢谢", False), ("不要", False),
    ("No.", False),
    ("对不对", None), ("", None), ("不好意思", None), ("是不是要付全部", None),
    ("不是，我要转人工", None),  # more than a no: for the bot to read
])
def test_short_chinese_yes_and_no(answer, meaning):
    assert yes_or_no(answer, "zh") is meaning


def test_chinese_hints_follow_the_question_and_always_include_a_person():
    from server.voice import text_zh as voice_text_zh
    from server.voice.text import HINTS

    assert set(voice_text_zh.HINTS) == set(HINTS)  # every kind of question, both languages
    assert hints_for("birth_date", language="zh") == "年, 月, 日, 号, 出生日期, 转人工"
    assert hints_for("months", ["3个月", "/request_human"], "zh-CN") == (
        "个月, 三个月, 六个月, 十二个月, 一年, 3个月, 转人工")
    assert "$" not in hints_for("amount", language="zh")  # no class tokens for Mandarin
    assert "分期" in hints_for("unknown-kind", language="zh")
