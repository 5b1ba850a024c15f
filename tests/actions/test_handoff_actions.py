"""Handing over to a person: the conversation is marked as handled by a human, the reason
recorded, and the borrower told when a person replies (agent hours: Mon-Fri 09:00-18:00,
New York)."""
from __future__ import annotations

import pytest
import yaml

import lending.policy
from actions.handoff import ActionHandleAbuse, ActionHandleNotUnderstood, ActionHandoff
from tests.actions.action_support import (
    conversation_row,
    open_conversation,
    outcomes,
    rendered,
    responses,
    run,
    slot_values,
    tracker,
    verified,
)
from tests.support.paths import ROOT


@pytest.mark.parametrize(
    "now, account_id, text",
    [
        ("2026-11-24T15:00:00+00:00", "DEMO-1001", "within the hour"),  # Tue 10:00 New York
        ("2026-11-24T12:00:00+00:00", "DEMO-1001", "today after 9:00 AM"),  # Tue 07:00
        ("2026-11-24T23:30:00+00:00", "DEMO-1001", "tomorrow after 9:00 AM"),  # Tue 18:30
        ("2026-11-24T23:30:00+00:00", "DEMO-1002", "tomorrow after 8:00 AM"),  # in Chicago
        ("2026-11-27T23:00:00+00:00", "DEMO-1001", "on Monday after 9:00 AM"),  # Fri 18:00
        # Agents start at 9:00 in New York, 6:00 in Los Angeles: before the borrower's 8:00.
        ("2026-11-28T15:00:00+00:00", "DEMO-1003", "on Monday after 8:00 AM"),  # Sat, Los Angeles
        ("2026-11-24T14:30:00+00:00", "DEMO-1003", "today after 8:00 AM"),  # Tue 06:30 Los Angeles
    ],
)
def test_handoff_marks_the_conversation_and_says_when_a_person_replies(
    store_url, dispatcher, domain, monkeypatch, now, account_id, text
):
    monkeypatch.setenv("REPAY_NOW", now)
    sender = open_conversation(account_id, sender=f"c-{account_id}")

    run(ActionHandoff(), dispatcher, tracker(verified(), intent="request_human", sender=sender), domain)

    assert conversation_row(sender).handled_by == "human"
    [escalation] = outcomes("escalation")
    assert escalation.details == {"reason": "request_human"}
    assert (escalation.conversation_id, escalation.account_id) == (sender, account_id)
    [reply] = rendered(dispatcher, domain)
    assert reply == f"I'm passing you to a person at Northwind Credit, who will reply here {text}."


@pytest.mark.parametrize(
    "intent, reason",
    [("request_human", "request_human"), ("legal_protection", "legal_protection"),
     ("dispute_debt", "dispute_debt"), ("already_paid", "already_paid"), ("hardship", "hardship")],
)
def test_the_reason_is_the_message_that_asked_for_it(conversation, dispatcher, domain, intent, reason):
    run(ActionHandoff(), dispatcher, tracker(verified(), intent=intent), domain)
    assert outcomes("escalation")[0].details == {"reason": reason}


def test_handoff_ends_the_form_that_was_running(conversation, dispatcher, domain):
    events = run(ActionHandoff(), dispatcher,
                 tracker({"identity_status": "pending"}, intent="request_human", active_loop="identity_form"),
                 domain)
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slot_values(events) == {"requested_slot": None}


def test_a_reason_the_policy_keeps_with_the_bot_gives_the_support_line(
    conversation, dispatcher, domain, tmp_path, monkeypatch
):
    policy = yaml.safe_load((ROOT / "lender" / "policy.yml").read_text())
    policy["handoff"]["request_human"] = False
    (tmp_path / "jurisdictions").mkdir()
    (tmp_path / "jurisdictions" / "us.yml").write_text((ROOT / "lender/jurisdictions/us.yml").read_text())
    (tmp_path / "policy.yml").write_text(yaml.safe_dump(policy))
    monkeypatch.setenv("POLICY_FILE", str(tmp_path / "policy.yml"))
    lending.policy.current_policy.cache_clear()
    try:
        run(ActionHandoff(), dispatcher, tracker(verified(), intent="request_human"), domain)
    finally:
        monkeypatch.delenv("POLICY_FILE")
        lending.policy.current_policy.cache_clear()

    assert rendered(dispatcher, domain) == [
        "I can't pass this conversation to a person here, but you can call Northwind Credit on +18005550100."
    ]
    assert conversation_row().handled_by == "bot" and outcomes() == []


def test_abuse_gets_one_calm_answer_then_a_person(conversation, dispatcher, domain):
    first = run(ActionHandleAbuse(), dispatcher, tracker(verified(), intent="abuse"), domain)
    assert slot_values(first) == {"abuse_count": 1}
    assert rendered(dispatcher, domain) == [
        "I understand this is frustrating, and I'm here to help. If you'd prefer, I can pass you to a person."
    ]
    assert outcomes() == []

    second = run(ActionHandleAbuse(), dispatcher, tracker(verified(abuse_count=1), intent="abuse"), domain)
    assert slot_values(second) == {"abuse_count": 2}
    assert outcomes("escalation")[0].details == {"reason": "abuse_after_deescalation"}
    assert conversation_row().handled_by == "human"


def _turns(*answers):
    """Events of earlier turns: each user message followed by the actions that answered it."""
    events = []
    for answer in answers:
        events.append({"event": "user", "text": "..."})
        events += [{"event": "action", "name": name} for name in answer]
    return events + [{"event": "user", "text": "..."}]


@pytest.mark.parametrize(
    "slots, earlier, expected",
    [
        (verified(), [], ["utter_not_understood"]),
        ({"identity_status": "pending"}, [], ["utter_not_understood_unverified"]),
        (verified(), [["action_handle_not_understood", "action_listen"]], ["utter_handoff_in_hours"]),
        (verified(), [["action_handle_not_understood", "action_listen"], ["utter_greet", "action_listen"]],
         ["utter_not_understood"]),
    ],
)
def test_the_second_message_in_a_row_not_understood_goes_to_a_person(
    conversation, dispatcher, domain, slots, earlier, expected
):
    t = tracker(slots, intent="nlu_fallback", events=_turns(*earlier))
    run(ActionHandleNotUnderstood(), dispatcher, t, domain)

    assert responses(dispatcher) == expected
    handed_over = expected == ["utter_handoff_in_hours"]
    assert (conversation_row().handled_by == "human") is handed_over
    if handed_over:
        assert outcomes("escalation")[0].details == {"reason": "not_understood_twice"}


def test_handoff_without_a_gateway_conversation_still_records_it(store_url, dispatcher, domain):
    """`rasa shell` talks to the bot with no Conversation row: nothing to mark, still recorded."""
    run(ActionHandoff(), dispatcher, tracker({"identity_status": "pending"}, intent="request_human",
                                             sender="shell-user"), domain)

    [escalation] = outcomes("escalation")
    assert (escalation.conversation_id, escalation.account_id) == (None, None)
    assert responses(dispatcher) == ["utter_handoff_in_hours"]
