"""Replies fit SMS and Twilio limits; segment counts match what carriers bill."""
import pytest

from messaging.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    OPT_OUT_WORDING,
    TWILIO_BODY_LIMIT,
    encoding,
    reply_bodies,
    segment_count,
    split_message,
    twiml,
    utf16_units,
    with_opt_out,
)
from tests.support.twilio import parse_twiml


def test_gsm7_tables_have_the_standard_sizes():
    assert len(GSM7_BASIC) == 127  # 128 positions, less the escape to the extension table
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize("text, expected", [
    ("", 0),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("Café £5 è Ñ @ _ ¿ §", 1),  # all in the basic table
    ("€" * 80, 1),  # 160 septets
    ("€" * 81, 2),  # 162 septets
    ("€" * 153, 3),  # 306 septets, but 76 pairs fill a 153-septet segment: 76 + 76 + 1
    ("a" * 152 + "€", 1),  # 154 septets still fit in one segment of 160
    ("a" * 159 + "€", 2),  # 161 septets
    ("a" * 152 + "€" + "b" * 10, 2),  # the escape pair is not split: 152 + (2 + 10)
    ("ü" * 70, 1),  # ü is GSM-7
    ("ü" * 70 + "ć", 2),  # ć is not: the whole text is UCS-2, 71 units
    ("你好" * 35, 1),  # 70 UCS-2 units
    ("你好" * 36, 2),  # 72 units
    ("😀" * 35, 1),  # 35 characters outside the BMP take 70 UTF-16 units
    ("😀" * 36, 2),
])
def test_segment_count(text, expected):
    assert segment_count(text) == expected


def test_encoding_of_mixed_text():
    assert encoding("Pay {today} ^_^ [ok] | ~ \\ €") == "GSM-7"
    assert encoding("Thanks — see you") == "UCS-2"  # an em dash is not GSM-7
    assert encoding("“smart quotes”") == "UCS-2"


def test_two_thousand_characters_become_two_messages_within_twilios_limit():
    sentence = "Your plan is confirmed and we will text you before each date. "
    reply = (sentence * 40)[:2000]
    bodies = reply_bodies([reply])

    assert len(bodies) == 2
    assert all(len(body) <= TWILIO_BODY_LIMIT for body in bodies)
    assert bodies[0].endswith(".")  # cut after a sentence
    assert " ".join(bodies) == reply.strip()

    xml = twiml(bodies).encode()
    assert parse_twiml(xml) == bodies


def test_long_text_without_sentences_is_cut_between_words():
    text = " ".join(["word"] * 500)  # 2499 characters
    pieces = split_message(text)
    assert all(len(p) <= TWILIO_BODY_LIMIT for p in pieces)
    assert all(set(p.split()) == {"word"} for p in pieces)
    assert " ".join(pieces) == text


def test_text_without_spaces_is_cut_hard():
    pieces = split_message("x" * 3500)
    assert [len(p) for p in pieces] == [1600, 1600, 300]


def test_short_reply_and_several_bot_texts_make_one_message():
    assert reply_bodies(["Hello.", "  ", "How can I help?"]) == ["Hello.\nHow can I help?"]


def test_no_reply_is_an_empty_response():
    assert parse_twiml(twiml([]).encode()) == []
    assert "<Response" in twiml([])


def test_twiml_escapes_markup():
    assert parse_twiml(twiml(["a < b & c"]).encode()) == ["a < b & c"]


def test_every_reply_carries_the_opt_out_wording_once():
    assert with_opt_out("Your payment plan is set up.") == (
        "Your payment plan is set up.\nReply STOP to opt out."
    )
    assert with_opt_out(with_opt_out("Hello.")) == "Hello.\nReply STOP to opt out."


def test_keyword_answers_keep_their_own_wording():
    unsubscribed = "You're unsubscribed. Reply START to resubscribe."
    assert with_opt_out(unsubscribed) == unsubscribed


def test_long_replies_leave_room_for_the_opt_out_wording():
    bodies = [with_opt_out(b) for b in reply_bodies(["Word " * 400])]
    assert len(bodies) == 2
    assert all(len(b) <= TWILIO_BODY_LIMIT and b.endswith(OPT_OUT_WORDING["en"]) for b in bodies)


# -- Chinese and emoji: UCS-2 counts UTF-16 units --------------------------------------------

HAN = "还"  # any Chinese character: one UTF-16 unit, not GSM-7


@pytest.mark.parametrize("text, expected", [
    (HAN * 70, 1),  # exactly 70 units fill one segment
    (HAN * 71, 2),  # 71: concatenated, 67 + 4
    (HAN * 134, 2),  # 67 + 67
    (HAN * 135, 3),
    ("a" * 69 + HAN, 1),  # one Chinese character makes all of it UCS-2: 70 units
    ("a" * 70 + HAN, 2),
    ("€" * 69 + HAN, 1),  # in UCS-2 a GSM extension character is one unit, not two
    ("您好Dana，您的还款已确认，我们会在3天后提醒您。😀", 1),  # 30 characters, 31 units
    (HAN * 68 + "😀", 1),  # 70 units
    (HAN * 69 + "😀", 2),  # 71 units
    (HAN * 132 + "😀", 2),  # 67 + (65 + 2)
    (HAN * 133 + "😀", 3),  # 67 + 66, and the emoji's two units do not fit in the one left
    (HAN * 66 + "😀" + HAN * 10, 2),  # 66 + (2 + 10): the emoji moves whole to segment two
])
def test_segment_count_of_chinese_mixed_with_ascii_and_emoji(text, expected):
    assert encoding(text) == "UCS-2"
    assert segment_count(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("", 0), ("abc", 3), ("你好", 2), ("😀", 2), ("好的👍🏽", 6), ("👩‍💻", 5), ("回复TD退订", 6),
])
def test_utf16_units(text, expected):
    assert utf16_units(text) == expected


CHINESE_SENTENCE = "您的分期方案已确认，我们会在每期还款日前三天发短信提醒您。"  # 29 characters


def test_a_long_chinese_reply_is_cut_after_a_sentence():
    reply = (CHINESE_SENTENCE * 80)[:2000]
    bodies = reply_bodies([reply])

    assert len(bodies) == 2
    assert all(utf16_units(with_opt_out(b, "zh")) <= TWILIO_BODY_LIMIT for b in bodies)
    assert bodies[0].endswith("。")  # no space after a Chinese full stop, still a sentence end
    assert "".join(bodies) == reply  # nothing lost or added
    assert parse_twiml(twiml(bodies).encode()) == bodies


def test_split_at_1600_units_ends_at_the_last_chinese_sentence():
    text = CHINESE_SENTENCE * 60  # 1740 characters
    pieces = split_message(text)
    assert [len(p) for p in pieces] == [29 * 55, 29 * 5]  # 1595 units: the last full sentence
    assert pieces[0].endswith("提醒您。") and pieces[1].startswith("您的分期")


@pytest.mark.parametrize("end", ["！", "？", "!", "?", "……", "。”", "！」"])
def test_chinese_sentences_end_at_their_own_marks(end):
    sentence = "我们收到您的消息了" + end  # "!" or "?" right after a Chinese character counts
    pieces = split_message(sentence * 20, limit=100)
    assert all(p.endswith(end) for p in pieces)
    assert "".join(pieces) == sentence * 20


def test_without_sentence_ends_chinese_is_cut_after_a_clause():
    clause = "如果您需要分期还款，"  # ends with a full-width comma
    text = clause * 200
    pieces = split_message(text)
    assert all(utf16_units(p) <= TWILIO_BODY_LIMIT for p in pieces)
    assert all(p.endswith("，") for p in pieces[:-1])
    assert "".join(pieces) == text


def test_a_line_end_after_chinese_is_a_sentence_end():
    line = "第一行没有句号但是换行了"  # no punctuation, then a new line
    text = "\n".join([line] * 10)
    pieces = split_message(text, limit=50)  # three lines and their line ends take 38 units
    assert pieces == ["\n".join([line] * 3)] * 3 + [line]


def test_chinese_without_any_boundary_is_cut_hard_by_units():
    assert [len(p) for p in split_message(HAN * 3500)] == [1600, 1600, 300]


@pytest.mark.parametrize("emoji", ["😀", "👍🏽", "👩‍💻", "🇨🇳", "1️⃣", "❤️"])
@pytest.mark.parametrize("lead", ["", "好"])  # shifts where the limit falls
def test_emoji_are_never_split(emoji, lead):
    text = lead + emoji * 1000
    pieces = split_message(text)
    assert len(pieces) > 1
    assert all(utf16_units(p) <= TWILIO_BODY_LIMIT for p in pieces)
    assert all(p.replace(lead, "", 1) == emoji * (len(p.replace(lead, "", 1)) // len(emoji))
               for p in pieces)  # whole emoji only
    assert "".join(pieces) == text


def test_a_surrogate_pair_in_the_text_is_never_cut():
    # A string built from UTF-16 halves (😀 as U+D83D U+DE00) keeps them as two characters.
    text = "a" + "\ud83d\ude00" * 1000
    pieces = split_message(text)
    assert all(utf16_units(p) <= TWILIO_BODY_LIMIT for p in pieces)
    assert all(not p.endswith("\ud83d") and not p.startswith("\ude00") for p in pieces)
    assert "".join(pieces) == text


def test_emoji_count_double_against_twilios_limit():
    text = "好" * 1590 + "😀" * 10  # 1600 characters, 1610 units
    pieces = split_message(text)
    assert [utf16_units(p) for p in pieces] == [1600, 10]
    assert "".join(pieces) == text


def test_chinese_replies_carry_the_chinese_opt_out_wording_once():
    assert OPT_OUT_WORDING["zh"] == "回复TD退订"
    assert with_opt_out("您的还款计划已确认。", "zh-CN") == "您的还款计划已确认。\n回复TD退订"
    assert with_opt_out(with_opt_out("您好。", "zh"), "zh") == "您好。\n回复TD退订"
    assert with_opt_out(with_opt_out("您好。", "zh")) == "您好。\n回复TD退订"  # any language's wording counts


@pytest.mark.parametrize("body", [
    "Northwind Credit提醒您：还款日是11月10日，退订回T",
    "拒收请回复R",
    "您已退订Northwind Credit的短信。如需恢复，请回复“订阅”。",
    "回复退订即可停止接收",
    "Reply STOP to opt out.",
])
def test_bodies_that_say_how_to_opt_out_or_back_in_keep_their_own_wording(body):
    assert with_opt_out(body, "zh") == body


def test_an_english_body_naming_a_bank_called_td_still_gets_the_wording():
    assert with_opt_out("Pay at any TD Bank branch.") == "Pay at any TD Bank branch.\nReply STOP to opt out."
