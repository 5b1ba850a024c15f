"""Contact follows what the borrower agreed, on real PostgreSQL and Redis: a plan in good
standing stops the due-date ladder and gets a reminder the day before each unpaid
instalment; a plan broken past its grace gets the follow-up; a deferral moves the due date
the ladder counts from; vulnerable borrowers are left out; payments meet the schedule;
a worker cancels what an agreement or a payment made unwanted since it was scheduled; and
the per-account preview says all of it."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import select

from campaigns.attempts import deliver, utc_now
from campaigns.payments import import_payments
from campaigns.scheduling import schedule
from language import local_today
from lending.plans import instalment_plan
from lending.relief import reduced_plan
from server.api.campaigns import RUNTIME
from store.db import session_scope
from store.models import (
    Account,
    Arrangement,
    ArrangementInstalment,
    AttemptState,
    OutcomeKind,
)
from store.outcomes import record_outcome
from tests.support.accounts import account, afternoon_zone, load_accounts
from tests.support.app import API_KEY
from tests.support.paths import ROOT
from tests.support.store import attempts, outbox

AUTH = {"Authorization": f"Bearer {API_KEY}"}
LINK = "https://pay.northwind.example/a"
OPT_OUT = "Reply STOP to opt out."


@pytest.fixture
def app_rt(make_app, make_runtime, campaigns_dir):
    """The test reminders (due_soon 3, 1, 0 days before; overdue 1-30 days past due) and the
    shipped promise and plan follow-ups."""
    for name in ("promise_follow_up.yml", "plan_follow_up.yml"):
        shutil.copy(ROOT / "lender" / "campaigns" / name, campaigns_dir)
    app = make_app()
    rt = make_runtime()
    app.extensions[RUNTIME] = rt
    return app, rt


class Clock:
    """Instants on the borrowers' days: the same local hour (early afternoon) N days on."""

    def __init__(self):
        self.zone = afternoon_zone()
        self.now = utc_now().replace(microsecond=0)
        self.today = local_today(self.zone, self.now)

    def on(self, day: dt.date) -> dt.datetime:
        return self.now + dt.timedelta(days=(day - self.today).days)


def agree(account_id: str, kind: str, details: dict) -> None:
    with session_scope() as session:
        record_outcome(session, kind, account_id=account_id, conversation_id=None,
                       details={"currency": "USD", **details})


def agree_plan(rt, account_id: str, today: dt.date, months: int = 3) -> list:
    """A plan over the account's balance as the bot offers it; its instalments' due dates."""
    with session_scope() as session:
        balance = session.get(Account, account_id).balance
    offer = instalment_plan(balance, months, today, rt.policy)
    agree(account_id, OutcomeKind.PLAN, offer.as_dict())
    return [instalment.due for instalment in offer.instalments]


def pay(client, account_id: str, amount: str, paid_on: dt.date, reference: str) -> dict:
    answer = client.post("/api/payments", headers=AUTH, json=[
        {"account_id": account_id, "amount": amount, "paid_on": paid_on.isoformat(), "reference": reference}])
    assert answer.status_code == 200
    return answer.get_json()


def account_preview(client, campaign: str, at: dt.datetime, account_id: str) -> dict:
    answer = client.get(f"/api/campaigns/{campaign}/preview", headers=AUTH,
                        query_string={"at": at.isoformat(), "account_id": account_id})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def day(value: dt.date) -> str:
    return f"{value:%b} {value.day}"


def instalments(account_id: str) -> list:
    with session_scope() as session:
        return [(row.number, row.status, str(row.paid)) for row in session.execute(
            select(ArrangementInstalment).join(Arrangement, Arrangement.id == ArrangementInstalment.arrangement_id)
            .where(Arrangement.account_id == account_id).order_by(ArrangementInstalment.number)).scalars()]


def test_a_plan_stops_the_ladder_and_each_unpaid_instalment_is_reminded_the_day_before(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account("PL-1", days_past_due=5, name="Dana Rivers"), account("OD-1", days_past_due=5),
                   account("PL-zh", days_past_due=5, name="李文 Li", language="zh")])
    due = agree_plan(rt, "PL-1", clock.today)
    agree_plan(rt, "PL-zh", clock.today)
    client = app.test_client()

    overall = client.get("/api/campaigns/reminders/preview", headers=AUTH).get_json()
    assert (overall["stages"]["overdue"], overall["eligible"]) == (3, 1)
    assert overall["skipped"] == {"arrangement_in_good_standing": 2}

    # Every day until the first instalment's grace is over: no overdue message, and the
    # plan's reminder only the day before the instalment.
    first_grace_over = due[0] + dt.timedelta(days=rt.policy.instalments.grace_days)
    reminded = []
    for offset in range((first_grace_over - clock.today).days + 1):
        on = clock.today + dt.timedelta(days=offset)
        ladder = account_preview(client, "reminders", clock.on(on), "PL-1")
        assert (ladder["stage"], ladder["outcome"], ladder["rule"]) == (
            "overdue", "skipped", "arrangement_in_good_standing")
        plan = account_preview(client, "plan_follow_up", clock.on(on), "PL-1")
        if plan["outcome"] != "no_stage":
            reminded.append((on, plan["stage"], plan["outcome"]))
    assert reminded == [(due[0] - dt.timedelta(days=1), "plan_reminder", "eligible")]
    assert ladder["reason"] == (f"the plan agreed on {clock.today.isoformat()} is in good standing: "
                                "no due-date messages while it lasts")

    eve = clock.on(due[0] - dt.timedelta(days=1))
    preview = account_preview(client, "plan_follow_up", eve, "PL-1")
    plan_id = preview["standing"]["good_standing"]["id"]
    assert preview == {
        "campaign": "plan_follow_up", "account_id": "PL-1", "at": eve.isoformat(),
        "local_date": (due[0] - dt.timedelta(days=1)).isoformat(), "stage": "plan_reminder",
        "outcome": "eligible", "rule": None, "reason": None, "send_at": eve.isoformat(),
        "message": f"Hi Dana, Northwind Credit here: a reminder that instalment 1 of 3 of your plan is due "
                   f"{day(due[0])}. Pay at {LINK}/PL-1. {OPT_OUT}",
        "standing": {
            "due_date": (clock.today - dt.timedelta(days=5)).isoformat(),
            "effective_due_date": (clock.today - dt.timedelta(days=5)).isoformat(),
            "good_standing": {"id": plan_id, "kind": "plan", "status": "active", "instalments_paid": 0,
                              "instalment_count": 3,
                              "next_instalment": {"number": 1, "due_on": due[0].isoformat(),
                                                  "amount": "143.33", "amount_paid": "0.00"}},
            "broken": None, "breathing_space_until": None, "vulnerable": False,
        },
    }
    chinese = account_preview(client, "plan_follow_up", eve, "PL-zh")["message"]
    assert chinese == (f"李文您好，Northwind Credit提醒您：您的分期还款第1期（共3期）将于{due[0].month}月{due[0].day}日"
                       f"到期。请通过 {LINK}/PL-zh 还款。 回复TD退订")

    # Instalment 1 paid before it is due: no reminder for it; the next is for instalment 2.
    paid = pay(client, "PL-1", "143.33", clock.today, "PAY-1")
    assert (paid["instalments_paid"], paid["arrangements_completed"], paid["promises_kept"]) == (1, 0, 0)
    assert instalments("PL-1") == [(1, "paid", "143.33"), (2, "due", "0.00"), (3, "due", "0.00")]
    assert account_preview(client, "plan_follow_up", eve, "PL-1")["outcome"] == "no_stage"
    second = account_preview(client, "plan_follow_up", clock.on(due[1] - dt.timedelta(days=1)), "PL-1")
    assert (second["stage"], second["outcome"]) == ("plan_reminder", "eligible")
    assert f"instalment 2 of 3 of your plan is due {day(due[1])}." in second["message"]
    assert second["standing"]["good_standing"]["instalments_paid"] == 1


def test_an_instalment_unpaid_past_its_grace_breaks_the_plan_and_the_follow_up_is_due(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account("BR-1", days_past_due=5, name="Sam Okafor")])
    due = agree_plan(rt, "BR-1", clock.today)
    client = app.test_client()
    pay(client, "BR-1", "143.33", clock.today, "PAY-1")
    grace = rt.policy.instalments.grace_days
    last_day, broke = due[1] + dt.timedelta(days=grace), due[1] + dt.timedelta(days=grace + 1)

    in_grace = account_preview(client, "plan_follow_up", clock.on(last_day), "BR-1")
    assert in_grace["outcome"] == "no_stage" and in_grace["standing"]["good_standing"]["status"] == "active"
    # A preview of the day after the grace sees the plan broken before any review wrote it.
    follow_up = account_preview(client, "plan_follow_up", clock.on(broke), "BR-1")
    assert (follow_up["stage"], follow_up["outcome"]) == ("plan_broken", "eligible")
    assert follow_up["message"] == (
        f"Hi Sam, Northwind Credit here: we have not received instalment 2 of your plan, due {day(due[1])}. "
        f"Reply to agree a new date, or call +18005550100. {OPT_OUT}")
    broken = follow_up["standing"]["broken"]
    assert (broken["kind"], broken["status"], broken["broke_on"], broken["missed_instalment"]["number"]) == (
        "plan", "broken", broke.isoformat(), 2)
    assert follow_up["standing"]["good_standing"] is None
    with session_scope() as session:
        assert session.execute(select(Arrangement.status)).scalar_one() == "active"

    # The run of that day writes the break down, then schedules the follow-up.
    run = schedule(rt, rt.campaigns["plan_follow_up"], clock.on(broke), queue=False)
    assert run.arrangements == {"completed": 0, "broken": 1, "missed": 1} and run.scheduled == 1
    assert instalments("BR-1") == [(1, "paid", "143.33"), (2, "missed", "0.00"), (3, "due", "0.00")]
    (attempt,) = attempts()
    assert (attempt.stage, attempt.source) == ("plan_broken", "follow_up")
    assert deliver(rt, attempt.id, clock.on(broke)) == "sent to the outbox"
    assert [message.body for message in outbox(phone=None)] == [follow_up["message"]]


def test_a_deferral_moves_the_due_date_the_ladder_counts_from(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account("DF-1", days_past_due=1, name="Dana Rivers"), account("DF-0", days_past_due=1),
                   account("DF-far", days_past_due=40, name="Ana Long")])
    moved = clock.today + dt.timedelta(days=14)
    agree("DF-1", OutcomeKind.DEFERRAL, {"new_due_date": moved.isoformat(), "days": 14,
                                         "previous_due_date": (clock.today - dt.timedelta(days=1)).isoformat()})
    # Long overdue (outside the ladder's days), deferred to two days ago: back in the ladder.
    agree("DF-far", OutcomeKind.DEFERRAL, {"new_due_date": (clock.today - dt.timedelta(days=2)).isoformat(),
                                           "days": 38})
    client = app.test_client()

    today = client.get("/api/campaigns/reminders/preview", headers=AUTH,
                       query_string={"samples": 0}).get_json()
    assert (today["stages"], today["eligible"]) == ({"due_soon": 0, "overdue": 2}, 2)
    waiting = account_preview(client, "reminders", clock.on(clock.today), "DF-1")
    assert (waiting["stage"], waiting["outcome"]) == (None, "no_stage")
    assert (waiting["standing"]["due_date"], waiting["standing"]["effective_due_date"]) == (
        (clock.today - dt.timedelta(days=1)).isoformat(), moved.isoformat())
    far = account_preview(client, "reminders", clock.on(clock.today), "DF-far")
    assert (far["stage"], far["outcome"]) == ("overdue", "eligible")
    assert far["message"].endswith(f"due {day(clock.today - dt.timedelta(days=2))} is 2 days late. "
                                   f"Pay at {LINK}/DF-far {OPT_OUT}")

    ladder = {}
    for offset in range(0, 17):
        on = clock.today + dt.timedelta(days=offset)
        found = account_preview(client, "reminders", clock.on(on), "DF-1")
        if found["stage"] is not None:
            ladder[offset] = (found["stage"], found["outcome"])
    assert ladder == {11: ("due_soon", "eligible"), 13: ("due_soon", "eligible"), 14: ("due_soon", "eligible"),
                      15: ("overdue", "eligible"), 16: ("overdue", "eligible")}
    soon = account_preview(client, "reminders", clock.on(clock.today + dt.timedelta(days=11)), "DF-1")
    assert f"your repayment is due {day(moved)}." in soon["message"]


def test_vulnerable_borrowers_are_skipped_by_every_campaign_with_the_reason(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account("V-1", days_past_due=3, vulnerable="true"), account("V-0", days_past_due=3),
                   account("V-2", days_past_due=3, vulnerable="true")])
    due = agree_plan(rt, "V-2", clock.today)
    client = app.test_client()

    report = client.get("/api/campaigns/reminders/preview", headers=AUTH).get_json()
    assert (report["eligible"], report["skipped"]) == (1, {"vulnerable": 2})
    found = account_preview(client, "reminders", clock.now, "V-1")
    assert (found["stage"], found["outcome"], found["rule"], found["message"]) == (
        "overdue", "skipped", "vulnerable", None)
    assert found["reason"] == ("the borrower is flagged vulnerable; the policy leaves them out of automated "
                               "campaigns (vulnerability.exclude_from_campaigns)")
    assert found["standing"]["vulnerable"] is True
    eve = clock.on(due[0] - dt.timedelta(days=1))
    plan = account_preview(client, "plan_follow_up", eve, "V-2")
    assert (plan["stage"], plan["outcome"], plan["rule"]) == ("plan_reminder", "skipped", "vulnerable")

    run = schedule(rt, rt.campaigns["reminders"], clock.now, queue=False)
    assert (run.scheduled, dict(run.skipped)) == (1, {"vulnerable": 2})
    assert [a.account_id for a in attempts()] == ["V-0"]


def test_payments_meet_the_schedule(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account(f"PA-{n}", days_past_due=5) for n in range(1, 5)])
    due = agree_plan(rt, "PA-1", clock.today)
    for n in (2, 3):
        agree_plan(rt, f"PA-{n}", clock.today)
    with session_scope() as session:
        relief = reduced_plan(session.get(Account, "PA-4").balance, 3, clock.today, rt.policy)
    agree("PA-4", OutcomeKind.RELIEF, relief)
    client = app.test_client()

    # Part of instalment 1: part-paid, still reminded, with what is paid shown.
    part = pay(client, "PA-1", "100.00", clock.today, "P-1")
    assert (part["instalments_paid"], part["arrangements_completed"]) == (0, 0)
    assert instalments("PA-1") == [(1, "part_paid", "100.00"), (2, "due", "0.00"), (3, "due", "0.00")]
    eve = account_preview(client, "plan_follow_up", clock.on(due[0] - dt.timedelta(days=1)), "PA-1")
    assert eve["outcome"] == "eligible"
    assert eve["standing"]["good_standing"]["next_instalment"]["amount_paid"] == "100.00"
    # More than an instalment: the next one takes the rest.
    more = pay(client, "PA-1", "100.00", clock.today, "P-2")
    assert more["instalments_paid"] == 1
    assert instalments("PA-1") == [(1, "paid", "143.33"), (2, "part_paid", "56.67"), (3, "due", "0.00")]

    # The whole balance: every instalment paid, the plan completed, the account settled.
    settled = pay(client, "PA-2", "430.00", clock.today, "P-3")
    assert (settled["accounts_paid"], settled["instalments_paid"], settled["arrangements_completed"]) == (1, 3, 1)
    # Beyond a reduced plan's schedule: completed, and the rest lowers the balance.
    beyond = pay(client, "PA-4", "300.00", clock.today, "P-4")
    assert (beyond["accounts_paid"], beyond["instalments_paid"], beyond["arrangements_completed"]) == (0, 3, 1)
    with session_scope() as session:
        statuses = dict(session.execute(select(Arrangement.account_id, Arrangement.status)).all())
        accounts = {a.account_id: (a.status, a.balance) for a in session.execute(select(Account)).scalars()}
    assert statuses == {"PA-1": "active", "PA-2": "completed", "PA-3": "active", "PA-4": "completed"}
    assert accounts["PA-2"] == ("paid", Decimal("0.00"))
    assert accounts["PA-4"] == ("active", Decimal("130.00"))

    # A payment made after the plan broke mends nothing: it only lowers the balance.
    after = due[0] + dt.timedelta(days=rt.policy.instalments.grace_days + 1)
    with session_scope() as session:  # the lender reports it on that day
        late = import_payments(session, [{"account_id": "PA-3", "amount": "143.33", "paid_on": after.isoformat(),
                                          "reference": "P-5"}], "api", clock.on(after), rt.policy)
    assert (late.created, late.instalments_paid) == (1, 0)
    assert instalments("PA-3") == [(1, "due", "0.00"), (2, "due", "0.00"), (3, "due", "0.00")]


def test_a_worker_cancels_what_an_agreement_or_a_payment_made_unwanted(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account("SC-1", days_past_due=3), account("SC-2", days_past_due=3),
                   account("SC-3", days_past_due=5)])
    schedule(rt, rt.campaigns["reminders"], clock.now, queue=False)
    scheduled = {a.account_id: a.id for a in attempts()}
    assert set(scheduled) == {"SC-1", "SC-2", "SC-3"}

    agree_plan(rt, "SC-1", clock.today)  # after the overdue text was scheduled
    agree("SC-2", OutcomeKind.DEFERRAL, {"new_due_date": (clock.today + dt.timedelta(days=14)).isoformat()})
    assert deliver(rt, scheduled["SC-1"], clock.now) == "cancelled: arrangement_in_good_standing"
    assert deliver(rt, scheduled["SC-2"], clock.now) == "cancelled: due_date_moved"

    # A reminder of an instalment paid after it was scheduled.
    due = agree_plan(rt, "SC-3", clock.today)
    eve = clock.on(due[0] - dt.timedelta(days=1))
    schedule(rt, rt.campaigns["plan_follow_up"], eve, queue=False)
    (reminder,) = attempts(stage="plan_reminder", account_id="SC-3")
    pay(app.test_client(), "SC-3", "143.33", clock.today, "PAY-3")
    assert deliver(rt, reminder.id, eve) == "cancelled: instalment_paid"
    cancelled = {a.account_id: (a.state, a.rule) for a in attempts(state=AttemptState.CANCELLED)}
    assert cancelled == {"SC-1": ("cancelled", "arrangement_in_good_standing"),
                         "SC-2": ("cancelled", "due_date_moved"), "SC-3": ("cancelled", "instalment_paid")}
    assert outbox(phone=None) == []


def test_the_per_account_preview_refuses_what_it_cannot_answer(app_rt):
    app, rt = app_rt
    clock = Clock()
    load_accounts([account("A-1", days_past_due=3, name="Dana Rivers"), account("A-0", principal="0",
                                                                                interest="0", fees="0")])
    client = app.test_client()
    url = "/api/campaigns/reminders/preview"
    unknown = client.get(url, headers=AUTH, query_string={"account_id": "NOPE"})
    assert (unknown.status_code, unknown.get_json()) == (404, {"error": "no account 'NOPE'"})
    assert client.get("/api/campaigns/nope/preview", headers=AUTH,
                      query_string={"account_id": "A-1"}).status_code == 404
    bad = client.get(url, headers=AUTH, query_string={"account_id": "A-1", "at": "next tuesday"})
    assert bad.status_code == 400 and "expected an ISO instant" in bad.get_json()["error"]
    assert client.get(url, query_string={"account_id": "A-1"}).status_code == 401
    nothing_owed = account_preview(client, "reminders", clock.now, "A-0")
    assert (nothing_owed["outcome"], nothing_owed["rule"], nothing_owed["reason"]) == (
        "skipped", "out_of_segment", "nothing is owed")

    cli = app.test_cli_runner()
    printed = cli.invoke(args=["campaigns", "preview", "reminders", "--account", "A-1",
                               "--at", clock.now.isoformat()])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert lines[0] == (f"campaign reminders, account A-1 at {clock.now:%Y-%m-%d %H:%M} UTC "
                        f"(borrower's day {clock.today.isoformat()})")
    assert lines[1:4] == ["  stage          overdue", "  outcome        eligible",
                          f"  send at        {clock.now.isoformat()}"]
    assert lines[-1].startswith("  message        Northwind Credit: Hi Dana, your repayment due ")
    missing = cli.invoke(args=["campaigns", "preview", "reminders", "--account", "NOPE"])
    assert missing.exit_code == 1 and "no account 'NOPE'" in missing.output
