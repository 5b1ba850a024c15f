"""Whole phone calls through signed webhooks, against the real stack: Rasa, the action
server and the gateway. Twilio's side of each call is played by devtools/twilio_sim."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

import store.db
from actions.handoff import agents_available
from lending.policy import load_policy
from store.models import AuditEvent, Conversation, Handoff, Message, Outcome, VoiceCall
from tests.support.app import AGENT_PHONE
from tests.support.stack import E2E_API_KEY, load_borrower, outbox_for

_phones = itertools.count(500)
# What a third party must never hear: the debt, its amount, the collection purpose.
DISCLOSURE = re.compile(r"\$\s?\d|dollars|\bdebt\b|\bcollect|\boverdue\b|\bowe\b|\bbalance\b|"
                        r"\bpayment\b|\bloan\b", re.I)
# Time zones spread round the clock: the test borrower lives where it is now daytime, so
# the compliance gate (contact hours 08:00-21:00) allows the calls whenever the test runs.
ZONES = ["America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Auckland",
         "Asia/Tokyo", "Asia/Kolkata", "Asia/Dubai", "Europe/London", "America/Sao_Paulo"]


def daytime_zone() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return next(z for z in ZONES if 10 <= now.astimezone(ZoneInfo(z)).hour < 19)


@pytest.fixture
def borrower(stack):
    # Calls in the assistant's voice need consent on record (TCPA; the gate's no_consent):
    # load_borrower records it.
    phone = f"+1555030{next(_phones):04d}"
    return load_borrower(stack.config.database_url, f"V2E-{phone[-4:]}", phone, daytime_zone())


def place_call(stack, borrower):
    response = requests.post(
        f"{stack.config.gateway_url}/api/calls", json={"account_id": borrower["account_id"]},
        headers={"Authorization": f"Bearer {E2E_API_KEY}"}, timeout=20,
    )
    assert response.status_code == 201, response.text
    placed = response.json()
    assert placed["via"] == "outbox"
    assert any(placed["call_sid"] in row.body for row in outbox_for(borrower["phone"]))
    return placed


def rows(model, **where):
    with store.db.session_scope() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.execute(query).scalars())


def call_row(call_sid):
    [row] = rows(VoiceCall, call_sid=call_sid)
    return row


def test_a_person_answers_verifies_by_keypad_and_agrees_a_plan(stack, twilio, borrower):
    placed = place_call(stack, borrower)
    call = twilio.placed_call(placed["call_sid"], borrower["phone"], placed["call_id"])

    hello = call.answer(answered_by="human")
    assert "Northwind" in hello.text and "automated" in hello.text
    assert "date of birth" in hello.text and hello.gather["numDigits"] == "8"
    assert not DISCLOSURE.search(hello.text), hello.text

    asked = call.press("03141988")
    assert "last 4 digits" in asked.text and asked.gather["numDigits"] == "4"
    assert not DISCLOSURE.search(asked.text), asked.text

    explained = call.press("4821")
    assert "attempt to collect a debt" in explained.said[1]  # heard in full, before the Gather
    assert "453 dollars and 50 cents" in explained.text and "14 days overdue" in explained.text
    assert "$" not in explained.text
    assert "Press 1 to pay now" in explained.text

    months = call.press("3")
    assert "Press 1 for 3 months" in months.text

    read_back = call.press("1")
    assert "3 monthly payments of 151 dollars and 16 cents" in read_back.text
    assert "The last one is 151 dollars and 18 cents" in read_back.text
    assert "Press 1 for yes" in read_back.text

    recorded = call.press("1")
    assert "Your plan is set up" in recorded.text and "text you a secure link" in recorded.text
    [plan] = rows(Outcome, account_id=borrower["account_id"], kind="plan")
    assert plan.details["months"] == 3
    assert [i["amount"] for i in plan.details["instalments"]] == ["151.16", "151.16", "151.18"]

    texted = call.press("1")
    assert "sent it to this phone" in texted.text and "anything else" in texted.text
    assert any("pay.northwind.example" in row.body for row in outbox_for(borrower["phone"]))

    goodbye = call.say("no thanks")
    assert goodbye.hangup and "Goodbye" in goodbye.text
    call.status("completed", answered_by="human")

    row = call_row(call.call_sid)
    assert (row.outcome, row.direction) == ("completed", "outbound")
    [conversation] = rows(Conversation, id=row.conversation_id)
    assert conversation.channel == "voice" and conversation.closed_at is not None
    heard = [m.body for m in rows(Message, conversation_id=row.conversation_id) if m.direction == "in"]
    assert "03141988" not in " ".join(heard) and "4821" not in " ".join(heard)
    [ended] = [e for e in rows(AuditEvent, action="call_ended") if e.details["call_id"] == row.id]
    assert ended.details["hung_up_mid_conversation"] is False


def test_a_machine_answers_and_the_voicemail_says_nothing_about_a_debt(stack, twilio, borrower):
    placed = place_call(stack, borrower)
    call = twilio.placed_call(placed["call_sid"], borrower["phone"], placed["call_id"])
    message = call.answer(answered_by="machine_end_beep")
    assert message.hangup and message.gather is None
    assert "Northwind" in message.text and "Nora" in message.text and "call us back" in message.text
    assert "1, 8 0 0, 5 5 5, 0 1 0 0" in message.text
    assert not DISCLOSURE.search(message.text), message.text
    call.status("completed", answered_by="machine_end_beep")
    row = call_row(call.call_sid)
    assert row.outcome == "voicemail" and row.conversation_id is None


def test_silence_is_asked_again_twice_then_closed_politely(twilio, borrower):
    call = twilio.call(borrower["phone"])
    question = call.answer().said[-1]
    for _ in range(2):
        again = call.silence()
        assert again.said == ["Sorry, I didn't hear anything.", question]
    closed = call.silence()
    assert closed.hangup and closed.gather is None
    assert "text message" in closed.text and "Goodbye" in closed.text
    [text] = outbox_for(borrower["phone"])
    assert "Reply to this message" in text.body and not DISCLOSURE.search(text.body)


def test_let_me_talk_to_someone_puts_the_call_through(twilio, borrower):
    call = twilio.call(borrower["phone"])
    call.answer()
    in_hours = agents_available(dt.datetime.now(dt.timezone.utc), load_policy().lender.agent_hours)
    asked = call.say("let me talk to someone")
    [handoff] = rows(Handoff, account_id=borrower["account_id"])
    assert (handoff.channel, handoff.reason, handoff.status) == ("voice", "request_human", "queued")
    if in_hours:
        assert "putting you through" in asked.text
        assert asked.dial["number"] == AGENT_PHONE
        agent = call.agent_hears()
        assert "they asked for a person" in agent.text and "not verified" in agent.text
        assert call.dial_ended("completed").hangup
    else:  # agents are off: when one will get back, and a text to reply to
        assert asked.dial is None and asked.hangup
        assert "get back to you" in asked.text
        assert len(outbox_for(borrower["phone"])) == 1


def test_a_hang_up_mid_conversation_is_recorded(twilio, borrower):
    call = twilio.call(borrower["phone"])
    call.answer()
    call.press("03141988")
    call.hang_up()
    row = call_row(call.call_sid)
    assert row.outcome == "completed" and row.ended_at is not None
    [conversation] = rows(Conversation, id=row.conversation_id)
    assert conversation.closed_at is not None
    [ended] = [e for e in rows(AuditEvent, action="call_ended") if e.details["call_id"] == row.id]
    assert ended.details["hung_up_mid_conversation"] is True
    assert ended.account_id == borrower["account_id"]
