"""Conversation threads, message de-duplication and outcomes on both databases."""
from __future__ import annotations

import datetime as dt

from store.accounts import import_csv
from store.conversations import current_conversation
from store.messages import claim_deferred, deferred_messages, record_inbound, set_status
from store.models import MessageStatus
from store.outcomes import is_opted_out, outcomes_for, record_outcome, set_opt_out
from tests.support.paths import DEMO_ACCOUNTS

HOUR = dt.timedelta(hours=1)


def _load(session):
    with open(DEMO_ACCOUNTS, encoding="utf-8") as stream:
        import_csv(session, stream)


def test_a_thread_continues_until_it_goes_idle(session):
    _load(session)
    first = current_conversation(session, "+15550100001", "sms", HOUR)
    assert first.account_id == "DEMO-1001"
    assert current_conversation(session, "+15550100001", "sms", HOUR).id == first.id
    first.last_activity_at -= dt.timedelta(hours=2)
    second = current_conversation(session, "+15550100001", "sms", HOUR)
    assert second.id != first.id and first.closed_at is not None


def test_an_unknown_phone_gets_a_thread_with_no_account(session):
    conversation = current_conversation(session, "+15559999999", "sms", HOUR)
    assert conversation.account_id is None


def test_a_message_sid_is_stored_once(session):
    kwargs = dict(provider_sid="SM1", phone="+15550100001", channel="sms", body="hi",
                  conversation_id=None)
    assert record_inbound(session, **kwargs) is not None
    assert record_inbound(session, **kwargs) is None


def test_a_deferred_message_is_claimed_by_one_worker(session):
    message = record_inbound(session, provider_sid="SM2", phone="+1555", channel="sms",
                             body="hello", conversation_id=None)
    set_status(session, message.id, MessageStatus.DEFERRED)
    assert [m.id for m in deferred_messages(session, dt.timedelta(0))] == [message.id]
    assert claim_deferred(session, message.id) is True
    assert claim_deferred(session, message.id) is False


def test_outcomes_and_opt_outs(session):
    _load(session)
    record_outcome(session, "promise", account_id="DEMO-1001", conversation_id=None,
                   details={"date": "2026-12-01", "amount": "453.50"})
    [promise] = outcomes_for(session, "DEMO-1001", "promise")
    assert promise.details == {"date": "2026-12-01", "amount": "453.50"}
    set_opt_out(session, "+15550100001", "sms", True)
    assert is_opted_out(session, "+15550100001", "sms")
    assert not is_opted_out(session, "+15550100001", "voice")
    set_opt_out(session, "+15550100001", "sms", False)
    assert not is_opted_out(session, "+15550100001", "sms")
