"""The identity lock, on a clock the test moves: wrong answers count per account across
conversations and channels within the policy's window, lock the account for the cool-off,
and a lock that ended gives every try back."""
from __future__ import annotations

import datetime as dt

import pytest

from lending.policy import Identity
from store.accounts import import_csv
from store.identity import (
    active_lock,
    active_locks,
    failures_counted,
    hold_answer,
    lock_state,
    mark_identity_answer,
    record_check,
    text_for_bot,
)
from store.messages import record_inbound, set_status
from store.models import (
    IDENTITY_ANSWER_PLACEHOLDER,
    AuditEvent,
    Conversation,
    HeldIdentityAnswer,
    IdentityCheck,
    MessageStatus,
)
from tests.support.paths import DEMO_ACCOUNTS

RULES = Identity(max_attempts=3, window_minutes=60, lockout_minutes=24 * 60)
T0 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def accounts(session):
    with open(DEMO_ACCOUNTS, encoding="utf-8") as stream:
        assert import_csv(session, stream).errors == []
    for conversation_id, channel in (("c-sms", "sms"), ("c-call", "voice")):
        session.add(Conversation(id=conversation_id, channel=channel, phone="+15550100001",
                                 account_id="DEMO-1001"))
    session.flush()
    return session


def wrong(session, at, channel="sms", conversation_id="c-sms", actor="bot"):
    return record_check(session, "DEMO-1001", question="birth_date", matched=False, channel=channel,
                        actor=actor, rules=RULES, now=at, conversation_id=conversation_id)


def test_wrong_answers_on_sms_and_a_call_lock_the_account_for_the_cool_off(accounts):
    session = accounts
    assert not wrong(session, T0).locked
    assert not wrong(session, T0 + dt.timedelta(minutes=1), "voice", "c-call").locked
    third = wrong(session, T0 + dt.timedelta(minutes=2), "voice", "c-call")

    assert third.locked and third.just_locked and third.failures == 3
    locked_until = T0 + dt.timedelta(minutes=2, hours=24)
    assert third.locked_until == locked_until
    lock = active_lock(session, "DEMO-1001", T0 + dt.timedelta(hours=23))
    assert (lock.channel, lock.conversation_id, lock.failures) == ("voice", "c-call", 3)
    [event] = [e for e in session.query(AuditEvent).all() if e.action == "identity_locked"]
    assert event.account_id == "DEMO-1001" and event.details["failures"] == 3
    # The lock ends after the cool-off, with every try back.
    after = T0 + dt.timedelta(minutes=2, hours=24, seconds=1)
    assert active_lock(session, "DEMO-1001", after) is None
    assert lock_state(session, "DEMO-1001", RULES, after).failures == 0
    assert not wrong(session, after).locked
    assert active_locks(session, after) == []


def test_a_wrong_answer_during_the_lock_does_not_lengthen_it(accounts):
    session = accounts
    for minute in range(3):
        wrong(session, T0 + dt.timedelta(minutes=minute))
    again = wrong(session, T0 + dt.timedelta(hours=1))
    assert again.locked_until == T0 + dt.timedelta(minutes=2, hours=24)
    assert len(active_locks(session, T0 + dt.timedelta(hours=2))) == 1


def test_wrong_answers_older_than_the_window_no_longer_count(accounts):
    session = accounts
    wrong(session, T0)
    wrong(session, T0 + dt.timedelta(minutes=10))
    late = wrong(session, T0 + dt.timedelta(minutes=61))
    assert not late.locked and late.failures == 2


def test_a_full_verification_starts_the_count_afresh(accounts):
    session = accounts
    wrong(session, T0)
    wrong(session, T0 + dt.timedelta(minutes=1))
    record_check(session, "DEMO-1001", question="both", matched=True, channel="sms", actor="bot",
                 rules=RULES, now=T0 + dt.timedelta(minutes=2), conversation_id="c-sms")
    assert not wrong(session, T0 + dt.timedelta(minutes=3)).locked
    assert failures_counted(session, "DEMO-1001", RULES, T0 + dt.timedelta(minutes=3)) == 1


def test_an_identity_answer_is_a_placeholder_and_its_text_goes_once_answered(accounts):
    session = accounts
    message = record_inbound(session, provider_sid="SM1", phone="+15550100001", channel="sms",
                             body="03/14/1988", conversation_id="c-sms")
    hold_answer(session, message, "03/14/1988")
    session.flush()
    assert message.body == IDENTITY_ANSWER_PLACEHOLDER
    assert text_for_bot(session, message) == "03/14/1988"  # for the bot, and a redelivery
    assert mark_identity_answer(session, message.id, "c-sms")  # the actions read an answer
    set_status(session, message.id, MessageStatus.ANSWERED)
    session.flush()
    assert session.get(HeldIdentityAnswer, message.id) is None
    assert text_for_bot(session, message) == IDENTITY_ANSWER_PLACEHOLDER


def test_a_held_message_the_bot_read_no_answer_from_gets_its_text_back(accounts):
    session = accounts
    message = record_inbound(session, provider_sid="SM3", phone="+15550100001", channel="sms",
                             body="can i talk to a person", conversation_id="c-sms")
    hold_answer(session, message, "can i talk to a person")
    set_status(session, message.id, MessageStatus.ANSWERED)
    session.flush()
    session.refresh(message)
    assert message.body == "can i talk to a person"
    assert session.get(HeldIdentityAnswer, message.id) is None


def test_a_held_message_settled_without_the_bot_keeps_the_placeholder(accounts):
    session = accounts
    message = record_inbound(session, provider_sid="SM4", phone="+15550100001", channel="sms",
                             body="0314", conversation_id="c-sms")
    hold_answer(session, message, "0314")
    set_status(session, message.id, MessageStatus.HANDLED)  # e.g. the account was locked meanwhile
    session.flush()
    session.refresh(message)
    assert message.body == IDENTITY_ANSWER_PLACEHOLDER
    assert session.get(HeldIdentityAnswer, message.id) is None


def test_a_message_the_bot_read_an_answer_from_is_marked_in_its_conversation_only(accounts):
    session = accounts
    message = record_inbound(session, provider_sid="SM2", phone="+15550100001", channel="sms",
                             body="hi im dana born 3/14/1988", conversation_id="c-sms")
    session.flush()
    assert not mark_identity_answer(session, message.id, "c-call")
    assert mark_identity_answer(session, message.id, "c-sms")
    session.flush()
    assert message.body == IDENTITY_ANSWER_PLACEHOLDER
    # Still waiting for the bot's answer: the text is held until the turn ends.
    assert text_for_bot(session, message) == "hi im dana born 3/14/1988"


def test_a_message_id_from_another_conversation_is_not_named(accounts):
    session = accounts
    other = record_inbound(session, provider_sid="SM3", phone="+15550100001", channel="voice",
                           body="hello", conversation_id="c-call")
    session.flush()
    record_check(session, "DEMO-1001", question="id_last4", matched=False, channel="sms",
                 actor="bot", rules=RULES, now=T0, conversation_id="c-sms", message_id=other.id)
    record_check(session, "DEMO-1001", question="id_last4", matched=False, channel="sms",
                 actor="bot", rules=RULES, now=T0, conversation_id="c-sms", message_id=10**6)
    session.flush()
    assert [c.message_id for c in session.query(IdentityCheck).all()] == [None, None]
