"""Identity in the console: a conversation the bot did not verify shows no debt until the
agent verifies the borrower (the bot's rules, answers never shown or kept, wrong ones
counted towards the account's lock), and every agent sees the accounts locked."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lending.policy import load_policy
from store.db import session_scope
from store.identity import record_check
from store.models import (
    IDENTITY_ANSWER_PLACEHOLDER,
    AuditEvent,
    Conversation,
    IdentityCheck,
    IdentityLock,
    Message,
    Outcome,
)
from tests.support.accounts import BORROWER
from tests.support.fake_rasa import hand_over
from tests.support.store import audit_actions

# DEMO-1001: Dana Rivers, born 1988-03-14, ID ending 4821, $453.50 ($420 + $18.50 + $15).
DEBT_FIELDS = {"balance", "principal", "interest", "fees", "due_date", "days_overdue"}


@pytest.fixture
def unverified(app, sms, browser, fake_rasa):
    """DEMO-1001's conversation, handed over before the bot verified anyone, held by alice."""
    sms("i want a person")
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    handoff_id = hand_over(conversation_id, verified=False)
    alice = browser("alice")
    assert alice.claim(handoff_id).status_code == 200
    return alice, handoff_id, conversation_id


def everything_stored() -> str:
    """Every row an answer could hide in, as text."""
    with session_scope() as session:
        rows = []
        for model in (Message, IdentityCheck, IdentityLock, AuditEvent, Outcome):
            for row in session.execute(select(model)).scalars():
                rows.append(json.dumps({c.name: str(getattr(row, c.name)) for c in model.__table__.columns}))
    return "\n".join(rows)


def test_an_unverified_borrower_is_shown_first_and_the_debt_is_not(unverified):
    alice, handoff_id, _ = unverified
    view = alice.view(handoff_id).get_json()

    assert view["identity"] == {"verified": False, "verified_by": None, "locked": False,
                                "locked_until": None, "attempts_left": 3}
    assert view["account"]["account_id"] == "DEMO-1001"
    assert not DEBT_FIELDS & set(view["account"])
    assert not DEBT_FIELDS & set(view["handoff"]["summary"]["account"])
    assert "453.50" not in json.dumps(view)


def test_before_verification_no_promise_plan_or_amount_may_be_sent(unverified, fake_rasa):
    alice, handoff_id, _ = unverified
    assert alice.outcome(handoff_id, kind="promise", date="2026-12-20").status_code == 403
    assert alice.outcome(handoff_id, kind="plan", months="3").status_code == 403
    refused = alice.reply(handoff_id, "You owe $453.50, please pay today")
    assert refused.status_code == 403
    assert "verify the borrower" in refused.get_json()["error"]
    assert alice.reply(handoff_id, "the fees are 15 dollars").status_code == 403
    assert alice.reply(handoff_id, "Hello, I can help. What is your date of birth?").status_code == 201
    assert alice.reply(handoff_id, "I'll write again in 15 minutes").status_code == 201


def test_the_right_answers_unlock_the_details_and_are_not_kept(unverified, sms):
    alice, handoff_id, conversation_id = unverified
    sms("its 14 march 1988 and 4821")  # the borrower answers the agent by text

    response = alice.verify(handoff_id, "March 14, 1988", "4821")

    assert response.status_code == 200
    assert response.get_json()["identity"]["verified_by"] == "agent:alice"
    view = alice.view(handoff_id).get_json()
    assert view["account"]["balance"] == "453.50" and view["account"]["due_date"]
    assert alice.outcome(handoff_id, kind="plan", months="3").status_code == 201
    # The borrower's text that said the answers left the transcript; nothing keeps them.
    bodies = [m["body"] for m in view["messages"]]
    assert IDENTITY_ANSWER_PLACEHOLDER in bodies
    stored = everything_stored()
    for answer in ("1988", "4821", "March 14"):
        assert answer not in stored
    with session_scope() as session:
        check = session.execute(select(IdentityCheck)).scalars().one()
    assert (check.matched, check.actor, check.question) == (True, "agent:alice", "both")
    assert "verify_borrower" in audit_actions("agent:alice")


def test_wrong_answers_count_towards_the_lock_and_are_not_kept(unverified):
    alice, handoff_id, _ = unverified

    wrong = alice.verify(handoff_id, "01/02/1970", "1111")

    assert wrong.status_code == 422
    assert wrong.get_json()["identity"]["attempts_left"] == 2
    assert "1970" not in everything_stored() and "1111" not in everything_stored()
    assert not DEBT_FIELDS & set(alice.view(handoff_id).get_json()["account"])


def test_an_entry_that_cannot_be_read_is_refused_without_counting(unverified):
    alice, handoff_id, _ = unverified
    response = alice.verify(handoff_id, "the eighties", "4821")
    assert response.status_code == 400 and "date of birth" in response.get_json()["error"]
    assert alice.view(handoff_id).get_json()["identity"]["attempts_left"] == 3


def test_the_bots_wrong_answers_and_the_agents_lock_the_account_together(unverified, browser):
    alice, handoff_id, conversation_id = unverified
    policy = load_policy()
    with session_scope() as session:  # two wrong answers the bot took on an earlier call
        for _ in range(2):
            record_check(session, "DEMO-1001", question="birth_date", matched=False,
                         channel="voice", actor="bot", rules=policy.identity)

    locked = alice.verify(handoff_id, "01/02/1970", "1111")

    assert locked.status_code == 423
    identity = alice.view(handoff_id).get_json()["identity"]
    assert identity["locked"] and identity["attempts_left"] == 0
    # Even the right answers are refused until the lock ends.
    assert alice.verify(handoff_id, "03/14/1988", "4821").status_code == 423
    assert alice.outcome(handoff_id, kind="plan", months="3").status_code == 403
    # Every agent sees the alert, with the borrower masked; the lock is audited.
    queue = browser("bob").queue()
    [alert] = queue["identity_locks"]
    assert alert["account_id"] == "DEMO-1001" and alert["borrower"] == "D. R."
    assert alert["phone"] == "•••• " + BORROWER[-4:] and alert["failures"] == 3
    assert alert["channel"] == "sms"
    assert "identity_locked" in audit_actions("agent:alice")
    assert alice.queue()["mine"][0]["identity_locked"] is True


def test_a_borrower_the_agent_verified_goes_back_to_the_bot_verified(unverified, fake_rasa):
    alice, handoff_id, conversation_id = unverified
    assert alice.verify(handoff_id, "3/14/1988", "4821").status_code == 200
    assert alice.hand_back(handoff_id).status_code == 200
    slots = {e["name"]: e["value"] for e in fake_rasa.events[conversation_id] if e["event"] == "slot"}
    assert slots["identity_status"] == "verified" and slots["borrower_first_name"] == "Dana"


def test_a_conversation_the_bot_verified_shows_the_debt_at_once(app, sms, browser):
    sms("hello")
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    handoff_id = hand_over(conversation_id)  # verified by the bot
    alice = browser("alice")
    alice.claim(handoff_id)
    view = alice.view(handoff_id).get_json()
    assert view["identity"]["verified_by"] == "bot"
    assert view["account"]["balance"] == "453.50"
    assert alice.verify(handoff_id, "01/01/1970", "0000").status_code == 200  # nothing to do
