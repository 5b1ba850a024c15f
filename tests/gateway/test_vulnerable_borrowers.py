"""A borrower flagged vulnerable writes to a person, not the bot, where the policy routes
them to agents: the conversation goes to the console's queue, urgent, and the gateway says a
person will reply, in the borrower's language and without a word about the debt (whoever
holds the phone is not verified yet). STOP still comes first."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from messaging.sms_text import gateway_reply, with_opt_out
from store.db import session_scope
from store.handoffs import URGENT, claim, finish
from store.models import Account, Conversation, Handoff, HandoffResolution, MessageStatus
from store.outcomes import is_opted_out
from tests.support.accounts import BORROWER, afternoon_zone, in_contact_hours
from tests.support.store import inbound
from tests.support.twilio import post_sms

CHINESE = "+8613800000001"  # DEMO-1005, zh-CN
PERSON_WILL_REPLY = "Thanks for your message. A person from Northwind Credit will reply here.\nReply STOP to opt out."


def flag(account_id: str) -> None:
    with session_scope() as session:
        session.get(Account, account_id).vulnerable = True


def handoffs():
    with session_scope() as session:
        return list(session.execute(select(Handoff).order_by(Handoff.id)).scalars())


@pytest.fixture
def vulnerable(app):
    flag("DEMO-1001")
    flag("DEMO-1005")
    in_contact_hours("DEMO-1005")


def test_their_message_goes_to_a_person_urgent_and_they_are_told_so(vulnerable, sms, fake_rasa):
    reply = sms("I can't cope with this right now")
    assert reply.texts == [PERSON_WILL_REPLY]
    assert reply.texts == [with_opt_out(gateway_reply("person_will_reply", "en", lender_name="Northwind Credit"))]
    for word in ("$", "453", "debt", "overdue", "owe", "balance", "Dana"):
        assert word not in reply.texts[0]
    assert fake_rasa.messages() == []
    [handoff] = handoffs()
    assert (handoff.reason, handoff.priority, handoff.account_id) == ("vulnerable", URGENT, "DEMO-1001")
    assert handoff.summary["vulnerable"] is True
    # A person has the conversation now: the next message waits for them, silently.
    assert sms("hello?").texts == []
    assert fake_rasa.messages() == [] and len(handoffs()) == 1
    assert [m.body for m in inbound()] == ["I can't cope with this right now", "hello?"]  # kept for the agent
    assert {m.status for m in inbound()} == {MessageStatus.HANDLED}


def test_a_chinese_borrower_is_told_in_chinese(vulnerable, sms, fake_rasa):
    assert sms("我现在压力很大", phone=CHINESE).texts == ["您的消息已收到，Northwind Credit的工作人员会在此回复您。\n回复TD退订"]
    assert fake_rasa.messages() == []
    [handoff] = handoffs()
    assert (handoff.reason, handoff.account_id) == ("vulnerable", "DEMO-1005")


def test_in_chinas_quiet_night_a_person_has_it_and_nothing_is_sent(vulnerable, sms, fake_rasa):
    with session_scope() as session:
        session.get(Account, "DEMO-1005").timezone = afternoon_zone(23)  # 22:00-08:00: no answers
    assert sms("我现在压力很大", phone=CHINESE).texts == []
    [handoff] = handoffs()
    assert (handoff.reason, handoff.account_id) == ("vulnerable", "DEMO-1005")
    assert fake_rasa.messages() == []


def test_stop_is_honoured_first(vulnerable, sms, fake_rasa):
    reply = sms("STOP")
    assert reply.texts[0].startswith("You're unsubscribed from Northwind Credit messages.")
    with session_scope() as session:
        assert is_opted_out(session, BORROWER, "sms")
    assert handoffs() == [] and fake_rasa.messages() == []


def test_a_borrower_not_flagged_talks_to_the_bot(app, sms, fake_rasa):
    flag("DEMO-1005")  # someone else
    assert sms("can i pay friday").texts == ["Bot heard: can i pay friday\nReply STOP to opt out."]
    assert handoffs() == []


def test_once_a_person_hands_the_conversation_back_the_bot_answers(vulnerable, sms, fake_rasa):
    sms("I lost my job")
    [handoff] = handoffs()
    with session_scope() as session:
        assert claim(session, handoff.id, "sam")
        assert finish(session, handoff.id, "sam", HandoffResolution.HANDED_BACK)
    assert sms("ok, what now").texts == ["Bot heard: ok, what now\nReply STOP to opt out."]
    assert len(handoffs()) == 1


def test_the_policy_switch_leaves_them_with_the_bot(make_app, policy_file, fake_rasa):
    policy = yaml.safe_load(policy_file.read_text())
    policy["vulnerability"] = {"exclude_from_campaigns": True, "route_to_agents": False}
    policy_file.write_text(yaml.safe_dump(policy))
    client = make_app().test_client()
    flag("DEMO-1001")
    assert post_sms(client, "hello").texts == ["Bot heard: hello\nReply STOP to opt out."]
    assert handoffs() == []
    with session_scope() as session:
        assert session.execute(select(Conversation.handled_by)).scalar_one() == "bot"
