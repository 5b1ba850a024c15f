"""Arrangements on a call: what the bot agrees is confirmed by text message while the call
goes on (once, through the gate, refused and recorded for a phone that opted out of texts),
and a vulnerable borrower who calls in is put through to a person before the bot says
anything about the debt."""
from __future__ import annotations

from sqlalchemy import select

from server.voice.prompts import WORDS
from store.db import session_scope
from store.handoffs import URGENT
from store.models import Account, Arrangement, Handoff, OutcomeKind
from store.outcomes import set_opt_out
from tests.support.accounts import BORROWER, in_contact_hours
from tests.support.app import AGENT_PHONE
from tests.support.fake_rasa import agreed, fake_bot_records
from tests.support.store import audit_trail, outbox
from tests.support.twilio import simulated_twilio

EN = WORDS["en"]
CONFIRMATION = ("Northwind Credit: your plan is agreed: 3 monthly payments on Dec 14, Jan 14 and Feb 14. "
                "Pay at https://pay.northwind.example/a/DEMO-1001. Reply HELP for help, STOP to opt out.")


def arrangement():
    with session_scope() as session:
        return session.execute(select(Arrangement)).scalar_one()


def handoffs():
    with session_scope() as session:
        return list(session.execute(select(Handoff)).scalars())


def test_a_plan_agreed_on_a_call_is_confirmed_by_text_during_the_call(app, twilio, rasa):
    in_contact_hours("DEMO-1001")
    fake_bot_records(rasa, "DEMO-1001", OutcomeKind.PLAN, agreed("plan"),
                     answer="Your plan is set up. Is there anything else?")
    call = twilio.call(BORROWER)
    call.answer()  # the bot's first turn records the plan
    assert [m.body for m in outbox(BORROWER)] == [CONFIRMATION]
    turn = call.say("no that's all")
    assert not turn.hangup  # the call goes on as the bot says
    assert [m.body for m in outbox(BORROWER)] == [CONFIRMATION]  # once
    [sms] = audit_trail("call_sms")
    assert (sms.details["kind"], sms.details["sent"]) == ("confirmation", True)
    assert arrangement().details["confirmation"]["state"] == "sent"


def test_a_caller_who_opted_out_of_texts_gets_no_confirmation_and_the_refusal_is_recorded(app, twilio, rasa):
    in_contact_hours("DEMO-1001")
    with session_scope() as session:
        set_opt_out(session, BORROWER, "sms", True)
    fake_bot_records(rasa, "DEMO-1001", OutcomeKind.PLAN, agreed("plan"),
                     answer="Your plan is set up. Is there anything else?")
    call = twilio.call(BORROWER)
    assert call.answer().said == ["Your plan is set up. Is there anything else?"]
    assert outbox(BORROWER) == []
    mark = arrangement().details["confirmation"]
    assert (mark["state"], mark["rule"]) == ("refused", "opted_out")
    [refused] = audit_trail("confirmation_refused")
    assert refused.details["rule"] == "opted_out"
    [sms] = audit_trail("call_sms")
    assert (sms.details["sent"], sms.details["reason"]) == (False, "opted_out")


def flag_vulnerable():
    with session_scope() as session:
        session.get(Account, "DEMO-1001").vulnerable = True


def test_a_vulnerable_borrower_calling_in_is_put_through_to_a_person(app, twilio, rasa):
    flag_vulnerable()
    call = twilio.call(BORROWER)
    answered = call.answer()
    assert answered.said == ["Hello, this is Nora, the automated assistant for Northwind Credit.",
                             EN.putting_through]
    assert answered.dial["number"] == AGENT_PHONE
    assert rasa.calls == []  # the bot is not asked
    [handoff] = handoffs()
    assert (handoff.reason, handoff.priority, handoff.channel) == ("vulnerable", URGENT, "voice")
    assert answered.dial["url"] == f"/twilio/voice/whisper?handoff={handoff.id}"
    agent = call.agent_hears()
    assert agent.said == ["A call from a borrower, put through by Nora. Reason: the borrower is "
                          "flagged vulnerable. Identity not verified."]


def test_without_an_agent_line_they_hear_that_a_person_will_get_back(make_app, rasa):
    twilio = simulated_twilio(make_app(AGENT_PHONE="").test_client())
    in_contact_hours("DEMO-1001")
    flag_vulnerable()
    ended = twilio.call(BORROWER).answer()
    assert ended.hangup and ended.dial is None
    assert ended.said == ["Hello, this is Nora, the automated assistant for Northwind Credit.",
                          EN.no_agent.format(lender_name="Northwind Credit"), EN.text_promise, EN.bye]
    for word in ("debt", "owe", "overdue", "$"):
        assert word not in ended.text
    assert rasa.calls == [] and len(outbox(BORROWER)) == 1  # the text to reply to
    assert [h.reason for h in handoffs()] == ["vulnerable"]
