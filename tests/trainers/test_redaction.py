"""Redaction: what a trainer may read of a borrower's message."""
from __future__ import annotations

import re

import pytest

from language.redaction import PLACEHOLDERS, luhn_ok, placeholders_in, redact, stand_in

NAMES = ["Dana Rivers"]


def test_a_message_with_every_kind_of_personal_data_keeps_none_of_it():
    message = ("hi it's Dana Rivers, my number is +1 (555) 010-0001, id 123-45-6789, "
               "born 03/14/1988, email dana.rivers@example.com")
    redacted = redact(message, NAMES)
    assert redacted == ("hi it's [NAME] [NAME], my number is [PHONE], id [ID], "
                        "born [DATE], email [EMAIL]")
    for secret in ("Dana", "Rivers", "555", "0001", "6789", "1988", "03/14", "example.com", "@"):
        assert secret not in redacted


@pytest.mark.parametrize("message, expected", [
    # phones: E.164, international, local US forms, Chinese mobiles
    ("call +15550100001", "call [PHONE]"),
    ("call me on +44 20 7946 0958 after 6", "call me on [PHONE] after 6"),
    ("my cell is (555) 010-0001", "my cell is [PHONE]"),
    ("555-010-0001", "[PHONE]"),
    ("555.010.0001 is my work line", "[PHONE] is my work line"),
    ("try 010-0001", "try [PHONE]"),
    ("5550100001", "[PHONE]"),
    ("我的手机 138 0013 8000", "我的手机 [PHONE]"),
    ("13800138000", "[PHONE]"),
    # cards: 13-19 digits passing the Luhn check; a failing one is still an ID
    ("card 4111 1111 1111 1111", "card [CARD]"),
    ("5555-5555-5555-4444 was charged twice", "[CARD] was charged twice"),
    ("card 4111-1111-1111-1112 declined", "card [ID] declined"),
    # ID numbers and runs of 4+ digits
    ("last 4 are 4821", "last 4 are [ID]"),
    ("ssn 123-45-6789", "ssn [ID]"),
    ("身份证 11010519491231002X", "身份证 [ID]"),
    ("passport E12345678", "passport [ID]"),
    ("account 12345678 is wrong", "account [ID] is wrong"),
    # dates of birth: any date with a year, and a date right after a birth word
    ("dob 1/5/1979", "dob [DATE]"),
    ("14.03.88", "[DATE]"),
    ("date of birth 1992-11-04", "date of birth [DATE]"),
    ("i was born on august 22nd 1988", "i was born on [DATE]"),
    ("born on the 3rd of march 1985", "born on the [DATE]"),
    ("my birthday is oct 30, 1991", "my birthday is [DATE]"),
    ("born march 3", "born [DATE]"),
    ("dob: 3/14", "dob: [DATE]"),
    ("1988年3月14日出生", "[DATE]出生"),
    # e-mail addresses
    ("write to d.rivers+loans@mail.example.co.uk please", "write to [EMAIL] please"),
    # the account holder's names, whatever the case
    ("DANA here", "[NAME] here"),
    ("this is rivers' wife", "this is [NAME]' wife"),
])
def test_personal_data_is_replaced_by_a_typed_placeholder(message, expected):
    assert redact(message, NAMES) == expected


@pytest.mark.parametrize("message", [
    # what plans and promises are made of stays
    "i can pay $1500 on friday",
    "i can do 1500 dollars",
    "i can pay 1,500 next week",
    "i owe 453.50",
    "3000元可以吗",
    "i will pay on march 3",
    "the 15th works",
    "pay 200 a month for 12 months",
    "10:30 tomorrow",
    "i paid 2 weeks ago",
    "can i talk to a human",
    # other people's names are not the account holder's
    "tell sam i said hi",
])
def test_what_is_not_personal_data_stays(message):
    assert redact(message, NAMES) == message


def test_no_long_digit_run_survives_redaction():
    messages = ["my ref 98765", "0044 20 7946 0958", "id:556677889900", "acct#12345-6789"]
    for message in messages:
        assert not re.search(r"\d{4,}", redact(message)), redact(message)


def test_luhn():
    assert luhn_ok("4111111111111111") and luhn_ok("5555555555554444")
    assert not luhn_ok("4111111111111112")


def test_stand_ins_turn_placeholders_into_made_up_values():
    redacted = redact("i'm Dana, born 03/14/1988, call 555-010-0001", NAMES)
    example = stand_in(redacted)
    assert placeholders_in(redacted) == ["[NAME]", "[DATE]", "[PHONE]"]
    assert placeholders_in(example) == []
    assert "Dana" not in example and "1988" not in example
    assert set(PLACEHOLDERS) == {"EMAIL", "CARD", "ID", "DATE", "PHONE", "NAME"}
