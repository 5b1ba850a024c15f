"""Identity on the SMS path: an answer to the bot's identity question never stays in the
transcript (the bot still reads it, a redelivery too), and an account locked after too many
wrong answers gets the lender's number from the gateway, with no bot and no question."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from lending.policy import load_policy
from server.conversation.redelivery import redeliver_once
from store.db import session_scope
from store.identity import mark_identity_answer, record_check
from store.models import (
    IDENTITY_ANSWER_PLACEHOLDER,
    HeldIdentityAnswer,
    IdentityCheck,
    IdentityLock,
    MessageStatus,
)
from tests.support.store import inbound, outbox

ASK_BIRTH_DATE = [{"text": "What is your date of birth? (for example 03/14/1988)"},
                  {"custom": {"identity_question": "birth_date"}}]
ASK_ID = [{"text": "Thank you. And what are the last 4 digits of your ID document?"},
          {"custom": {"identity_question": "id_last4"}}]
LOCKED = "Please call Northwind Credit on +18005550100.\nReply STOP to opt out."


class ReadsAnswer(list):
    """A turn in which the bot's actions read an identity answer from the message, and mark it
    in the store as the action server does (by the message id the gateway sends)."""


def script(fake_rasa, *turns):
    queue = list(turns)

    def answer(sender, text):
        turn = queue.pop(0)
        if isinstance(turn, ReadsAnswer):
            with session_scope() as session:
                mark_identity_answer(session, fake_rasa.calls[-1]["metadata"]["message_id"], sender)
        return list(turn)
    fake_rasa.answer = answer


def held_texts():
    with session_scope() as session:
        return list(session.execute(select(HeldIdentityAnswer.body)).scalars())


@pytest.mark.parametrize("answers", [
    ("03/14/1988", "4821"),
    ("i was born on the fourteenth of march 1988", "last four are 4 8 2 1"),
    ("3 14 88", "48-21"),
])
def test_answers_to_the_identity_questions_are_placeholders_the_bot_reads_in_full(
        sms, fake_rasa, answers):
    script(fake_rasa, ASK_BIRTH_DATE, ReadsAnswer(ASK_ID),
           ReadsAnswer(["Thank you, Dana, that's confirmed."]), ["Sure."])
    sms("hi")
    sms(answers[0])
    sms(answers[1])
    sms("how much do i owe")  # no question waiting: kept as written

    assert [m.body for m in inbound()] == [
        "hi", IDENTITY_ANSWER_PLACEHOLDER, IDENTITY_ANSWER_PLACEHOLDER, "how much do i owe"]
    assert fake_rasa.messages() == ["hi", *answers, "how much do i owe"]
    # The bot is told which stored message it reads (its actions mark identity answers).
    assert [call["metadata"]["message_id"] for call in fake_rasa.calls] == [m.id for m in inbound()]
    assert held_texts() == []


def test_a_message_the_bot_found_no_answer_in_gets_its_text_back(sms, fake_rasa):
    """Held while the bot reads it (it might have been an answer); the bot's actions read no
    identity answer from it, so the transcript, the console and the trainers' inbox see it."""
    script(fake_rasa, ASK_BIRTH_DATE, ["I'm passing you to a person."])
    sms("hi")
    sms("i want to talk to a real person")
    assert [m.body for m in inbound()] == ["hi", "i want to talk to a real person"]
    assert held_texts() == []


def test_keywords_while_a_question_waits_are_kept(sms, fake_rasa):
    script(fake_rasa, ASK_BIRTH_DATE)
    sms("hello")
    assert "+18005550100" in sms("HELP").texts[0]  # answered by the gateway itself
    assert [m.body for m in inbound()] == ["hello", "HELP"]
    assert fake_rasa.messages() == ["hello"]


def test_an_answer_waiting_for_the_bot_is_held_apart_and_redelivered_in_full(app, sms, fake_rasa):
    script(fake_rasa, ASK_BIRTH_DATE, ReadsAnswer(ASK_ID))
    sms("hi")
    fake_rasa.down()
    sms("03/14/1988")

    [_, answer] = inbound()
    assert (answer.body, answer.status) == (IDENTITY_ANSWER_PLACEHOLDER, MessageStatus.DEFERRED)
    assert held_texts() == ["03/14/1988"]  # nothing lost while the bot is down

    fake_rasa.up()
    report = redeliver_once(app)

    assert report.answered == 1
    assert fake_rasa.messages()[-1] == "03/14/1988"
    assert held_texts() == [] and inbound()[1].body == IDENTITY_ANSWER_PLACEHOLDER


def lock_account(account_id="DEMO-1001"):
    policy = load_policy()
    with session_scope() as session:
        for _ in range(policy.identity.max_attempts):
            record_check(session, account_id, question="id_last4", matched=False, channel="voice",
                         actor="bot", rules=policy.identity)


def test_a_locked_account_gets_the_lenders_number_and_no_question(sms, fake_rasa):
    lock_account()

    reply = sms("hi")

    assert reply.texts == [LOCKED]
    assert fake_rasa.calls == []  # the bot is not asked: no introduction, no identity question
    assert "Reply STOP" in sms("HELP").texts[0]  # keywords still work
    sms("STOP")
    assert inbound()[-1].body == "STOP"


def test_the_lock_ends_after_the_cool_off(sms, fake_rasa):
    lock_account()
    assert sms("hi").texts == [LOCKED]
    with session_scope() as session:  # the cool-off passes
        session.execute(update(IdentityLock).values(
            locked_at=IdentityLock.locked_at - dt.timedelta(days=2),
            locked_until=IdentityLock.locked_until - dt.timedelta(days=2)))
        session.execute(update(IdentityCheck).values(at=IdentityCheck.at - dt.timedelta(days=2)))
    script(fake_rasa, ASK_BIRTH_DATE)
    assert sms("hi again").texts == ["What is your date of birth? (for example 03/14/1988)\n"
                                     "Reply STOP to opt out."]


def test_a_message_deferred_before_the_lock_is_not_redelivered_to_the_bot(app, sms, fake_rasa):
    fake_rasa.down()
    sms("hi")
    lock_account()
    fake_rasa.up()

    report = redeliver_once(app)

    assert report.dropped == 1 and fake_rasa.calls == []
    [first] = inbound()
    assert first.status == MessageStatus.HANDLED
    assert [m.body for m in outbox()] == [LOCKED]
