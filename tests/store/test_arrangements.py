"""store/arrangements.py on SQLite and PostgreSQL: opened with the agreement, met by
payments, reviewed in the borrower's own days, every transition audited."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from lending.arrangements import TransitionError
from lending.plans import instalment_plan
from lending.policy import load_policy
from lending.relief import breathing_space, fee_waiver, reduced_plan
from store import arrangements
from store.models import Account, AuditEvent, Payment
from store.outcomes import record_outcome

POLICY = load_policy()
TODAY = dt.date(2026, 12, 7)
UTC = dt.timezone.utc


def add_account(session, account_id="A-1", timezone="America/New_York", fees="20.00"):
    session.add(Account(
        account_id=account_id, name="Ann Example", phone="+15550100001", timezone=timezone,
        language="en", currency="USD", principal=Decimal("400.00"), interest=Decimal("33.48"),
        fees=Decimal(fees), due_date=dt.date(2026, 11, 1), birth_date=dt.date(1990, 1, 1), id_last4="1234",
    ))
    session.flush()
    return session.get(Account, account_id)


def agree_plan(session, account, months=3, by=None):
    offer = instalment_plan(account.balance, months, TODAY, POLICY)
    details = {**offer.as_dict(), "currency": "USD", **({"by": by} if by else {})}
    record_outcome(session, "plan", account_id=account.account_id, conversation_id=None, details=details)
    return arrangements.active(session, account.account_id)[-1]


def pay(session, account, amount, reference, paid_on=TODAY):
    payment = Payment(reference=reference, account_id=account.account_id, amount=Decimal(amount),
                      currency="USD", paid_on=paid_on, source="api")
    session.add(payment)
    session.flush()
    return arrangements.allocate_payment(session, payment, actor="api", today=paid_on,
                                         grace_days=POLICY.grace_days)


def schedule(session, arrangement):
    return [(r["amount"], r["amount_paid"], r["status"])
            for r in arrangements.as_json(session, arrangement)["schedule"]]


def actions(session, account_id="A-1"):
    return [e.action for e in session.execute(
        select(AuditEvent).where(AuditEvent.account_id == account_id).order_by(AuditEvent.id)).scalars()]


def test_a_plan_outcome_opens_an_active_plan_whose_instalments_add_up_to_the_balance(session):
    account = add_account(session)
    plan = agree_plan(session, account, by="agent:dana")
    shown = arrangements.as_json(session, plan)
    assert (shown["kind"], shown["status"], shown["agreed_by"]) == ("plan", "active", "agent:dana")
    assert sum(Decimal(r["amount"]) for r in shown["schedule"]) == account.balance
    assert [r["due_on"] for r in shown["schedule"]] == ["2026-12-14", "2027-01-14", "2027-02-14"]
    assert "arrangement_active" in actions(session)


def test_a_new_promise_or_plan_replaces_an_open_promise(session):
    account = add_account(session)
    record_outcome(session, "promise", account_id="A-1", conversation_id=None,
                   details={"date": "2026-12-10", "amount": "100.00", "currency": "USD"})
    promise = arrangements.active(session, "A-1")[0]
    agree_plan(session, account)
    assert promise.status == "cancelled" and promise.status_reason == "replaced"
    assert [a.kind for a in arrangements.active(session, "A-1")] == ["plan"]


def test_payments_meet_the_schedule_and_a_paid_plan_is_completed(session):
    account = add_account(session)
    plan = agree_plan(session, account)
    report = pay(session, account, "200.00", "p-1", paid_on=dt.date(2026, 12, 10))  # before it is due
    assert report.instalments_paid == 1
    assert schedule(session, plan)[:2] == [("151.16", "151.16", "paid"), ("151.16", "48.84", "part_paid")]
    report = pay(session, account, "300.00", "p-2")  # more than the rest of the schedule
    assert report.completed == [plan.id] and plan.status == "completed"
    assert [s for _, _, s in schedule(session, plan)] == ["paid", "paid", "paid"]
    assert actions(session).count("payment_allocated") == 2


def test_an_instalment_unpaid_past_the_grace_days_breaks_the_plan(session):
    account = add_account(session)
    plan = agree_plan(session, account)
    pay(session, account, "151.16", "p-1")
    # 2027-01-14 + 3 grace days: still fine at the end of the 17th in New York...
    late_17th = dt.datetime(2027, 1, 18, 4, 59, tzinfo=UTC)
    assert arrangements.review(session, late_17th, POLICY.grace_days).broken == []
    assert plan.status == "active"
    # ...broken once the borrower's 18th begins.
    report = arrangements.review(session, dt.datetime(2027, 1, 18, 5, 1, tzinfo=UTC), POLICY.grace_days)
    assert report.broken == ["A-1"] and plan.status == "broken"
    assert [s for _, _, s in schedule(session, plan)] == ["paid", "missed", "due"]
    assert "arrangement_broken" in actions(session)


def test_the_same_instant_is_a_different_day_for_borrowers_in_different_zones(session):
    east = add_account(session, "A-EAST", timezone="Asia/Shanghai")
    west = add_account(session, "A-WEST", timezone="America/Los_Angeles")
    for account in (east, west):
        agree_plan(session, account)
    # 2026-12-17 20:00 UTC: already the 18th in Shanghai (grace over), still the 17th in LA.
    report = arrangements.review(session, dt.datetime(2026, 12, 17, 20, 0, tzinfo=UTC), POLICY.grace_days)
    assert report.broken == ["A-EAST"]


def test_review_without_breaking_only_completes(session):
    account = add_account(session)
    plan = agree_plan(session, account)
    report = arrangements.review(session, dt.datetime(2027, 3, 1, tzinfo=UTC), POLICY.grace_days,
                                 break_overdue=False)
    assert report.broken == [] and plan.status == "active"


def test_deferral_and_breathing_space_end_after_their_last_day(session):
    add_account(session)
    record_outcome(session, "deferral", account_id="A-1", conversation_id=None,
                   details={"new_due_date": "2026-12-21", "previous_due_date": "2026-11-01", "days": 14})
    space = breathing_space(TODAY, POLICY)
    record_outcome(session, "relief", account_id="A-1", conversation_id=None, details=space)
    deferral, breathing = arrangements.active(session, "A-1")
    assert (deferral.ends_on, breathing.ends_on) == (dt.date(2026, 12, 21), dt.date(2027, 1, 5))
    arrangements.review(session, dt.datetime(2026, 12, 22, 12, tzinfo=UTC), POLICY.grace_days)
    assert (deferral.status, breathing.status) == ("completed", "active")
    arrangements.review(session, dt.datetime(2027, 1, 6, 12, tzinfo=UTC), POLICY.grace_days)
    assert breathing.status == "completed"


def test_a_fee_waiver_writes_the_fees_off(session):
    account = add_account(session, fees="20.00")
    record_outcome(session, "relief", account_id="A-1", conversation_id=None,
                   details={**fee_waiver(account.fees, POLICY), "by": "agent:dana"})
    waiver = arrangements.for_account(session, "A-1")[0]
    assert account.fees == 0 and waiver.status == "completed" and waiver.total == Decimal("20.00")
    assert "fees_waived" in actions(session)


def test_a_reduced_plan_is_a_schedule_smaller_than_the_balance(session):
    account = add_account(session)
    details = reduced_plan(account.balance, 3, TODAY, POLICY)
    record_outcome(session, "relief", account_id="A-1", conversation_id=None, details=details)
    reduced = arrangements.active(session, "A-1")[0]
    assert reduced.kind == "reduced_plan"
    assert [a for a, _, _ in schedule(session, reduced)] == ["75.58", "75.58", "75.58"]


def test_cancel_and_move_a_date_are_audited_and_final_states_stay_final(session):
    account = add_account(session)
    plan = agree_plan(session, account)
    arrangements.move_instalment(session, plan, 2, dt.date(2027, 1, 25), actor="bot")
    assert arrangements.as_json(session, plan)["schedule"][1]["due_on"] == "2027-01-25"
    assert arrangements.date_moves(plan) == 1
    arrangements.cancel(session, plan, actor="supervisor:sam", reason="borrower asked")
    assert plan.status == "cancelled"
    assert [s for _, _, s in schedule(session, plan)] == ["cancelled"] * 3
    with pytest.raises(TransitionError):
        arrangements.transition(session, plan, "active", actor="agent:dana", because="oops")
    assert {"instalment_moved", "arrangement_cancelled"} <= set(actions(session))
