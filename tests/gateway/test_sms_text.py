"""Replies fit SMS and Twilio limits; segment counts match what carriers bill."""
import pytest
from gateway_support import parse_twiml

from server.sms_text import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    OPT_OUT_WORDING,
    TWILIO_BODY_LIMIT,
    encoding,
    reply_bodies,
    segment_count,
    split_message,
    twiml,
    with_opt_out,
)


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
