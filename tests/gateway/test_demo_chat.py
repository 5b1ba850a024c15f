"""The demo's chat (devtools/chat.py) says why the service is silent or refuses, from what
the store holds, and shows texts sent later (an agent's reply, a redelivered answer)."""
from __future__ import annotations

import time

from devtools.chat import OutboxWatcher, hints, thread_state
from devtools.stack import ConsoleSignIn
from server import services
from server.conversation.redelivery import redeliver_once
from store.db import session_scope
from store.models import Conversation, OutcomeKind
from store.outcomes import record_outcome
from tests.support.accounts import BORROWER, in_contact_hours
from tests.support.store import outbox

CONSOLE = ConsoleSignIn("http://127.0.0.1:5000/console/", "s3cret-pw")
CHINESE_BORROWER = "+8613800000001"  # DEMO-1005, 王芳


def said(phone=BORROWER, language="en", bot_down=None) -> str:
    return "\n".join(hints(thread_state(phone), language, CONSOLE, bot_down))


def hold_the_thread() -> str:
    with session_scope() as session:
        conversation = session.query(Conversation).filter_by(phone=BORROWER).one()
        conversation.handled_by = "human"
        return conversation.id


def test_a_thread_going_normally_needs_no_hint(sms):
    assert sms("hi").texts
    assert said() == ""


def test_an_opted_out_phone_is_told_to_send_start(sms):
    sms("quit")  # a carrier keyword: opted out
    hint = said()
    assert "not from the bot" in hint and "Send START" in hint
    sms("hi")  # silence, and still the same hint
    assert "Send START" in said()
    sms("START")
    assert said() == ""


def test_a_thread_a_person_holds_names_the_console_and_the_agent(sms):
    sms("hi")
    hold_the_thread()
    hint = said()
    assert "a person holds this conversation" in hint
    assert "http://127.0.0.1:5000/console/" in hint and "'demo'" in hint and "s3cret-pw" in hint


def test_a_locked_account_says_why_every_channel_gives_the_lenders_number(sms):
    from lending.policy import load_policy
    from store.identity import record_check

    policy = load_policy()
    with session_scope() as session:
        for _ in range(policy.identity.max_attempts):
            record_check(session, "DEMO-1001", question="birth_date", matched=False,
                         channel="voice", actor="bot", rules=policy.identity)
    assert sms("hi").texts[0].startswith("Please call Northwind Credit on +18005550100.")
    hint = said()
    assert "locked this account" in hint and "./repay demo" in hint


def test_a_failed_identity_check_says_how_to_start_over(sms):
    sms("hi")
    with session_scope() as session:
        conversation = session.query(Conversation).filter_by(phone=BORROWER).one()
        record_outcome(session, OutcomeKind.IDENTITY_FAILED, account_id="DEMO-1001",
                       conversation_id=conversation.id, phone=BORROWER)
    hint = said()
    assert "identity check failed" in hint and "./repay demo again (without --keep)" in hint


def test_messages_waiting_for_a_model_that_is_not_up_say_so(app, sms, fake_rasa):
    in_contact_hours("DEMO-1005")  # the cn profile answers nothing 22:00-08:00
    fake_rasa.down()
    sms("你好", phone=CHINESE_BORROWER)
    assert "the Chinese model is not up yet" in said(CHINESE_BORROWER, "zh", bot_down=True)
    assert "your messages wait for the bot" in said(CHINESE_BORROWER, "zh", bot_down=False)
    fake_rasa.up()
    assert redeliver_once(app).answered == 1
    assert said(CHINESE_BORROWER, "zh") == ""


def test_texts_sent_later_appear_as_they_arrive(app, sms, fake_rasa, capsys):
    shown = []

    def wait_for(line: str) -> None:
        deadline = time.monotonic() + 5
        while not any(line in out for out in shown):
            assert time.monotonic() < deadline, f"not shown: {line!r} in {shown}"
            time.sleep(0.05)
            shown.append(capsys.readouterr().out)

    fake_rasa.down()
    sms("hello")
    with OutboxWatcher(BORROWER, interval=0.05):
        fake_rasa.up()
        assert redeliver_once(app).answered == 1
        wait_for("bot (later) > Bot heard: hello")
        conversation_id = hold_the_thread()
        with app.app_context():
            services().sender.send_sms(BORROWER, "Hi Dana, this is Ana from Northwind.",
                                       conversation_id, actor="agent:ana", path="agent_reply")
        wait_for("agent > Hi Dana, this is Ana from Northwind.")
    assert len(outbox()) == 2
