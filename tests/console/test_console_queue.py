"""The queue's order and contents, a transferred call as a live call, and the
`flask agents` command."""
from __future__ import annotations

import re

from sqlalchemy import select

from store.agents import authenticate
from store.db import session_scope
from store.handoffs import enqueue
from store.models import Account, Conversation, Outcome
from store.outcomes import record_outcome
from tests.support.console import PASSWORD
from tests.support.fake_rasa import hand_over


def conversation_for(account_id: str, channel: str = "sms") -> str:
    with session_scope() as session:
        phone = session.get(Account, account_id).phone
        conversation = Conversation(channel=channel, phone=phone, account_id=account_id)
        session.add(conversation)
        session.flush()
        return conversation.id


def test_vulnerable_borrowers_and_legal_cases_come_first(app, browser):
    routine = hand_over(conversation_for("DEMO-1001"), "request_human")
    dispute = hand_over(conversation_for("DEMO-1002"), "dispute_debt")
    legal = hand_over(conversation_for("DEMO-1003"), "legal_protection")
    # A borrower with a hardship on record is vulnerable, whatever brings them back.
    vulnerable_conversation = conversation_for("DEMO-1004")
    with session_scope() as session:
        record_outcome(session, "hardship", account_id="DEMO-1004", conversation_id=vulnerable_conversation,
                       details={"vulnerable": True})
    vulnerable = hand_over(vulnerable_conversation, "not_understood_twice")

    queue = browser("alice").queue()["queue"]
    assert [i["id"] for i in queue] == [legal, vulnerable, dispute, routine]
    assert [i["priority_label"] for i in queue] == ["urgent", "urgent", "dispute", "routine"]


def test_the_queue_item_carries_the_summary_the_agent_reads_first(app, browser):
    conversation_id = conversation_for("DEMO-1001")
    with session_scope() as session:
        record_outcome(session, "verified", account_id="DEMO-1001", conversation_id=conversation_id)
        record_outcome(session, "promise", account_id="DEMO-1001", conversation_id=conversation_id,
                       details={"date": "2026-12-01", "amount": "100.00"})
    handoff_id = hand_over(conversation_id, "outside_policy")
    alice = browser("alice")
    alice.claim(handoff_id)
    summary = alice.view(handoff_id).get_json()["handoff"]["summary"]
    assert summary["reason"] == "outside_policy" and summary["verified"] is True
    assert summary["account"]["balance"] == "453.50" and summary["account"]["account_id"] == "DEMO-1001"
    assert [(a["kind"], a["details"]) for a in summary["agreed"]] == [
        ("promise", {"date": "2026-12-01", "amount": "100.00"})
    ]
    assert "birth_date" not in summary["account"] and "id_last4" not in summary["account"]


def test_a_transferred_call_shows_as_a_live_call_and_its_outcome_is_recorded_after(app, browser):
    sms_id = hand_over(conversation_for("DEMO-1001"), "request_human")
    call_id = hand_over(conversation_for("DEMO-1002", channel="voice"), "request_human")
    alice = browser("alice")
    queue = alice.queue()["queue"]
    assert [(i["id"], i["live_call"], i["channel"]) for i in queue] == [
        (call_id, True, "voice"), (sms_id, False, "sms")  # same priority: the caller is waiting
    ]
    page = alice.get("/console/").get_data(as_text=True)
    assert "Live call" in alice.client.get("/console/static/console.js").get_data(as_text=True)
    assert re.search(r'id="queue-table"', page)

    alice.claim(call_id)
    view = alice.view(call_id).get_json()
    assert view["handoff"]["live_call"] is True and view["account"]["account_id"] == "DEMO-1002"
    assert alice.reply(call_id, "hello").status_code == 409
    assert alice.hand_back(call_id).status_code == 409
    tomorrow_at_ten = _tomorrow_at("10:00")
    assert alice.outcome(call_id, kind="callback", at=tomorrow_at_ten).status_code == 201
    assert alice.close(call_id).status_code == 200
    with session_scope() as session:
        [callback] = session.execute(select(Outcome).where(Outcome.kind == "callback")).scalars().all()
        conversation = session.get(Conversation, callback.conversation_id)
    assert conversation.channel == "voice" and conversation.closed_at is not None


def _tomorrow_at(clock: str) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    tomorrow = dt.datetime.now(ZoneInfo("America/Chicago")).date() + dt.timedelta(days=1)
    return f"{tomorrow}T{clock}"


def test_one_conversation_is_queued_once(app):
    conversation_id = conversation_for("DEMO-1001")
    first = hand_over(conversation_id, "request_human")
    assert hand_over(conversation_id, "abuse_after_deescalation") == first
    with session_scope() as session:
        assert enqueue(session, session.get(Conversation, conversation_id), "hardship").id == first


def test_agents_are_added_from_the_command_line(app, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("AGENT_PASSWORD", "a long enough secret")
    result = runner.invoke(args=["agents", "add", "carol", "--role", "supervisor"])
    assert result.exit_code == 0 and result.output.strip() == "created carol (supervisor)"
    assert "a long enough secret" not in result.output
    with session_scope() as session:
        assert authenticate(session, "carol", "a long enough secret").role == "supervisor"

    listing = runner.invoke(args=["agents", "list"]).output
    assert re.search(r"carol\s+supervisor\s+active", listing)
    assert runner.invoke(args=["agents", "disable", "carol"]).exit_code == 0
    with session_scope() as session:
        assert authenticate(session, "carol", "a long enough secret") is None

    monkeypatch.setenv("AGENT_PASSWORD", "short")
    refused = runner.invoke(args=["agents", "add", "dave"])
    assert refused.exit_code == 1 and "at least 10 characters" in refused.output
    bad_role = runner.invoke(args=["agents", "add", "dave", "--role", "boss"])
    assert bad_role.exit_code == 2


def test_the_password_is_asked_for_twice_when_not_in_the_environment(app, monkeypatch):
    monkeypatch.delenv("AGENT_PASSWORD", raising=False)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["agents", "add", "erin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "created erin (agent)" in result.output
    assert PASSWORD not in result.output
