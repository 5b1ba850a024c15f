"""The written confirmation: once the bot has agreed an arrangement in an SMS conversation,
the borrower gets its schedule by text, in their language, after the bot's answer, through
the one sender and the compliance gate; once only, whichever path answered the turn; a
refusal by the gate is recorded. Amounts only where the account's profile allows them."""
from __future__ import annotations

import time

import pytest
import yaml
from sqlalchemy import select

from server.conversation.redelivery import redeliver_once
from server.sms.arrangement_notice import send_confirmation
from store.db import session_scope
from store.models import Arrangement, AuditEvent, OutcomeKind
from store.outcomes import record_outcome, set_opt_out
from tests.support.accounts import BORROWER, in_contact_hours
from tests.support.app import RASA_TIMEOUT
from tests.support.fake_rasa import agreed, fake_bot_records
from tests.support.store import outbound, outbox
from tests.support.twilio import post_sms

CHINESE = "+8613800000001"  # DEMO-1005: zh-CN, CNY, the cn profile (amounts allowed in SMS)
LINK = "https://pay.northwind.example/a/DEMO-1001"
HELP_STOP = "Reply HELP for help, STOP to opt out."
PLAN_ANSWER = "Your plan is set up. You can pay here: " + LINK


@pytest.fixture
def make_app(make_app):
    """The gateway, its borrowers in their daytime whenever the tests run (the cn profile
    answers nothing 22:00-08:00)."""
    def build(**overrides):
        app = make_app(**overrides)
        in_contact_hours("DEMO-1001")
        in_contact_hours("DEMO-1005")
        return app

    return build


def text(client, body, phone=BORROWER):
    """A signed webhook whose response is closed as a WSGI server closes it, so what the
    gateway does after the reply (the confirmation) happens."""
    return post_sms(client, body, phone=phone, buffered=True)


def arrangements():
    with session_scope() as session:
        return list(session.execute(select(Arrangement).order_by(Arrangement.id)).scalars())


def audit(action):
    with session_scope() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.execute(query).scalars())


def confirmations(phone=BORROWER):
    return [m.body for m in outbox(phone) if m.body.startswith("Northwind Credit")]


def amounts_in_us_texts(policy_file, allowed: bool) -> None:
    profile = policy_file.parent / "jurisdictions" / "us.yml"
    data = yaml.safe_load(profile.read_text())
    data["sms_may_state_amount"] = allowed
    profile.write_text(yaml.safe_dump(data))


# -- what the borrower reads ---------------------------------------------------------------------

def test_a_plan_agreed_by_text_is_confirmed_in_writing_after_the_bots_answer(client, fake_rasa):
    fake_bot_records(fake_rasa, "DEMO-1001", OutcomeKind.PLAN, agreed("plan"), answer=PLAN_ANSWER)
    reply = text(client, "3 months please")
    assert reply.texts == [PLAN_ANSWER + "\nReply STOP to opt out."]  # the bot's answer, as ever
    # The us profile lets no SMS state an amount: the dates, no figures.
    confirmation = (f"Northwind Credit: your plan is agreed: 3 monthly payments on Dec 14, Jan 14 and "
                    f"Feb 14. Pay at {LINK}. {HELP_STOP}")
    assert [m.body for m in outbox()] == [confirmation]
    assert [m.body for m in outbound()] == [reply.texts[0], confirmation]  # after the answer, in the thread
    [arrangement] = arrangements()
    mark = arrangement.details["confirmation"]
    assert (mark["state"], mark["message_id"]) == ("sent", outbound()[-1].id)
    [event] = audit("confirmation_sent")
    assert (event.account_id, event.details["arrangement_id"]) == ("DEMO-1001", arrangement.id)
    [gate] = [e for e in audit("gate_allowed") if e.details["path"] == "arrangement_confirmation"]
    assert gate.details["kind"] == "reply"


RELIEF = {
    "reduced_plan": {"relief": "reduced_plan", "months": 3, "percent": 50, "regular": "151.16",
                     "total": "226.74", "instalments": [
                         {"number": 1, "due": "2026-12-14", "amount": "75.58"},
                         {"number": 2, "due": "2027-01-14", "amount": "75.58"},
                         {"number": 3, "due": "2027-02-14", "amount": "75.58"}]},
    "fee_waiver": {"relief": "fee_waiver", "amount": "15.00"},
    "breathing_space": {"relief": "breathing_space", "days": 15, "until": "2026-12-21"},
}


@pytest.mark.parametrize("kind, details, words", [
    (OutcomeKind.PLAN, agreed("plan"), "your plan is agreed: 3 monthly payments of $151.16 on Dec 14, "
     "Jan 14 and Feb 14 (last $151.18). Pay at " + LINK + "."),
    (OutcomeKind.PROMISE, agreed("promise"), "you promised to pay $453.50 by Dec 14. Pay at " + LINK + "."),
    (OutcomeKind.DEFERRAL, agreed("deferral"), "your due date is now Dec 21. Pay at " + LINK + "."),
    (OutcomeKind.RELIEF, RELIEF["reduced_plan"], "your reduced plan is agreed: 3 monthly payments of "
     "$75.58 on Dec 14, Jan 14 and Feb 14. We'll review the rest with you when it ends. Pay at " + LINK + "."),
    (OutcomeKind.RELIEF, RELIEF["fee_waiver"], "your fees of $15.00 are waived. Pay at " + LINK + "."),
    (OutcomeKind.RELIEF, RELIEF["breathing_space"], "your breathing space is agreed: we won't contact "
     "you about your account through Dec 21. You can still write to us here."),
])
def test_each_kind_of_agreement_in_english_with_amounts_where_the_profile_allows(
        make_app, policy_file, fake_rasa, kind, details, words):
    amounts_in_us_texts(policy_file, allowed=True)
    client = make_app().test_client()
    fake_bot_records(fake_rasa, "DEMO-1001", kind, details)
    text(client, "yes, agreed")
    assert confirmations() == [f"Northwind Credit: {words} {HELP_STOP}"]


CHINESE_PLAN = {"months": 3, "total": "3176.50", "down_payment": "0.00", "currency": "CNY", "instalments": [
    {"number": 1, "due": "2026-12-14", "amount": "1058.83"},
    {"number": 2, "due": "2027-01-14", "amount": "1058.83"},
    {"number": 3, "due": "2027-02-14", "amount": "1058.84"}]}
ZH_LINK = "https://pay.northwind.example/a/DEMO-1005"
ZH_TAIL = "回复“帮助”获取帮助，回复TD退订。"


@pytest.mark.parametrize("kind, details, words", [
    (OutcomeKind.PLAN, CHINESE_PLAN, "您的分期方案已确认：共3期，每期1,058.83元，还款日为12月14日、1月14日和2月14日"
     f"（最后一期1,058.84元）。请通过 {ZH_LINK} 还款。"),
    (OutcomeKind.PROMISE, {"date": "2026-12-14", "amount": "3176.50", "currency": "CNY"},
     f"您已承诺在12月14日前还款3,176.50元。请通过 {ZH_LINK} 还款。"),
    (OutcomeKind.DEFERRAL, {"new_due_date": "2026-12-21", "previous_due_date": "2026-11-10", "days": 14},
     f"您的还款日已改为12月21日。请通过 {ZH_LINK} 还款。"),
    (OutcomeKind.RELIEF, {"relief": "fee_waiver", "amount": "50.00"}, f"您的费用50.00元已免除。请通过 {ZH_LINK} 还款。"),
    (OutcomeKind.RELIEF, RELIEF["breathing_space"], "暂缓期已确认：12月21日及之前我们不会就您的账户联系您，您可随时在此回复。"),
])
def test_a_chinese_borrower_reads_it_in_chinese_with_amounts_in_yuan(client, fake_rasa, kind, details, words):
    fake_bot_records(fake_rasa, "DEMO-1005", kind, details, answer="好的，已为您办好。")
    assert text(client, "好的，就这样", phone=CHINESE).texts == ["好的，已为您办好。\n回复TD退订"]
    assert [m.body for m in outbox(CHINESE)] == [f"Northwind Credit：{words}{ZH_TAIL}"]


# -- once only -------------------------------------------------------------------------------------

def test_later_turns_and_a_redelivered_turn_send_no_second_confirmation(app, client, fake_rasa):
    fake_bot_records(fake_rasa, "DEMO-1001", OutcomeKind.PLAN, agreed("plan"), answer=PLAN_ANSWER)
    text(client, "3 months please")
    text(client, "thanks")
    fake_rasa.down()
    text(client, "when is the first one?")  # deferred: the bot is down
    fake_rasa.up()
    assert redeliver_once(app).answered == 1
    assert len(confirmations()) == 1
    assert len(audit("confirmation_sent")) == 1


def test_a_turn_the_bot_finished_too_late_is_confirmed_once_its_answer_is_redelivered(app, client, fake_rasa):
    fake_bot_records(fake_rasa, "DEMO-1001", OutcomeKind.PLAN, agreed("plan"), answer=PLAN_ANSWER)
    fake_rasa.delay = RASA_TIMEOUT + 0.5  # the plan is recorded after the webhook gave up
    reply = text(client, "3 months please")
    assert reply.texts == ["Thanks, we've got your message and will reply shortly.\nReply STOP to opt out."]
    deadline = time.monotonic() + 10
    while not arrangements() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert confirmations() == []  # not before the borrower has the bot's answer
    fake_rasa.delay = 0
    assert redeliver_once(app).answered == 1
    assert [m.body for m in outbox()] == [
        PLAN_ANSWER + "\nReply STOP to opt out.",
        f"Northwind Credit: your plan is agreed: 3 monthly payments on Dec 14, Jan 14 and Feb 14. "
        f"Pay at {LINK}. {HELP_STOP}",
    ]
    assert redeliver_once(app).answered == 0
    text(client, "ok")
    assert len(confirmations()) == 1


# -- what an agent agreed, and a refusal --------------------------------------------------------

def agent_agrees_plan(conversation_id=None) -> int:
    with session_scope() as session:
        record_outcome(session, OutcomeKind.PLAN, account_id="DEMO-1001", conversation_id=conversation_id,
                       details={**agreed("plan"), "by": "agent:sam"})
    [arrangement] = arrangements()
    return arrangement.id


def test_an_agents_agreement_is_confirmed_by_the_console_calling_send_confirmation(make_app, database_url):
    app = make_app(DATABASE_URL=database_url)  # the claim holds on SQLite and PostgreSQL alike
    arrangement_id = agent_agrees_plan()
    with app.app_context():
        result = send_confirmation(arrangement_id, actor="agent:sam")
        assert result.sent and result.via == "outbox"
        assert send_confirmation(arrangement_id, actor="agent:sam") is None  # never twice
    assert len(confirmations()) == 1
    [event] = audit("confirmation_sent")
    assert event.actor == "agent:sam"


def test_a_confirmation_the_gate_refuses_is_recorded_and_never_retried(app, client, fake_rasa):
    arrangement_id = agent_agrees_plan()
    with session_scope() as session:
        set_opt_out(session, BORROWER, "sms", True)
    with app.app_context():
        result = send_confirmation(arrangement_id, actor="agent:sam")
        assert (result.sent, result.reason) == (False, "opted_out")
        assert send_confirmation(arrangement_id, actor="agent:sam") is None
    assert outbox() == []
    [arrangement] = arrangements()
    assert (arrangement.details["confirmation"]["state"], arrangement.details["confirmation"]["rule"]) == (
        "refused", "opted_out")
    [event] = audit("confirmation_refused")
    assert (event.details["arrangement_id"], event.details["rule"]) == (arrangement_id, "opted_out")
    [gate] = audit("gate_refused")
    assert gate.details["path"] == "arrangement_confirmation"


def test_a_bot_turn_does_not_send_what_an_agent_agreed(client, fake_rasa):
    from store.models import Conversation

    text(client, "hello")
    with session_scope() as session:
        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    agent_agrees_plan(conversation_id)  # the console confirms its own agreements
    text(client, "thanks")
    assert confirmations() == []
