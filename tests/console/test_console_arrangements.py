"""Arrangements in the console: the account's agreements shown once the borrower is verified,
deferrals and hardship relief recorded under the bot's rules (lending/plans.py,
lending/relief.py), and an arrangement cancelled or an instalment's date moved, with a
supervisor's approval where the policy asks one."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select, update

from lending import relief
from lending.plans import instalment_plan
from lending.policy import load_policy
from server.console.outcomes import RELIEF_OPTIONS
from store.agents import save_agent
from store.db import session_scope
from store.models import Account, Arrangement, AuditEvent, Conversation, OutcomeKind
from store.outcomes import record_outcome
from tests.support.app import copy_policy
from tests.support.console import PASSWORD
from tests.support.fake_rasa import hand_over
from tests.support.store import audit_actions, outbox_bodies

# DEMO-1001: Dana Rivers, New York, $453.50 ($420 + $18.50 + $15 fees).


@pytest.fixture
def policy_file(tmp_path, request):
    """The lender's policy; a test parametrized with rule names takes them off
    exceptions.supervisor_may_approve."""
    path = copy_policy(tmp_path, rasa_timeout_seconds=1)
    dropped = getattr(request, "param", ())
    if dropped:
        policy = yaml.safe_load(path.read_text())
        rules = policy["exceptions"]["supervisor_may_approve"]
        policy["exceptions"]["supervisor_may_approve"] = [r for r in rules if r not in dropped]
        path.write_text(yaml.safe_dump(policy))
    return path


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("America/New_York")).date()


DUE = today() + dt.timedelta(days=5)  # not yet due: a deferral counts from the due date


def conversation_id() -> str:
    with session_scope() as session:
        return session.execute(select(Conversation.id)).scalar_one()


@pytest.fixture
def held(app, sms, browser):
    """DEMO-1001's conversation, due in 5 days, verified by the bot, handed over and held by alice."""
    with session_scope() as session:
        session.execute(update(Account).where(Account.account_id == "DEMO-1001").values(due_date=DUE))
    sms("hello")
    handoff_id = hand_over(conversation_id())
    alice = browser("alice")
    assert alice.claim(handoff_id).status_code == 200
    return alice, handoff_id


def arrangements(browser_, handoff_id) -> list:
    return browser_.view(handoff_id).get_json()["arrangements"]


def change(browser_, handoff_id, arrangement_id, action, **form):
    return browser_.post(f"/console/api/handoffs/{handoff_id}/arrangements/{arrangement_id}/{action}", form)


def arrangement_row(arrangement_id) -> Arrangement:
    with session_scope() as session:
        return session.get(Arrangement, arrangement_id)


def account() -> Account:
    with session_scope() as session:
        return session.get(Account, "DEMO-1001")


def events(action):
    with session_scope() as session:
        return session.execute(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id)).scalars().all()


def plan_of(alice, handoff_id, months="3") -> dict:
    response = alice.outcome(handoff_id, kind="plan", months=months)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["arrangement"]


# --- the panel ---------------------------------------------------------------------------

def test_the_panel_shows_the_schedule_only_once_the_borrower_is_verified(app, sms, browser, policy_file):
    sms("i want a person")
    conversation = conversation_id()
    offer = instalment_plan(Decimal("453.50"), 3, today(), load_policy(policy_file))
    with session_scope() as session:  # a plan the bot agreed in an earlier conversation
        record_outcome(session, OutcomeKind.PLAN, account_id="DEMO-1001", conversation_id=None,
                       details={**offer.as_dict(), "currency": "USD"})
        session.execute(update(Account).where(Account.account_id == "DEMO-1001").values(vulnerable=True))
    handoff_id = hand_over(conversation, verified=False)
    alice = browser("alice")
    alice.claim(handoff_id)

    view = alice.view(handoff_id).get_json()
    assert view["arrangements"] is None and "vulnerable" not in view["account"]
    assert "151.16" not in json.dumps(view)
    plan_id = arrangement_id_of("DEMO-1001")
    assert change(alice, handoff_id, plan_id, "cancel", reason="asked").status_code == 403
    assert change(alice, handoff_id, plan_id, "move", number=1, date=DUE.isoformat()).status_code == 403
    assert alice.post(f"/console/api/handoffs/{handoff_id}/vulnerable").status_code == 403
    for form in ({"kind": "deferral", "date": "2099-01-01"}, {"kind": "relief", "relief": "fee_waiver"}):
        refused = alice.outcome(handoff_id, **form)
        assert refused.status_code == 403 and "verify the borrower" in refused.get_json()["error"]

    assert alice.verify(handoff_id, "March 14, 1988", "4821").status_code == 200
    view = alice.view(handoff_id).get_json()
    assert view["account"]["vulnerable"] is True
    [plan] = view["arrangements"]
    assert (plan["kind"], plan["status"], plan["agreed_by"], plan["approved_by"]) == ("plan", "active", "bot", None)
    assert plan["agreed_at"].startswith(dt.datetime.now(dt.timezone.utc).date().isoformat())
    assert [(i["number"], i["due_on"], i["amount"], i["amount_paid"], i["status"]) for i in plan["schedule"]] == [
        (i.number, i.due.isoformat(), str(i.amount), "0.00", "due") for i in offer.instalments]


def test_the_page_has_the_panel_and_the_new_outcomes(held):
    alice, handoff_id = held
    page = alice.get(f"/console/handoffs/{handoff_id}").get_data(as_text=True)
    assert 'data-testid="arrangements"' in page and 'id="flag-vulnerable"' in page
    for option in ("deferral", "relief", *RELIEF_OPTIONS):
        assert f'<option value="{option}">' in page


@pytest.mark.parametrize("role", ["trainer", "analyst"])
def test_trainers_and_analysts_cannot_see_or_change_arrangements(held, browser, role):
    alice, handoff_id = held
    plan = plan_of(alice, handoff_id)
    with session_scope() as session:
        save_agent(session, f"the-{role}", role, PASSWORD)
    other = browser(f"the-{role}")
    assert other.view(handoff_id).status_code == 403
    for path, form in ((f"arrangements/{plan['id']}/cancel", {"reason": "asked"}),
                       (f"arrangements/{plan['id']}/move", {"number": 2, "date": "2099-01-01"}),
                       ("vulnerable", {}), ("outcomes", {"kind": "relief", "relief": "fee_waiver"})):
        response = other.post(f"/console/api/handoffs/{handoff_id}/{path}", form)
        assert response.status_code == 403, path
        assert response.get_json() == {"error": "your role has no access to conversations"}
    assert arrangement_row(plan["id"]).status == "active" and account().fees == Decimal("15.00")


def test_an_agent_flags_the_borrower_vulnerable(held):
    alice, handoff_id = held
    assert alice.view(handoff_id).get_json()["account"]["vulnerable"] is False
    response = alice.post(f"/console/api/handoffs/{handoff_id}/vulnerable")
    assert response.status_code == 200 and response.get_json() == {"vulnerable": True}
    assert account().vulnerable is True
    assert alice.view(handoff_id).get_json()["account"]["vulnerable"] is True
    [flagged] = events("flagged_vulnerable")
    assert (flagged.actor, flagged.account_id, flagged.details) == ("agent:alice", "DEMO-1001", {"because": "agent"})
    assert alice.post(f"/console/api/handoffs/{handoff_id}/vulnerable", csrf=False).status_code == 400


# --- deferral ----------------------------------------------------------------------------

def test_a_deferral_inside_the_policy_moves_the_due_date(held):
    alice, handoff_id = held
    new_due = DUE + dt.timedelta(days=14)
    response = alice.outcome(handoff_id, kind="deferral", date=new_due.isoformat())
    assert response.status_code == 201
    body = response.get_json()
    assert body["recorded"]["details"] == {
        "new_due_date": new_due.isoformat(), "previous_due_date": DUE.isoformat(), "days": 14,
        "by": "agent:alice", "handoff_id": handoff_id,
    }
    deferral = body["arrangement"]
    assert (deferral["kind"], deferral["status"], deferral["ends_on"], deferral["agreed_by"]) == (
        "deferral", "active", new_due.isoformat(), "agent:alice")
    assert arrangements(alice, handoff_id) == [deferral]


def test_what_an_agent_agrees_is_confirmed_to_the_borrower_in_writing_once(held):
    alice, handoff_id = held
    new_due = DUE + dt.timedelta(days=14)
    assert alice.outcome(handoff_id, kind="deferral", date=new_due.isoformat()).status_code == 201
    day = f"{new_due:%b} {new_due.day}"
    confirmations = [body for body in outbox_bodies("+15550100001") if "due date is now" in body]
    assert confirmations == [
        f"Northwind Credit: your due date is now {day}. Pay at https://pay.northwind.example/a/DEMO-1001. "
        "Reply HELP for help, STOP to opt out."]
    [sent] = events("confirmation_sent")
    assert sent.actor == "agent:alice"


def test_a_deferral_too_long_or_a_second_in_a_year_is_refused_with_the_rule(held):
    alice, handoff_id = held
    too_long = alice.outcome(handoff_id, kind="deferral", date=(DUE + dt.timedelta(days=31)).isoformat(),
                             request_approval=True)
    assert too_long.status_code == 422
    assert too_long.get_json() == {
        "refusal": {"rule": "deferral_too_long", "reason": "A deferral can be at most 30 days."},
        "approvable": False,
    }
    assert alice.outcome(handoff_id, kind="deferral", date=(DUE + dt.timedelta(days=30)).isoformat()).status_code == 201
    again = alice.outcome(handoff_id, kind="deferral", date=(DUE + dt.timedelta(days=40)).isoformat())
    assert again.status_code == 422
    assert again.get_json()["refusal"] == {
        "rule": "deferral_limit", "reason": "A deferral was already granted in the last 12 months."}
    assert [a["kind"] for a in arrangements(alice, handoff_id)] == ["deferral"]
    assert audit_actions("agent:alice").count("outcome_refused") == 2


def test_a_deferral_must_come_after_the_due_date(held):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, kind="deferral", date=DUE.isoformat())
    assert response.status_code == 400
    assert response.get_json() == {"error": f"date: a new due date after {DUE.isoformat()}"}


# --- relief ------------------------------------------------------------------------------

def test_a_reduced_plan_is_the_schedule_relief_allows(held, policy_file):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, kind="relief", relief="reduced_plan", months="3")
    assert response.status_code == 201
    expected = relief.reduced_plan(Decimal("453.50"), 3, today(), load_policy(policy_file))
    assert [i["amount"] for i in expected["instalments"]] == ["75.58"] * 3  # half of 151.16
    plan = response.get_json()["arrangement"]
    assert (plan["kind"], plan["status"], plan["total"]) == ("reduced_plan", "active", "226.74")
    assert [(i["due_on"], i["amount"]) for i in plan["schedule"]] == [
        (i["due"], i["amount"]) for i in expected["instalments"]]


def test_a_fee_waiver_writes_the_fees_off(held):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, kind="relief", relief="fee_waiver")
    assert response.status_code == 201
    waiver = response.get_json()["arrangement"]
    assert (waiver["kind"], waiver["status"], waiver["total"]) == ("fee_waiver", "completed", "15.00")
    assert account().fees == Decimal("0.00") and account().balance == Decimal("438.50")
    view = alice.view(handoff_id).get_json()
    assert (view["account"]["fees"], view["account"]["balance"]) == ("0.00", "438.50")
    refused = alice.outcome(handoff_id, kind="relief", relief="fee_waiver")
    assert refused.status_code == 422
    assert refused.get_json()["refusal"] == {"rule": "no_fees", "reason": "The account has no fees to waive."}


def test_breathing_space_runs_until_its_last_day(held):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, kind="relief", relief="breathing_space", days="10")
    assert response.status_code == 201
    space = response.get_json()["arrangement"]
    last_day = (today() + dt.timedelta(days=9)).isoformat()
    assert (space["kind"], space["status"], space["ends_on"]) == ("breathing_space", "active", last_day)
    assert response.get_json()["recorded"]["details"]["until"] == last_day

    default = alice.outcome(handoff_id, kind="relief", relief="breathing_space")  # the policy's 30 days
    assert default.get_json()["arrangement"]["ends_on"] == (today() + dt.timedelta(days=29)).isoformat()
    too_long = alice.outcome(handoff_id, kind="relief", relief="breathing_space", days="45")
    assert too_long.status_code == 422 and too_long.get_json() == {
        "refusal": {"rule": "breathing_space_too_long", "reason": "Breathing space lasts at most 30 days."},
        "approvable": False,
    }


@pytest.mark.parametrize("form, error", [
    ({"kind": "relief"}, "relief: one of reduced_plan, fee_waiver, breathing_space"),
    ({"kind": "relief", "relief": "reduced_plan", "months": "a few"}, "months: a whole number of months"),
    ({"kind": "relief", "relief": "breathing_space", "days": "0"}, "days: between 1 and 365"),
    ({"kind": "deferral", "date": "soon"}, "date: a date like 2026-12-01"),
])
def test_an_unreadable_relief_or_deferral_says_what_to_fix(held, form, error):
    alice, handoff_id = held
    response = alice.outcome(handoff_id, **form)
    assert response.status_code == 400 and response.get_json() == {"error": error}


def test_a_reduced_plan_beside_a_running_plan_needs_a_supervisor(held, browser):
    """One plan at a time, counted on the active arrangements as the bot counts them."""
    alice, handoff_id = held
    plan_of(alice, handoff_id)
    refused = alice.outcome(handoff_id, kind="relief", relief="reduced_plan", months="6")
    assert refused.status_code == 422
    assert refused.get_json() == {
        "refusal": {"rule": "plan_limit", "reason": "The account already has the most plans the policy allows."},
        "approvable": True,
    }
    asked = alice.outcome(handoff_id, kind="relief", relief="reduced_plan", months="6", request_approval=True)
    assert asked.status_code == 202
    approval_id = asked.get_json()["approval"]["id"]

    sue = browser("sue")
    approved = sue.post(f"/console/api/approvals/{approval_id}/approve")
    assert approved.status_code == 200
    reduced = approved.get_json()["arrangement"]
    assert (reduced["kind"], reduced["agreed_by"], reduced["approved_by"]) == ("reduced_plan", "agent:alice", "sue")
    assert len(reduced["schedule"]) == 6
    assert arrangement_row(reduced["id"]).approved_by == "sue"
    assert [a["kind"] for a in arrangements(alice, handoff_id)] == ["reduced_plan", "plan"]


def test_an_approved_plan_beyond_the_limits_carries_its_approver(held, browser):
    alice, handoff_id = held
    asked = alice.outcome(handoff_id, kind="plan", months="24", request_approval=True)
    assert asked.status_code == 202
    sue = browser("sue")
    approved = sue.post(f"/console/api/approvals/{asked.get_json()['approval']['id']}/approve").get_json()
    plan = approved["arrangement"]
    assert (plan["kind"], plan["agreed_by"], plan["approved_by"], len(plan["schedule"])) == (
        "plan", "agent:alice", "sue", 24)
    assert approved["recorded"]["details"]["exception"] == "months_out_of_range"


# --- cancel ------------------------------------------------------------------------------

def test_an_agent_asks_a_supervisor_to_cancel_where_the_policy_says_so(held, browser):
    alice, handoff_id = held
    plan = plan_of(alice, handoff_id)
    assert change(alice, handoff_id, plan["id"], "cancel").get_json() == {
        "error": "reason: say why the arrangement is cancelled"}
    refused = change(alice, handoff_id, plan["id"], "cancel", reason="lost her job")
    assert refused.status_code == 422
    assert refused.get_json() == {
        "refusal": {"rule": "arrangement_cancel",
                    "reason": "The policy asks a supervisor to approve cancelling an arrangement."},
        "approvable": True,
    }
    asked = change(alice, handoff_id, plan["id"], "cancel", reason="lost her job", request_approval=True)
    assert asked.status_code == 202
    assert arrangement_row(plan["id"]).status == "active"

    sue = browser("sue")
    [pending] = sue.queue()["approvals"]
    assert (pending["kind"], pending["details"]["reason"], pending["requested_by"]) == (
        "arrangement_cancel", "lost her job", "alice")
    approved = sue.post(f"/console/api/approvals/{pending['id']}/approve")
    assert approved.status_code == 200
    cancelled = approved.get_json()["arrangement"]
    assert (cancelled["status"], cancelled["status_reason"]) == ("cancelled", "cancelled: lost her job")
    assert {i["status"] for i in cancelled["schedule"]} == {"cancelled"}
    [event] = events("arrangement_cancelled")
    assert event.actor == "agent:alice" and event.details["arrangement_id"] == plan["id"]
    [approval] = [e for e in events("exception_approved") if e.actor == "agent:sue"]
    assert approval.details["rule"] == "arrangement_cancel" and approval.details["arrangement_id"] == plan["id"]

    # Cancelled, it no longer counts as a running plan: a new one is the bot's to agree again.
    assert alice.outcome(handoff_id, kind="plan", months="3").status_code == 201
    again = change(alice, handoff_id, plan["id"], "cancel", reason="twice")
    assert again.status_code == 409 and again.get_json() == {"error": "this plan is already cancelled"}


def test_a_supervisor_cancels_directly(app, sms, browser):
    sms("hello")
    handoff_id = hand_over(conversation_id())
    sue = browser("sue")
    sue.claim(handoff_id)
    plan = plan_of(sue, handoff_id)
    response = change(sue, handoff_id, plan["id"], "cancel", reason="agreed in error")
    assert response.status_code == 200 and response.get_json()["arrangement"]["status"] == "cancelled"
    assert "arrangement_cancel" in audit_actions("agent:sue")
    assert "arrangement_cancelled" in audit_actions("agent:sue")


@pytest.mark.parametrize("policy_file", [("arrangement_cancel",)], indirect=True)
def test_without_the_rule_an_agent_cancels_on_their_own(held):
    alice, handoff_id = held
    promise = alice.outcome(handoff_id, kind="promise", date=(today() + dt.timedelta(days=3)).isoformat())
    promise_id = promise.get_json()["arrangement"]["id"]
    response = change(alice, handoff_id, promise_id, "cancel", reason="wrong date")
    assert response.status_code == 200
    assert response.get_json()["arrangement"]["status"] == "cancelled"
    assert arrangement_row(promise_id).status_reason == "cancelled: wrong date"
    assert audit_actions("agent:alice")[-2:] == ["arrangement_cancelled", "arrangement_cancel"]


def test_an_arrangement_of_another_account_is_not_found(held):
    alice, handoff_id = held
    with session_scope() as session:
        record_outcome(session, OutcomeKind.PROMISE, account_id="DEMO-1002", conversation_id=None,
                       details={"date": DUE.isoformat(), "amount": "10.00", "currency": "USD"})
    other_id = arrangement_id_of("DEMO-1002")
    response = change(alice, handoff_id, other_id, "cancel", reason="not hers")
    assert response.status_code == 404 and arrangement_row(other_id).status == "active"


def arrangement_id_of(account_id) -> int:
    with session_scope() as session:
        return session.execute(select(Arrangement.id).where(Arrangement.account_id == account_id)).scalar_one()


# --- moving an instalment's date -----------------------------------------------------------

def test_an_instalment_moves_within_the_policy_once(held):
    alice, handoff_id = held
    plan = plan_of(alice, handoff_id)
    second = dt.date.fromisoformat(plan["schedule"][1]["due_on"])
    moved = change(alice, handoff_id, plan["id"], "move", number="2", date=(second + dt.timedelta(days=7)).isoformat())
    assert moved.status_code == 200
    schedule = moved.get_json()["arrangement"]["schedule"]
    assert schedule[1]["due_on"] == (second + dt.timedelta(days=7)).isoformat()
    assert [i["due_on"] for i in schedule] == [i["due_on"] for i in arrangements(alice, handoff_id)[0]["schedule"]]
    [event] = events("instalment_moved")
    assert (event.actor, event.details["number"], event.details["previous"]) == ("agent:alice", 2, second.isoformat())
    assert "instalment_move" in audit_actions("agent:alice")

    again = change(alice, handoff_id, plan["id"], "move", number="3",
                   date=(dt.date.fromisoformat(schedule[2]["due_on"]) + dt.timedelta(days=2)).isoformat())
    assert again.status_code == 422
    assert again.get_json() == {
        "refusal": {"rule": "date_move_limit", "reason": "A plan's dates can be moved 1 time(s)."},
        "approvable": True,
    }


def test_a_move_beyond_the_policy_goes_to_a_supervisor(held, browser):
    alice, handoff_id = held
    plan = plan_of(alice, handoff_id)
    first = dt.date.fromisoformat(plan["schedule"][0]["due_on"])
    far = (first + dt.timedelta(days=20)).isoformat()
    refused = change(alice, handoff_id, plan["id"], "move", number="1", date=far)
    assert refused.status_code == 422
    assert refused.get_json()["refusal"] == {"rule": "date_move_too_far", "reason": "A date can move at most 14 days."}
    # An agent cannot approve their own exception.
    assert change(alice, handoff_id, plan["id"], "move", number="1", date=far,
                  approve_exception=True).status_code == 422
    asked = change(alice, handoff_id, plan["id"], "move", number="1", date=far, request_approval=True)
    assert asked.status_code == 202
    assert arrangement_row(plan["id"]).details.get("date_moves", 0) == 0

    sue = browser("sue")
    approved = sue.post(f"/console/api/approvals/{asked.get_json()['approval']['id']}/approve")
    assert approved.status_code == 200
    assert approved.get_json()["arrangement"]["schedule"][0]["due_on"] == far
    assert arrangement_row(plan["id"]).details["date_moves"] == 1


def test_a_move_the_policy_never_allows_stays_refused(held):
    alice, handoff_id = held
    plan = plan_of(alice, handoff_id)
    first = dt.date.fromisoformat(plan["schedule"][0]["due_on"])
    earlier = change(alice, handoff_id, plan["id"], "move", number="1",
                     date=(first - dt.timedelta(days=1)).isoformat(), request_approval=True)
    assert earlier.status_code == 422 and earlier.get_json()["approvable"] is False
    assert earlier.get_json()["refusal"]["rule"] == "date_move_not_later"
    assert change(alice, handoff_id, plan["id"], "move", number="9", date="2099-01-01").get_json() == {
        "error": "number: this plan has no instalment 9"}
    promise = alice.outcome(handoff_id, kind="promise", date=(today() + dt.timedelta(days=3)).isoformat())
    moved_promise = change(alice, handoff_id, promise.get_json()["arrangement"]["id"], "move", number="1",
                           date=(today() + dt.timedelta(days=5)).isoformat())
    assert moved_promise.status_code == 409
    assert moved_promise.get_json() == {"error": "only a plan's instalments can move; agree a new promise instead"}
