"""The identity lock and identity answers on the real stack (Rasa, the action server, the
gateway), through signed webhooks: wrong answers by SMS lock the account for calls too,
the lock ends after the cool-off, and verified answers are not kept in any message."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

import store.db
from store.accounts import import_records
from store.models import (
    HeldIdentityAnswer,
    IdentityCheck,
    IdentityLock,
    Message,
    ReviewItem,
)
from tests.support.stack import outcomes

SUPPORT = "+18005550100"
SPOKEN_SUPPORT = "1, 8 0 0, 5 5 5, 0 1 0 0"


def say(twilio, borrower, text):
    return " ".join(twilio.sms(borrower["phone"], text))


def stored(model, **where):
    with store.db.session_scope() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalars().all()


def test_three_wrong_answers_by_sms_lock_the_next_call_until_the_cool_off(twilio, borrower):
    assert "birth" in say(twilio, borrower, "hi").lower()
    for wrong in ("01/01/1970", "02/02/1971", "03/03/1972"):
        last = say(twilio, borrower, wrong)
    assert SUPPORT in last
    [lock] = stored(IdentityLock, account_id=borrower["account_id"])
    assert (lock.channel, lock.failures) == ("sms", 3)

    # A new call from the same phone (caller ID is easy to fake): no identity question,
    # nothing about an account, the lender's number, and the call ends.
    answered = twilio.call(borrower["phone"]).answer()
    assert answered.hangup and answered.gather is None
    assert answered.said == [f"Please call Northwind Credit on {SPOKEN_SUPPORT}. Goodbye."]
    assert "birth" not in answered.text.lower()
    # By SMS too, whatever is asked.
    assert say(twilio, borrower, "how much do i owe?").startswith(
        f"Please call Northwind Credit on {SUPPORT}.")

    # The cool-off passes (the lock and the answers moved back by the policy's 24 hours).
    with store.db.session_scope() as session:
        back = dt.timedelta(hours=24, minutes=1)
        session.execute(update(IdentityLock).where(IdentityLock.id == lock.id).values(
            locked_at=IdentityLock.locked_at - back, locked_until=IdentityLock.locked_until - back))
        session.execute(update(IdentityCheck).where(IdentityCheck.account_id == borrower["account_id"])
                        .values(at=IdentityCheck.at - back))
    call = twilio.call(borrower["phone"])
    asked = call.answer()
    assert asked.gather is not None and "date of birth" in asked.text.lower()
    verified = call.press("03141988")
    assert "4 digits" in verified.text or "last 4" in verified.text.lower()
    explanation = call.press("4821")
    assert "453" in explanation.text
    assert len(outcomes(borrower["account_id"], "verified")) == 1


@pytest.fixture
def other_borrower(borrower):
    """A borrower whose birth date is not the bot's example date (03/14/1988)."""
    account = {**borrower, "account_id": borrower["account_id"] + "B",
               "phone": borrower["phone"][:-4] + "9" + borrower["phone"][-3:],
               "birth_date": "1979-07-02", "id_last4": "5307"}
    with store.db.session_scope() as session:
        assert import_records(session, [account]).errors == []
    return account


def test_a_verified_sms_conversation_keeps_no_birth_date_or_id_digits(twilio, other_borrower):
    borrower = other_borrower
    assert "birth" in say(twilio, borrower, "hi").lower()
    assert "4" in say(twilio, borrower, "july 2nd 1979")
    assert "$453.50" in say(twilio, borrower, "its 5307")
    say(twilio, borrower, "how much do i owe")

    messages = stored(Message, phone=borrower["phone"])
    bodies = [m.body for m in messages]
    for said in ("1979", "july 2", "5307", "07/02"):
        assert not any(said in body.lower() for body in bodies), (said, bodies)
    assert bodies.count("[identity answer, not stored]") == 2
    assert "how much do i owe" in bodies  # the rest of the conversation is kept as written
    held = {h.message_id for h in stored(HeldIdentityAnswer)}
    assert not held & {m.id for m in messages}
    conversation_ids = {m.conversation_id for m in messages}
    for item in stored(ReviewItem):
        if item.conversation_id in conversation_ids:
            assert "1979" not in item.text and "5307" not in item.text
    checks = stored(IdentityCheck, account_id=borrower["account_id"])
    assert sorted((c.question, c.matched) for c in checks) == [
        ("birth_date", True), ("both", True), ("id_last4", True)]
