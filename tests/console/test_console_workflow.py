"""An agent takes a conversation over from the bot, and gives it back."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from language.wording import month_day, short_date
from store.db import session_scope
from store.models import Account, Conversation, OutboxMessage, Outcome
from tests.support.accounts import BORROWER, STRANGER, afternoon_zone, in_contact_hours
from tests.support.console import ask_for_a_person
from tests.support.fake_rasa import HANDOFF_TEXT, hand_over
from tests.support.store import audit_actions, handoff_row, outbox_bodies, without_opt_out


def said(reply):
    return without_opt_out(reply.texts)


def test_the_bot_stays_silent_while_a_person_holds_the_conversation(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    asked = len(fake_rasa.calls)

    assert said(sms("hello? anyone there?")) == []
    assert said(sms("I lost my job last month")) == []
    assert len(fake_rasa.calls) == asked  # the bot never saw them

    alice = browser("alice")
    [item] = alice.queue()["queue"]
    assert (item["id"], item["reason_label"], item["status"]) == (handoff_id, "Asked for a person", "queued")
    assert alice.claim(handoff_id).status_code == 200
    view = alice.view(handoff_id).get_json()
    lines = [(m["who"], *without_opt_out([m["body"]])) for m in view["messages"]]
    assert lines == [
        ("borrower", "hello"), ("bot", "Bot heard: hello"),
        ("borrower", "I want to talk to a person"), ("bot", HANDOFF_TEXT),
        ("borrower", "hello? anyone there?"), ("borrower", "I lost my job last month"),
    ]
    assert view["account"]["account_id"] == "DEMO-1001" and view["account"]["balance"] == "453.50"
    assert view["can_act"] is True

    # Still silent while alice holds it; the new message reaches her console.
    last = view["messages"][-1]["id"]
    assert said(sms("are you still there")) == []
    assert [m["body"] for m in alice.view(handoff_id, after=last).get_json()["messages"]] == [
        "are you still there"
    ]
    assert len(fake_rasa.calls) == asked


def test_reply_goes_out_through_the_sender_and_the_outbox(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice = browser("alice")
    alice.claim(handoff_id)

    response = alice.reply(handoff_id, "Hi Dana, this is Alice from Northwind. How can I help?")
    assert response.status_code == 201 and response.get_json()["via"] == "outbox"
    assert outbox_bodies(BORROWER) == ["Hi Dana, this is Alice from Northwind. How can I help?"]
    [line] = [m for m in alice.view(handoff_id).get_json()["messages"] if m["who"] == "agent"]
    assert line["label"] == "alice"
    assert "reply" in audit_actions("agent:alice")

    assert alice.reply(handoff_id, "   ").status_code == 400
    assert alice.reply(handoff_id, "x" * 1501).status_code == 400


def test_handing_back_tells_the_borrower_and_the_bot_answers_again(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice = browser("alice")
    alice.claim(handoff_id)
    promised = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    assert alice.outcome(handoff_id, kind="promise", date=promised, amount="200").status_code == 201

    response = alice.hand_back(handoff_id)
    assert response.status_code == 200 and response.get_json()["notice_sent"] is True
    # The promise in writing when it was agreed, then the notice.
    [confirmation, notice] = outbox_bodies(BORROWER)
    assert confirmation.startswith("Northwind Credit: you promised to pay by ")
    assert notice.startswith("You're back with Nora, Northwind Credit's automated assistant.")
    assert "Agreed with our team: a payment by" in notice
    assert "$" not in notice  # US profile: no amounts by SMS
    row = handoff_row(handoff_id)
    assert (row.status, row.resolution) == ("closed", "handed_back")

    # Rasa's tracker hears what happened: the de-escalation count reset, the notice.
    conversation_id = fake_rasa.calls[-1]["sender"]
    events = fake_rasa.events[conversation_id]
    assert {"event": "slot", "name": "abuse_count", "value": 0} in events
    assert [e["text"] for e in events if e["event"] == "bot"] == [notice]

    fake_rasa.hand_over_on = None
    assert said(sms("thanks, what happens now?")) == ["Bot heard: thanks, what happens now?"]
    assert alice.reply(handoff_id, "too late").status_code == 409


CHINESE_BORROWER = "+8613800000001"  # DEMO-1005, language zh-CN, Asia/Shanghai


def test_a_chinese_account_is_handed_back_in_chinese(sms, fake_rasa, browser):
    in_contact_hours("DEMO-1005")  # the cn profile sends nothing 22:00-08:00
    sms("你好", phone=CHINESE_BORROWER)
    with session_scope() as session:
        conversation_id = session.execute(
            select(Conversation.id).where(Conversation.phone == CHINESE_BORROWER)
        ).scalar_one()
    handoff_id = hand_over(conversation_id)
    alice = browser("alice")
    alice.claim(handoff_id)
    day = dt.datetime.now(ZoneInfo(afternoon_zone())).date() + dt.timedelta(days=5)
    assert alice.outcome(handoff_id, kind="promise", date=day.isoformat(), amount="500").status_code == 201

    response = alice.hand_back(handoff_id)
    assert response.status_code == 200 and response.get_json()["notice_sent"] is True
    with session_scope() as session:
        [confirmation, body] = session.execute(
            select(OutboxMessage.body).where(OutboxMessage.to == CHINESE_BORROWER).order_by(OutboxMessage.id)
        ).scalars().all()
    assert confirmation.startswith(f"Northwind Credit：您已承诺在{month_day(day, language='zh')}前还款500.00元。")
    # The account's cn profile lets an SMS state the amount; the opt-out wording the sender
    # adds is Chinese too.
    assert body == (
        "您好，接下来由Northwind Credit的智能客服机器人Nora为您服务。"
        f"已与我们的工作人员约定：{short_date(day, language='zh')}前还款500.00元。"
        "如有需要，请随时回复本短信。\n回复TD退订"
    )
    notice = body.split("\n")[0]
    assert [e["text"] for e in fake_rasa.events[conversation_id] if e["event"] == "bot"] == [notice]


def test_a_held_conversation_never_goes_idle(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    with session_scope() as session:  # a day later: far past the hour of session expiry
        session.execute(update(Conversation).values(
            last_activity_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)))
    assert said(sms("good morning, still waiting")) == []
    with session_scope() as session:
        assert session.execute(select(Conversation)).scalars().all()[0].handled_by == "human"
        assert len(session.execute(select(Conversation)).scalars().all()) == 1
    alice = browser("alice")
    alice.claim(handoff_id)
    assert alice.view(handoff_id).get_json()["messages"][-1]["body"] == "good morning, still waiting"


def test_closing_ends_the_conversation_and_the_next_message_starts_afresh(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice = browser("alice")
    alice.claim(handoff_id)
    assert alice.close(handoff_id).status_code == 200
    assert outbox_bodies(BORROWER) == []
    fake_rasa.hand_over_on = None
    assert said(sms("hi again")) == ["Bot heard: hi again"]
    with session_scope() as session:
        conversations = session.execute(select(Conversation).order_by(Conversation.started_at)).scalars().all()
    assert [c.closed_at is not None for c in conversations] == [True, False]
    assert fake_rasa.calls[-1]["sender"] == conversations[-1].id


def test_release_puts_it_back_in_the_queue(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice, bob = browser("alice"), browser("bob")
    alice.claim(handoff_id)
    assert bob.queue()["queue"] == []
    assert alice.release(handoff_id).status_code == 200
    assert [i["id"] for i in bob.queue()["queue"]] == [handoff_id]
    assert bob.claim(handoff_id).status_code == 200


def test_a_reply_to_an_opted_out_borrower_is_not_sent(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    sms("STOP")
    alice = browser("alice")
    alice.claim(handoff_id)
    response = alice.reply(handoff_id, "Hello?")
    assert response.status_code == 409 and "opted out" in response.get_json()["error"]
    with session_scope() as session:
        assert session.execute(select(OutboxMessage)).scalars().all() == []


def test_a_conversation_with_no_account_can_be_answered(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa, phone=STRANGER)
    alice = browser("alice")
    alice.claim(handoff_id)
    view = alice.view(handoff_id).get_json()
    assert view["account"] is None and view["handoff"]["summary"]["account"] is None
    assert alice.reply(handoff_id, "Hello, how can we help?").status_code == 201
    response = alice.outcome(handoff_id, kind="promise", date=dt.date.today().isoformat())
    assert response.status_code == 400 and "no account" in response.get_json()["error"]


def test_a_dispute_recorded_by_an_agent_pauses_the_account(sms, fake_rasa, browser):
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice = browser("alice")
    alice.claim(handoff_id)
    assert alice.outcome(handoff_id, kind="dispute", note="says the loan was taken in her name").status_code == 201
    with session_scope() as session:
        assert session.get(Account, "DEMO-1001").status == "disputed"
        [dispute] = session.execute(select(Outcome).where(Outcome.kind == "dispute")).scalars().all()
    assert dispute.details["by"] == "agent:alice" and dispute.details["handoff_id"] == handoff_id
    # The hand-back notice asks the gate too: a disputed account gets no text, and the
    # agent is told why.
    sent_before = outbox_bodies(BORROWER)
    response = alice.hand_back(handoff_id).get_json()
    assert response["notice_sent"] is False and response["gate"]["rule"] == "account_disputed"
    assert outbox_bodies(BORROWER) == sent_before
