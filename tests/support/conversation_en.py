"""An English SMS conversation with the running service (tests/e2e): what the borrower
says, and the identity check every conversation starts with."""
from __future__ import annotations

import re

AMOUNT = re.compile(r"\$\s?\d")
# What a third party must never read: the debt, its amount, the collection purpose.
DISCLOSURE = re.compile(r"\$\s?\d|\bdebt\b|\bcollect|\boverdue\b|\bowe\b|\bbalance\b|\bpayment\b", re.I)


def say(twilio, borrower, text):
    replies = twilio.sms(borrower["phone"], text)
    return " ".join(replies)


def verify(twilio, borrower):
    """Greets, answers both identity questions; returns the explanation."""
    first = say(twilio, borrower, "hi")
    assert not DISCLOSURE.search(first), first
    assert "Northwind" in first and "automated" in first.lower()
    assert "birth" in first.lower()
    second = say(twilio, borrower, "03/14/1988")
    assert not DISCLOSURE.search(second), second
    assert "4" in second  # asks for the last 4 digits
    return say(twilio, borrower, "4821")
