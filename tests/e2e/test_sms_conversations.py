"""Whole SMS conversations through signed webhooks, as DOMAIN.md describes them."""
from __future__ import annotations

import re
import time

from tests.support.conversation_en import AMOUNT, DISCLOSURE, say, verify
from tests.support.stack import (
    account_status,
    outcomes,
    replace_the_gateway_worker,
    wait_for_outbox,
)


def test_verify_explain_and_agree_a_three_month_plan(twilio, borrower):
    explanation = verify(twilio, borrower)
    assert "attempt to collect a debt" in explanation
    for figure in ("$453.50", "$420.00", "$18.50", "$15.00"):
        assert figure in explanation
    assert "14 days" in explanation
    read_back = say(twilio, borrower, "can i pay it off over 3 months")
    assert "$151.16" in read_back and "$151.18" in read_back, read_back
    confirmed = say(twilio, borrower, "yes")
    [plan] = outcomes(borrower["account_id"], "plan")
    assert plan.details["months"] == 3
    assert [i["amount"] for i in plan.details["instalments"]] == ["151.16", "151.16", "151.18"]
    assert "151.16" in confirmed or "plan" in confirmed.lower()


def test_a_wrong_person_learns_nothing(twilio, borrower):
    replies = [say(twilio, borrower, "hi"), say(twilio, borrower, "who is this? how much is owed?"),
               say(twilio, borrower, "wrong number, there's no Dana here")]
    for reply in replies:
        assert not DISCLOSURE.search(reply), reply
    assert account_status(borrower["account_id"]) == "wrong_number"
    assert len(outcomes(borrower["account_id"], "wrong_number")) == 1


def test_stop_means_silence_until_start(twilio, borrower):
    assert "unsubscribed" in say(twilio, borrower, "STOP").lower()
    assert say(twilio, borrower, "hello?") == ""
    assert say(twilio, borrower, "I still want to talk") == ""
    assert "START" not in say(twilio, borrower, "START")
    assert say(twilio, borrower, "hi") != ""


def test_a_dispute_pauses_the_account(twilio, borrower):
    verify(twilio, borrower)
    reply = say(twilio, borrower, "this isn't my loan, i never borrowed from you")
    assert account_status(borrower["account_id"]) == "disputed"
    assert len(outcomes(borrower["account_id"], "dispute")) == 1
    assert re.search(r"pause|review|person|team", reply, re.I), reply


def test_three_wrong_identity_answers_disclose_nothing(twilio, borrower):
    replies = [say(twilio, borrower, "hi")]
    for wrong in ("01/01/1970", "02/02/1971", "03/03/1972"):
        replies.append(say(twilio, borrower, wrong))
    replies.append(say(twilio, borrower, "how much do i owe"))
    for reply in replies:
        assert not AMOUNT.search(reply), reply
    assert "+18005550100" in replies[-2] or "800" in replies[-2]
    assert len(outcomes(borrower["account_id"], "identity_failed")) == 1
    assert outcomes(borrower["account_id"], "verified") == []


def test_a_message_sent_while_rasa_is_down_is_answered_after_restart(stack, twilio, borrower):
    """Even when the gateway's worker died meanwhile and nobody texts again: its
    replacement starts redelivering as it starts, not on a request (gunicorn.conf.py)."""
    assert say(twilio, borrower, "hi")
    stack.stop("rasa")
    try:
        started = time.monotonic()
        holding = say(twilio, borrower, "03/14/1988")
        assert time.monotonic() - started < 15  # inside Twilio's webhook limit
        assert "reply shortly" in holding.lower() or "got your message" in holding.lower()
        replace_the_gateway_worker(stack)
    finally:
        stack.start("rasa")  # its health check goes to Rasa: no request reaches the gateway
    [answer] = wait_for_outbox(borrower["phone"])
    assert "4" in answer.body and not AMOUNT.search(answer.body)  # the next identity question
    explanation = say(twilio, borrower, "4821")
    assert "$453.50" in explanation
