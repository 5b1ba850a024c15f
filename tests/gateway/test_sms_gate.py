"""The bot's answer to an inbound SMS asks the compliance gate like every other text: in the
borrower's night under a profile that allows no answers then (China), the message waits for
redelivery and the bot is not asked; on an account where collection has stopped (a dispute,
an attorney), a person answers instead of the bot; a US borrower writing late is answered
at once (Reg F's reply window)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from server.conversation.redelivery import redeliver_once
from store.db import session_scope
from store.models import Account, AccountStatus, Handoff, Message, MessageStatus
from tests.support.accounts import afternoon_zone
from tests.support.store import audit_trail, inbound, outbox

CHINESE = "+8613800000001"  # DEMO-1005, under the cn profile


def move(account_id: str, zone: str) -> None:
    with session_scope() as session:
        session.get(Account, account_id).timezone = zone


def test_a_message_in_the_borrowers_quiet_night_waits_and_is_answered_in_the_morning(app, sms, fake_rasa):
    move("DEMO-1005", afternoon_zone(23))  # 23:00 where the borrower is: China allows no answer
    assert sms("你好", phone=CHINESE).texts == []
    assert fake_rasa.messages() == []
    [message] = inbound(CHINESE)
    assert message.status == MessageStatus.DEFERRED
    # Held until 08:00 the borrower's time: nine hours on, give or take the minute.
    wait = message.updated_at - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=8) < wait <= dt.timedelta(hours=9)
    assert redeliver_once(app).answered == 0 and outbox(CHINESE) == []

    # Morning comes: the redelivery pass takes it, the gate allows it, the bot answers.
    move("DEMO-1005", afternoon_zone(9))
    with session_scope() as session:
        session.execute(update(Message).where(Message.id == message.id).values(
            updated_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
    assert redeliver_once(app).answered == 1
    assert fake_rasa.messages() == ["你好"]
    assert [m.body for m in outbox(CHINESE)] == ["Bot heard: 你好\n回复TD退订"]


def test_a_disputed_account_writing_in_reaches_a_person_not_the_bot(app, sms, fake_rasa):
    move("DEMO-1001", afternoon_zone(13))
    with session_scope() as session:
        session.get(Account, "DEMO-1001").status = AccountStatus.DISPUTED
    assert sms("so what happens now").texts == []
    assert sms("hello?").texts == []  # a person has the conversation now: still not the bot
    assert fake_rasa.messages() == []
    with session_scope() as session:
        [handoff] = session.execute(select(Handoff)).scalars().all()
        assert (handoff.reason, handoff.account_id) == ("contact_rule", "DEMO-1001")
    assert [m.body for m in inbound()] == ["so what happens now", "hello?"]  # kept for the agent


def test_a_us_borrower_writing_late_is_answered_at_once(app, sms, fake_rasa):
    move("DEMO-1001", afternoon_zone(23))  # outside Reg F's 8:00-21:00, but they wrote first
    assert sms("can i pay friday").texts == ["Bot heard: can i pay friday\nReply STOP to opt out."]
    assert fake_rasa.messages() == ["can i pay friday"]


def test_a_message_waiting_for_the_bot_when_collection_stops_goes_to_a_person(app, sms, fake_rasa):
    move("DEMO-1001", afternoon_zone(13))
    fake_rasa.down()
    sms("i want to pay")  # deferred: the bot is down
    with session_scope() as session:  # meanwhile an agent records a dispute
        session.get(Account, "DEMO-1001").status = AccountStatus.DISPUTED
    fake_rasa.up()
    assert redeliver_once(app).dropped == 1
    assert fake_rasa.messages() == [] and outbox() == []
    with session_scope() as session:
        [handoff] = session.execute(select(Handoff)).scalars().all()
        assert handoff.reason == "contact_rule"


def gate_decisions(path: str = "bot_answer") -> list:
    return [(e.action, e.details.get("rule")) for e in audit_trail("gate_") if e.details["path"] == path]


def test_each_answer_the_gate_let_go_is_audited_once_with_it(app, sms, fake_rasa):
    # Written in the transaction that records the reply, which also holds when the bot is down
    # and the holding reply goes instead.
    move("DEMO-1001", afternoon_zone(13))
    sms("can i pay friday")
    assert gate_decisions() == [("gate_allowed", None)]
    fake_rasa.down()
    sms("hello?")
    assert gate_decisions() == [("gate_allowed", None)] * 2


def test_a_refusal_is_audited_when_the_gate_refuses(app, sms, fake_rasa):
    move("DEMO-1005", afternoon_zone(23))
    sms("你好", phone=CHINESE)
    [(action, rule)] = gate_decisions()
    assert action == "gate_refused" and rule
