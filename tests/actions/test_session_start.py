"""The start of a conversation: who is writing, whom it reaches, and no debt facts."""
from __future__ import annotations

import pytest

import store.db
from actions.session import ActionSessionStart
from store.models import Account, AccountStatus
from tests.actions.action_support import open_conversation, rendered, run, slot_values, tracker


def test_session_start_says_who_is_writing_and_sets_no_debt_facts(conversation, dispatcher, domain):
    events = run(ActionSessionStart(), dispatcher, tracker(), domain)

    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    assert slot_values(events) == {
        "account_found": True,
        "language": "en",
        "lender_name": "Northwind Credit",
        "assistant_name": "Nora",
        "support_phone": "+18005550100",
        "channel": "sms",
        "identity_status": "pending",
    }
    assert rendered(dispatcher, domain) == [
        "Hi, this is Nora, an automated assistant for Northwind Credit."
    ]


@pytest.mark.parametrize("status", sorted(AccountStatus.PAUSED))
def test_an_account_whose_collection_is_paused_is_not_found(store_url, dispatcher, domain, status):
    sender = open_conversation("DEMO-1002")
    with store.db.session_scope() as session:
        session.get(Account, "DEMO-1002").status = status

    events = run(ActionSessionStart(), dispatcher, tracker(sender=sender), domain)

    assert slot_values(events)["account_found"] is False


@pytest.mark.parametrize("account_id, sender", [(None, "c-unbound"), ("unknown-row", None)])
def test_a_conversation_without_an_account_is_not_found(store_url, dispatcher, domain, account_id, sender):
    if sender:  # a Conversation row bound to no account
        open_conversation(None, sender=sender)
    else:  # no Conversation row at all (e.g. `rasa shell`)
        sender = account_id

    events = run(ActionSessionStart(), dispatcher, tracker(sender=sender), domain)

    slots = slot_values(events)
    assert slots["account_found"] is False and slots["identity_status"] == "pending"
    assert slots["language"] == "en"
