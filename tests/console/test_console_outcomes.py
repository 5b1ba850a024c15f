"""Outcomes recorded by an agent go through the bot's policy checks (lending/plans.py);
what the policy refuses needs a supervisor's approval where the policy allows one."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lending.plans import instalment_plan
from lending.policy import load_policy
from store.db import session_scope
from store.models import Account, ApprovalRequest, Outcome
from tests.support.accounts import BORROWER
from tests.support.fake_rasa import hand_over
from tests.support.store import audit_actions


@pytest.fixture
def held(app, sms, browser):
    """DEMO-1001's conversation (Dana, $453.50, New York), handed over and claimed by alice."""
    sms("hello")
    with session_scope() as session:
        from store.models import Conversation

        conversation_id = session.execute(select(Conversation.id)).scalar_one()
    handoff_id = hand_over(conversation_id)
    alice = browser("alice")
    assert alice.claim(handoff_id).status_code == 200
    return alice, handoff_id


def today_in_new_york() -> dt.date:
    return dt.datetime.now(ZoneInfo("America/New_York")).date()


def outcomes(kind):
    with session_scope() as session:
        return session.execute(select(Outcome).where(Outcome.kind == kind)).scalars().all()


def test_a_plan_inside_the_policy_is_the_schedule_the_bot_would_offer(held, policy_file):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, kind="plan", months="3")
    assert response.status_code == 201
    [plan] = outcomes("plan")
    expected = instalment_plan(
        plan_balance(), 3, today_in_new_york(), load_policy(policy_file)
    ).as_dict()
    assert {k: plan.details[k] for k in expected} == expected
    assert [i["amount"] for i in plan.details["instalments"]] == ["151.16", "151.16", "151.18"]
    assert plan.details["by"] == "agent:alice"


def plan_balance():
    with session_scope() as session:
        return session.get(Account, "DEMO-1001").balance


def test_a_promise_too_far_ahead_is_refused_with_the_rule(held):
    alice, handoff_id = held
    far = (today_in_new_york() + dt.timedelta(days=40)).isoformat()
    response = alice.outcome(handoff_id, kind="promise", date=far)
    assert response.status_code == 422
    body = response.get_json()
    assert body["refusal"]["rule"] == "promise_too_far" and body["approvable"] is True
    assert "14 days" in body["refusal"]["reason"]
    assert outcomes("promise") == []
    assert "outcome_refused" in audit_actions("agent:alice")


def test_an_agent_asks_and_a_supervisor_approves_an_exception(held, browser):
    alice, handoff_id = held
    far = (today_in_new_york() + dt.timedelta(days=40)).isoformat()
    asked = alice.outcome(handoff_id, kind="promise", date=far, request_approval=True)
    assert asked.status_code == 202
    approval_id = asked.get_json()["approval"]["id"]
    assert outcomes("promise") == []

    # Agents cannot approve; the supervisor sees the request in the queue and approves it.
    assert alice.post(f"/console/api/approvals/{approval_id}/approve").status_code == 403
    sue = browser("sue")
    [pending] = sue.queue()["approvals"]
    assert pending["refusal"]["rule"] == "promise_too_far" and pending["requested_by"] == "alice"
    assert sue.post(f"/console/api/approvals/{approval_id}/approve").status_code == 200
    assert sue.post(f"/console/api/approvals/{approval_id}/approve").status_code == 409

    [promise] = outcomes("promise")
    assert promise.details["date"] == far and promise.details["amount"] == "453.50"
    assert (promise.details["approved_by"], promise.details["exception"]) == ("sue", "promise_too_far")
    assert "exception_approved" in audit_actions("agent:sue")
    view = alice.view(handoff_id).get_json()
    assert [a["status"] for a in view["approvals"]] == ["approved"]
    assert [o["kind"] for o in view["outcomes"]] == ["promise"]


def test_a_rejected_exception_records_nothing(held, browser):
    alice, handoff_id = held
    asked = alice.outcome(handoff_id, kind="plan", months="24", request_approval=True)
    assert asked.status_code == 202
    sue = browser("sue")
    approval_id = asked.get_json()["approval"]["id"]
    assert sue.post(f"/console/api/approvals/{approval_id}/reject").status_code == 200
    assert outcomes("plan") == []
    with session_scope() as session:
        assert session.get(ApprovalRequest, approval_id).status == "rejected"


def test_a_supervisor_holding_the_conversation_approves_their_own_exception(app, sms, browser):
    sms("hello")
    with session_scope() as session:
        from store.models import Conversation

        handoff_id = hand_over(session.execute(select(Conversation.id)).scalar_one())
    sue = browser("sue")
    sue.claim(handoff_id)
    refused = sue.outcome(handoff_id, kind="plan", months="24")
    assert refused.status_code == 422 and refused.get_json()["refusal"]["rule"] == "months_out_of_range"
    approved = sue.outcome(handoff_id, kind="plan", months="24", approve_exception=True)
    assert approved.status_code == 201
    [plan] = outcomes("plan")
    assert plan.details["months"] == 24 and len(plan.details["instalments"]) == 24
    assert sum(float(i["amount"]) for i in plan.details["instalments"]) == pytest.approx(453.50)
    assert plan.details["approved_by"] == "sue"


def test_an_agent_cannot_approve_their_own_exception(held):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, kind="plan", months="24", approve_exception=True)
    assert response.status_code == 422 and outcomes("plan") == []


def test_what_the_policy_does_not_let_anyone_approve_stays_refused(held):
    alice, handoff_id = held
    late = dt.datetime.now(ZoneInfo("America/New_York")).replace(hour=22, minute=30) + dt.timedelta(days=1)
    response = alice.outcome(handoff_id, kind="callback", at=late.strftime("%Y-%m-%dT%H:%M"),
                             request_approval=True)
    assert response.status_code == 422
    assert response.get_json() == {
        "refusal": {"rule": "callback_outside_contact_hours",
                    "reason": "Calls are allowed 08:00-21:00 in the borrower's time zone."},
        "approvable": False,
    }
    with session_scope() as session:
        assert session.execute(select(ApprovalRequest)).scalars().all() == []


def test_a_callback_inside_contact_hours_is_recorded_in_the_borrowers_time(held):
    alice, handoff_id = held
    tomorrow = today_in_new_york() + dt.timedelta(days=1)
    response = alice.outcome(handoff_id, kind="callback", at=f"{tomorrow}T14:30", note="after work")
    assert response.status_code == 201
    [callback] = outcomes("callback")
    assert callback.details["local"] == f"{tomorrow} 14:30"
    assert callback.details["timezone"] == "America/New_York"


@pytest.mark.parametrize(
    "form, error",
    [
        ({"kind": "refund"}, "kind"),
        ({"kind": "promise", "date": "next week"}, "date"),
        ({"kind": "promise", "date": "2099-01-01", "amount": "lots"}, "amount"),
        ({"kind": "promise", "date": "2099-01-01", "amount": "999999"}, "amount"),
        ({"kind": "plan", "months": "three"}, "months"),
        ({"kind": "callback", "at": "tomorrow"}, "at"),
        ({"kind": "callback", "at": "9999-12-31T23:59"}, "at"),  # past year 9999 in UTC
    ],
)
def test_an_unreadable_form_says_what_to_fix(held, form, error):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, **form)
    assert response.status_code == 400 and response.get_json()["error"].startswith(error)


def test_paid_pauses_the_account_like_the_bot_does(held):
    alice, handoff_id = held
    assert alice.outcome(handoff_id, kind="paid", date=today_in_new_york().isoformat()).status_code == 201
    with session_scope() as session:
        assert session.get(Account, "DEMO-1001").status == "disputed"
    [paid] = outcomes("already_paid")
    assert paid.details["paid_on"] == today_in_new_york().isoformat()
    assert BORROWER == paid.phone
