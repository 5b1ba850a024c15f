"""A handoff puts the conversation in the agent console's queue: with its reason, a
priority (vulnerable borrowers and legal cases first) and the summary an agent reads."""
from __future__ import annotations

from sqlalchemy import select

import store.db
from actions.account_context import load_context
from actions.debt import ActionRecordHardship, ActionRecordLegalProtection
from actions.handoff import ActionHandleAbuse, ActionHandoff
from actions.records import record
from store.models import Handoff, OutcomeKind
from tests.actions.action_support import SENDER, run, tracker, verified


def queued():
    with store.db.session_scope() as session:
        return session.execute(select(Handoff).order_by(Handoff.id)).scalars().all()


def test_a_request_for_a_person_is_queued_with_the_account_and_what_was_agreed(conversation, dispatcher, domain):
    ctx = load_context(SENDER)
    record(ctx, OutcomeKind.VERIFIED)
    record(ctx, OutcomeKind.PROMISE, {"date": "2026-11-28", "amount": "453.50"})

    run(ActionHandoff(), dispatcher, tracker(verified(), intent="request_human"), domain)

    [item] = queued()
    assert (item.conversation_id, item.account_id, item.channel) == (SENDER, "DEMO-1001", "sms")
    assert (item.reason, item.priority, item.status) == ("request_human", 3, "queued")
    summary = item.summary
    assert summary["verified"] is True and summary["vulnerable"] is False
    assert summary["account"]["balance"] == "453.50" and summary["account"]["days_overdue"] == 14
    assert [a["kind"] for a in summary["agreed"]] == ["promise"]
    assert "birth_date" not in summary["account"] and "id_last4" not in summary["account"]


def test_hardship_and_legal_cases_go_first(conversation, dispatcher, domain):
    run(ActionRecordHardship(), dispatcher, tracker(verified(), intent="hardship"), domain)
    run(ActionHandoff(), dispatcher, tracker(verified(), intent="hardship"), domain)
    [item] = queued()
    assert (item.reason, item.priority, item.summary["vulnerable"]) == ("hardship", 1, True)


def test_an_attorney_is_urgent(conversation, dispatcher, domain):
    run(ActionRecordLegalProtection(), dispatcher, tracker(verified(), intent="legal_protection"), domain)
    run(ActionHandoff(), dispatcher, tracker(verified(), intent="legal_protection"), domain)
    [item] = queued()
    assert (item.reason, item.priority) == ("legal_protection", 1)
    assert item.summary["account"]["status"] == "legal"


def test_a_second_handoff_in_the_same_conversation_keeps_one_queue_item(conversation, dispatcher, domain):
    run(ActionHandoff(), dispatcher, tracker(verified(), intent="request_human"), domain)
    run(ActionHandleAbuse(), dispatcher, tracker(verified(abuse_count=1), intent="abuse"), domain)
    assert [item.reason for item in queued()] == ["request_human"]
