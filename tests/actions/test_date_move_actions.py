"""Moving a date of a running plan: the deferral form moves one instalment (the one named, else
the next) inside the policy (14 days at most, once per plan), read back, confirmed, then moved
in the store; without a plan the same request is a deferral of the due date.

DEMO-1001 (Dana, $453.50, New York) on the fixed clock, Tuesday Nov 24, 2026; a 3-month plan
agreed today has instalments on Dec 1, Jan 1 and Feb 1.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

import store.db
from actions.deferral import (
    ActionAskDeferralFormDeferralConfirmed,
    ActionAskDeferralFormDeferralDate,
    ActionRecordDeferral,
    ValidateDeferralForm,
)
from lending.plans import instalment_plan
from lending.policy import load_policy
from store import arrangements
from store.models import Arrangement, AuditEvent, OutcomeKind
from store.outcomes import record_outcome
from tests.actions.action_support import (
    PLAN_OPTIONS,
    form_tracker,
    open_conversation,
    outcomes,
    rendered,
    run,
    slot_values,
    tracker,
    verified,
    with_policy,
)

TODAY = dt.date(2026, 11, 24)
POLICY = load_policy()


def plan(months: int = 3, account_id: str = "DEMO-1001", balance: str = "453.50", currency: str = "USD") -> None:
    offer = instalment_plan(Decimal(balance), months, TODAY, POLICY).as_dict()
    with store.db.session_scope() as session:
        record_outcome(session, OutcomeKind.PLAN, account_id=account_id, conversation_id=None,
                       details={**offer, "currency": currency})


def start(dispatcher, domain, text="can i move my next instalment", date=None, sender=None, slots=None):
    """The form starting on request_date_change; `date`: the date entity the message held."""
    candidates = {"deferral_date": date} if date else {}
    entities = [{"entity": "date", "value": date}] if date else []
    extra = {"sender": sender} if sender else {}
    t = form_tracker("deferral_form", None, candidates, verified(**(slots or {})),
                     intent="request_date_change", text=text, entities=entities, **extra)
    return slot_values(run(ValidateDeferralForm(), dispatcher, t, domain))


def answer(dispatcher, domain, said, slots, sender=None):
    extra = {"sender": sender} if sender else {}
    t = form_tracker("deferral_form", "deferral_date", {"deferral_date": said}, verified(**slots),
                     intent="inform", text=said, **extra)
    return slot_values(run(ValidateDeferralForm(), dispatcher, t, domain))


def due_dates(account_id: str = "DEMO-1001") -> list:
    with store.db.session_scope() as session:
        [row] = arrangements.active(session, account_id)
        return [i.due_on.isoformat() for i in arrangements.instalments_of(session, row)]


def test_the_next_instalment_moves_inside_the_policy_after_a_yes(conversation, dispatcher, domain):
    plan()
    slots = start(dispatcher, domain)
    assert slots["date_move"] == {"arrangement_id": 1, "number": 1, "due": "2026-12-01",
                                  "amount": "151.16", "moves": 0}

    run(ActionAskDeferralFormDeferralDate(), dispatcher, tracker(verified(**slots)), domain)
    slots.update(answer(dispatcher, domain, "december 10", slots))
    assert slots["deferral_date"] == "2026-12-10"
    run(ActionAskDeferralFormDeferralConfirmed(), dispatcher, tracker(verified(**slots)), domain)
    run(ActionRecordDeferral(), dispatcher, tracker(verified(**slots, deferral_confirmed=True)), domain)

    assert rendered(dispatcher, domain) == [
        "Your instalment of $151.16 is due on Tue, Dec 1. Which date would you like to move it to?",
        "I'll move your instalment of $151.16 from Tue, Dec 1 to Thu, Dec 10. Is that right?",
        "Done. Your instalment of $151.16 is now due on Thu, Dec 10.",
    ]
    assert due_dates() == ["2026-12-10", "2027-01-01", "2027-02-01"]
    with store.db.session_scope() as session:
        assert arrangements.date_moves(session.execute(select(Arrangement)).scalar_one()) == 1
        [moved] = session.execute(select(AuditEvent).where(AuditEvent.action == "instalment_moved")).scalars()
        assert (moved.actor, moved.details["previous"], moved.details["to"]) == ("bot", "2026-12-01", "2026-12-10")
    assert outcomes("deferral") == []  # the plan moved, not the account's due date


def test_the_march_one_on_the_12th_is_the_march_instalment_on_march_12(conversation, dispatcher, domain):
    plan(months=6)  # Dec 1, Jan 1, Feb 1, Mar 1, Apr 1, May 1

    slots = start(dispatcher, domain, text="can i pay the march one on the 12th instead", date="the 12th")

    assert slots["date_move"]["number"] == 4 and slots["date_move"]["due"] == "2027-03-01"
    assert slots["deferral_date"] == "2027-03-12"


def test_a_date_further_than_the_policy_is_refused_then_goes_to_a_person(conversation, dispatcher, domain):
    plan()
    slots = start(dispatcher, domain)

    refused = answer(dispatcher, domain, "december 20", slots)

    assert refused["deferral_date"] is None and refused["refused_rules"] == ["date_move_too_far"]
    assert rendered(dispatcher, domain) == [
        "I can move an instalment by up to 14 days, so to Tue, Dec 15 at the latest."
    ]
    again = answer(dispatcher, domain, "december 22", {**slots, "refused_rules": ["date_move_too_far"]})
    assert again["form_stop_reason"] == "outside_policy"
    assert due_dates() == ["2026-12-01", "2027-01-01", "2027-02-01"]


def test_a_date_before_the_instalment_is_explained_and_asked_again(conversation, dispatcher, domain):
    plan()
    slots = start(dispatcher, domain)

    earlier = answer(dispatcher, domain, "november 30", slots)

    assert earlier["deferral_date"] is None and earlier["form_failures"] == 1
    assert rendered(dispatcher, domain) == ["The new date needs to be after Tue, Dec 1."]


def test_a_plan_whose_dates_moved_as_often_as_the_policy_allows_is_refused_at_once(conversation, dispatcher, domain):
    plan()
    with store.db.session_scope() as session:
        arrangement = session.execute(select(Arrangement)).scalar_one()
        arrangements.move_instalment(session, arrangement, 1, dt.date(2026, 12, 8), actor="agent:lee")

    slots = start(dispatcher, domain, text="can i push my next instalment back")

    assert slots["form_stop_reason"] == "refused" and slots["refused_rules"] == ["date_move_limit"]
    assert rendered(dispatcher, domain) == ["Your plan allows 1 date change, so I can't move this date myself."]
    dispatcher.messages.clear()
    events = run(ActionRecordDeferral(), dispatcher, tracker(verified(**slots)), domain)
    assert rendered(dispatcher, domain) == [PLAN_OPTIONS]
    assert slot_values(events)["date_move"] is None


def test_a_policy_allowing_more_moves_lets_the_plan_move_again(conversation, dispatcher, domain, monkeypatch):
    plan()
    with store.db.session_scope() as session:
        arrangements.move_instalment(session, session.execute(select(Arrangement)).scalar_one(), 1,
                                     dt.date(2026, 12, 8), actor="bot")
    with_policy(monkeypatch, instalments={"max_date_moves": 2})

    slots = start(dispatcher, domain)

    assert slots["date_move"]["moves"] == 1 and slots.get("form_stop_reason") is None


def test_a_date_moved_elsewhere_meanwhile_is_not_moved_again(conversation, dispatcher, domain):
    plan()
    slots = start(dispatcher, domain)
    slots.update(answer(dispatcher, domain, "december 10", slots))
    with store.db.session_scope() as session:  # an agent moved it while the borrower read the read-back
        arrangements.move_instalment(session, session.execute(select(Arrangement)).scalar_one(), 1,
                                     dt.date(2026, 12, 4), actor="agent:lee")
    dispatcher.messages.clear()

    run(ActionRecordDeferral(), dispatcher, tracker(verified(**slots, deferral_confirmed=True)), domain)

    assert rendered(dispatcher, domain) == ["No problem, I haven't set anything up.", PLAN_OPTIONS]
    assert due_dates()[0] == "2026-12-04"


def test_a_no_at_the_read_back_moves_nothing(conversation, dispatcher, domain):
    plan()
    slots = start(dispatcher, domain)
    slots.update(answer(dispatcher, domain, "december 10", slots))

    run(ActionRecordDeferral(), dispatcher, tracker(verified(**slots, deferral_confirmed=False)), domain)

    assert rendered(dispatcher, domain)[-2:] == ["No problem, I haven't set anything up.", PLAN_OPTIONS]
    assert due_dates()[0] == "2026-12-01"


def test_without_a_plan_moving_a_date_is_a_deferral(conversation, dispatcher, domain):
    slots = start(dispatcher, domain, text="can i pay on the 5th instead", date="the 5th")

    assert slots.get("date_move") is None and slots["deferral_date"] == "2026-12-05"
    run(ActionAskDeferralFormDeferralConfirmed(), dispatcher, tracker(verified(**slots)), domain)
    assert rendered(dispatcher, domain) == ["I'll move your payment of $453.50 to Sat, Dec 5. Is that right?"]


@pytest.mark.parametrize("said, number", [("can i move my second payment", 2), ("move the january instalment", 2),
                                          ("can i move the feb one", 3), ("can i move my next instalment", 1)])
def test_the_instalment_named_is_the_one_moved(conversation, dispatcher, domain, said, number):
    plan()
    assert start(dispatcher, domain, text=said)["date_move"]["number"] == number


def test_a_paid_instalment_is_not_the_one_moved(conversation, dispatcher, domain):
    plan()
    with store.db.session_scope() as session:
        first = arrangements.instalments_of(session, session.execute(select(Arrangement)).scalar_one())[0]
        first.paid = first.amount

    assert start(dispatcher, domain)["date_move"]["due"] == "2027-01-01"


def test_moving_a_date_in_chinese(store_url, dispatcher, domain):
    sender = open_conversation("DEMO-1005", sender="c-zh-move")
    plan(account_id="DEMO-1005", balance="3176.50", currency="CNY")

    slots = start(dispatcher, domain, text="下一期能改到12月10号吗", date="12月10号", sender=sender)
    assert slots["deferral_date"] == "2026-12-10"
    run(ActionAskDeferralFormDeferralConfirmed(), dispatcher, tracker(verified(**slots), sender=sender), domain)
    run(ActionRecordDeferral(), dispatcher, tracker(verified(**slots, deferral_confirmed=True), sender=sender), domain)

    assert rendered(dispatcher, domain, language="zh") == [
        "将把您1,058.83元这一期的还款日从12月1日（周二）改为12月10日（周四），对吗？",
        "已办好。您这一期1,058.83元的还款日已改为12月10日（周四）。",
    ]
    assert due_dates("DEMO-1005")[0] == "2026-12-10"


def test_the_chinese_instalment_named_by_its_month(store_url, dispatcher, domain):
    sender = open_conversation("DEMO-1005", sender="c-zh-move")
    plan(account_id="DEMO-1005", balance="3176.50", currency="CNY")

    slots = start(dispatcher, domain, text="1月那期能改到10号吗", date="10号", sender=sender)

    assert slots["date_move"]["number"] == 2 and slots["deferral_date"] == "2027-01-10"


@pytest.mark.parametrize("moved_to, said, read", [
    ("2026-12-14", "the 10th", None),  # the 10th of its month: before the instalment, explained
    ("2026-12-28", "the 3rd", "2027-01-03"),  # the 3rd after it, in the next month
    ("2026-12-14", "the 20th", "2026-12-20"),
])
def test_a_bare_day_of_the_month_is_read_beside_the_instalment(conversation, dispatcher, domain, monkeypatch,
                                                                moved_to, said, read):
    plan()
    with store.db.session_scope() as session:
        arrangements.move_instalment(session, session.execute(select(Arrangement)).scalar_one(), 1,
                                     dt.date.fromisoformat(moved_to), actor="agent:lee")
    with_policy(monkeypatch, instalments={"max_date_moves": 2})
    slots = start(dispatcher, domain)

    slots.update(answer(dispatcher, domain, said, slots))

    assert slots["deferral_date"] == read
    if read is None:
        assert rendered(dispatcher, domain) == ["The new date needs to be after Mon, Dec 14."]
