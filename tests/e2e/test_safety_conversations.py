"""Safety requests said together, through signed webhooks and the real stack: every one is
honoured (the NLU's safety layer lists them, the actions act on each: actions/safety.py)."""
from __future__ import annotations

import store.db
from store.outcomes import is_opted_out
from tests.support.conversation_en import DISCLOSURE, say, verify
from tests.support.stack import account_status, outcomes


def opted_out(phone: str, channel: str = "sms") -> bool:
    with store.db.session_scope() as session:
        return is_opted_out(session, phone, channel)


def test_wrong_person_stop_texting_me_suppresses_the_number_and_stops_the_texts(twilio, borrower):
    replies = [say(twilio, borrower, "hi"), say(twilio, borrower, "Wrong person, stop texting me")]

    for reply in replies:
        assert not DISCLOSURE.search(reply), reply
    assert account_status(borrower["account_id"]) == "wrong_number"
    assert len(outcomes(borrower["account_id"], "wrong_number")) == 1
    assert len(outcomes(borrower["account_id"], "opt_out")) == 1
    assert opted_out(borrower["phone"])
    assert "START" in replies[1]  # the one opt-out confirmation


def test_my_lawyer_handles_this_stop_texting_pauses_the_account_stops_texts_and_hands_over(twilio, borrower):
    verify(twilio, borrower)
    say(twilio, borrower, "my lawyer handles this now, stop texting me")

    assert account_status(borrower["account_id"]) == "legal"
    assert len(outcomes(borrower["account_id"], "opt_out")) == 1
    assert opted_out(borrower["phone"])
    [escalation] = outcomes(borrower["account_id"], "escalation")
    assert escalation.details == {"reason": "legal_protection"}


def test_made_redundant_is_hardship_whatever_the_model_reads(twilio, borrower):
    verify(twilio, borrower)
    reply = say(twilio, borrower, "I got made redundant last month")

    [hardship] = outcomes(borrower["account_id"], "hardship")
    assert hardship.details["vulnerable"] is True
    assert "sorry" in reply.lower()
