"""End to end through the Flask app, real PostgreSQL and Redis: a run over the API, a
worker sending through Twilio's API (its HTTP layer faked), signed status callbacks
moving each attempt along; payments in, promises (arrangements of kind promise) kept or
broken, and the follow-up."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import select

from campaigns.jobs import run_worker
from language import local_today
from server.api.campaigns import RUNTIME
from store.db import session_scope
from store.models import (
    Account,
    Arrangement,
    ArrangementStatus,
    AttemptState,
    ContactAttempt,
    Message,
    OutcomeKind,
)
from store.outcomes import is_opted_out, record_outcome
from tests.support.accounts import account, afternoon_zone, load_accounts
from tests.support.app import API_KEY
from tests.support.campaigns import write_campaign
from tests.support.paths import ROOT
from tests.support.store import attempts, audit_trail, outbox
from tests.support.twilio import PUBLIC_URL, FakeTwilio, post_status

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def work(rt) -> None:
    run_worker(rt, burst=True, sweep_interval=0, logging_level="WARNING")


@pytest.fixture
def twilio_app(make_app, make_runtime, twilio_env):
    """The app and its campaign runtime sending through a fake Twilio HTTP layer."""
    fake = FakeTwilio()
    app = make_app(**twilio_env)
    rt = make_runtime(http_client=fake, **twilio_env)
    app.extensions[RUNTIME] = rt
    return app, rt, fake


def test_status_callbacks_move_an_sms_through_its_states_and_keep_every_step(twilio_app):
    app, rt, fake = twilio_app
    row = account("A-1")
    load_accounts([row, account("A-2")])
    client = app.test_client()
    run = client.post("/api/campaigns/reminders/run", headers=AUTH, json={}).get_json()
    assert run["scheduled"] == 2 and run["queued"] == 2
    work(rt)
    first, second = attempts()
    assert (first.state, first.delivery) == (AttemptState.SENT, "queued")
    assert {r["To"] for r in fake.sent()} == {row["phone"], second.phone}

    for status in ("queued", "sent", "delivered"):
        answer = post_status(client, {"MessageSid": first.provider_sid, "MessageStatus": status,
                                      "AccountSid": "ACtest"}, query=f"attempt={first.id}")
        assert answer.status_code == 204
    late = post_status(client, {"MessageSid": first.provider_sid, "MessageStatus": "sent"},
                       query=f"attempt={first.id}")  # Twilio's callbacks may cross
    assert late.status_code == 204
    assert attempts()[0].delivery == "delivered"
    steps = [(e.details["delivery"], e.details["applied"]) for e in audit_trail("attempt_status")]
    assert steps == [("queued", True), ("sent", True), ("delivered", True), ("sent", False)]
    with session_scope() as session:
        message = session.execute(select(Message).where(Message.provider_sid == first.provider_sid)).scalar_one()
    assert message.status == "delivered"

    refused = post_status(client, {"MessageSid": second.provider_sid, "MessageStatus": "undelivered",
                                   "ErrorCode": "21610"}, query=f"attempt={second.id}")
    assert refused.status_code == 204
    (_, second) = attempts()
    assert (second.delivery, second.error_code) == ("undelivered", "21610")
    with session_scope() as session:
        assert is_opted_out(session, second.phone, "sms")  # opted out at the carrier

    forged = client.post("/twilio/status", data={"MessageSid": first.provider_sid, "MessageStatus": "failed"},
                         headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403 and attempts()[0].delivery == "delivered"

    progress = client.get(f"/api/campaigns/runs/{run['run_id']}", headers=AUTH).get_json()
    assert (progress["sent"], progress["total"], progress["waiting"]) == (2, 2, 0)


def test_a_callback_settles_an_attempt_left_in_doubt_by_a_dead_worker(twilio_app):
    app, rt, fake = twilio_app
    load_accounts([account("A-1")])
    client = app.test_client()
    client.post("/api/campaigns/reminders/run", headers=AUTH, json={})
    (attempt,) = attempts()
    with session_scope() as session:  # Twilio took it; the worker died before writing the sid
        row = session.get(ContactAttempt, attempt.id)
        row.state, row.provider_sid = AttemptState.IN_DOUBT, None
    sid = "SM" + "f" * 32
    post_status(client, {"MessageSid": sid, "MessageStatus": "delivered"}, query=f"attempt={attempt.id}")
    (attempt,) = attempts()
    assert (attempt.state, attempt.provider_sid, attempt.delivery) == (AttemptState.SENT, sid, "delivered")
    assert [e.action for e in audit_trail("attempt_")][-2:] == ["attempt_resolved", "attempt_status"]
    work(rt)  # its job finds nothing to do: it is never sent a second time
    assert fake.requests == []


def test_a_connected_call_starts_the_us_quiet_period(make_app, make_runtime, twilio_env, tmp_path):
    directory = tmp_path / "voice"
    voice = "This is {assistant} from {lender} with a message for {first_name}. Please call {support_phone}."
    write_campaign(directory, "calls", lambda d: (
        d.update(channel="voice"), d["templates"].update(due_soon={"en": voice}, overdue={"en": voice})))
    fake = FakeTwilio()
    app = make_app(CAMPAIGNS_DIR=str(directory), **twilio_env)
    rt = make_runtime(http_client=fake, CAMPAIGNS_DIR=str(directory), **twilio_env)
    app.extensions[RUNTIME] = rt
    load_accounts([account("A-1", name="Dana Rivers")])
    client = app.test_client()
    client.post("/api/campaigns/calls/run", headers=AUTH, json={})
    work(rt)
    (call,) = fake.sent()
    assert call["To"] and "<Say" in call["Twiml"] and "message for Dana" in call["Twiml"]
    (attempt,) = attempts()
    assert call["StatusCallback"] == f"{PUBLIC_URL}/twilio/status?attempt={attempt.id}"
    for status in ("initiated", "ringing", "in-progress", "completed"):
        post_status(client, {"CallSid": attempt.provider_sid, "CallStatus": status, "AnsweredBy": "human"},
                    query=f"attempt={attempt.id}")
    (attempt,) = attempts()
    assert (attempt.delivery, attempt.answered) == ("completed", True)
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    preview = client.get("/api/campaigns/calls/preview", query_string={"at": tomorrow}, headers=AUTH).get_json()
    assert preview["blocked"] == {"quiet_after_conversation": 1} and preview["eligible"] == 0


# -- payments and promises -----------------------------------------------------------------

def promise(account_id: str, promised_on: dt.date, amount: str) -> None:
    """What the bot records when a borrower promises: the promise arrangement opens with it."""
    with session_scope() as session:
        record_outcome(session, OutcomeKind.PROMISE, account_id=account_id, conversation_id=None,
                       details={"date": promised_on.isoformat(), "amount": amount, "currency": "USD"})


@pytest.fixture
def follow_up_app(make_app, make_runtime, campaigns_dir):
    shutil.copy(ROOT / "lender" / "campaigns" / "promise_follow_up.yml", campaigns_dir)
    app = make_app()
    rt = make_runtime()
    app.extensions[RUNTIME] = rt
    return app, rt


def test_promises_are_reminded_kept_or_broken_and_followed_up(follow_up_app):
    app, rt = follow_up_app
    zone = afternoon_zone()
    today = local_today(zone)
    rows = [account("P-kept", days_past_due=10), account("P-broken", days_past_due=10),
            account("P-soon", days_past_due=10, name="Sam Okafor")]
    load_accounts(rows)
    phones = {row["account_id"]: row["phone"] for row in rows}
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    promise("P-kept", yesterday, "100.00")
    promise("P-broken", yesterday, "100.00")
    promise("P-soon", tomorrow, "430.00")
    client = app.test_client()

    payment = {"account_id": "P-kept", "amount": "100.00", "paid_on": yesterday.isoformat(), "reference": "PAY-1"}
    first = client.post("/api/payments", headers=AUTH, json=[payment]).get_json()
    assert (first["created"], first["promises_kept"], first["errors"]) == (1, 1, [])
    again = client.post("/api/payments", headers=AUTH, json={"payments": [payment]}).get_json()
    assert (again["created"], again["duplicates"]) == (0, 1)
    with session_scope() as session:
        kept = session.get(Account, "P-kept")
        assert (kept.fees, kept.interest, kept.principal) == (Decimal("0.00"), Decimal("0.00"), Decimal("330.00"))

    run = client.post("/api/campaigns/promise_follow_up/run", headers=AUTH, json={}).get_json()
    assert run["arrangements"] == {"completed": 0, "broken": 1, "missed": 1}
    assert run["scheduled"] == 2
    work(rt)
    texts = {message.to: message.body for message in outbox(phone=None)}
    assert set(texts) == {phones["P-broken"], phones["P-soon"]}
    assert "we have not received the payment promised for" in texts[phones["P-broken"]]
    assert texts[phones["P-soon"]].startswith("Hi Sam, Northwind Credit here: a reminder of the payment you promised")
    assert texts[phones["P-soon"]].endswith("Reply STOP to opt out.")
    with session_scope() as session:
        states = dict(session.execute(select(Arrangement.account_id, Arrangement.status)).all())
    assert states == {"P-kept": ArrangementStatus.COMPLETED, "P-broken": ArrangementStatus.BROKEN,
                      "P-soon": ArrangementStatus.ACTIVE}
    assert [(e.account_id, e.details["because"]) for e in audit_trail("arrangement_completed")] == [("P-kept", "paid")]
    assert [e.account_id for e in audit_trail("arrangement_broken")] == ["P-broken"]
    assert {a.source for a in attempts()} == {"follow_up"}


def test_a_review_after_the_date_schedules_the_next_step(follow_up_app):
    app, rt = follow_up_app
    zone = afternoon_zone()
    load_accounts([account("P-1", days_past_due=10)])
    promise("P-1", local_today(zone) - dt.timedelta(days=1), "50.00")
    client = app.test_client()
    # Paid, but after the promised date: the promise is broken all the same.
    late = {"account_id": "P-1", "amount": "50.00", "paid_on": local_today(zone).isoformat(), "reference": "L-1"}
    paid = client.post("/api/payments", headers=AUTH, json=[late]).get_json()
    assert (paid["created"], paid["promises_kept"], paid["instalments_paid"]) == (1, 0, 0)
    result = client.post("/api/arrangements/review", headers=AUTH).get_json()
    assert result["arrangements"] == {"completed": 0, "broken": 1, "missed": 1}
    assert [run["campaign"] for run in result["runs"]] == ["promise_follow_up"]
    assert result["runs"][0]["scheduled"] == 1
    work(rt)
    assert len(outbox(phone=None)) == 1


def test_payments_load_from_csv_and_a_paid_account_gets_no_more_reminders(follow_up_app, tmp_path):
    app, rt = follow_up_app
    load_accounts([account("A-1", principal="100.00", interest="0", fees="0"), account("A-2")])
    path = tmp_path / "payments.csv"
    path.write_text(
        "account_id,amount,paid_on,reference\n"
        f"A-1,100.00,{dt.date.today().isoformat()},CSV-1\n"
        "A-2,-5,2026-01-01,CSV-2\n"
        "A-9,5.00,2026-01-01,CSV-3\n"
    )
    result = app.test_cli_runner().invoke(args=["payments", "load", str(path)])
    assert result.exit_code == 1
    assert "created 1, 0 duplicates skipped, 2 rows rejected; 1 accounts paid in full" in result.output
    assert "row 2 (A-2): amount: ensure this value is greater than 0" in result.output
    assert "row 3 (A-9): account_id: no such account" in result.output
    with session_scope() as session:
        assert session.get(Account, "A-1").status == "paid"
    client = app.test_client()
    preview = client.get("/api/campaigns/reminders/preview", headers=AUTH).get_json()
    assert preview["eligible"] == 1 and preview["in_segment"] == 1  # nothing owed: out of the segment


def test_inconvenient_times_through_the_api(follow_up_app):
    app, _ = follow_up_app
    load_accounts([account("A-1")])
    client = app.test_client()
    answer = client.put("/api/accounts/A-1/inconvenient-times", headers=AUTH,
                        json=[{"weekdays": ["mon", "tue"], "start": "09:00", "end": "17:00"}])
    assert answer.status_code == 200
    assert answer.get_json()["inconvenient_times"] == [{"weekdays": ["mon", "tue"], "start": "09:00", "end": "17:00"}]
    bad = client.put("/api/accounts/A-1/inconvenient-times", headers=AUTH,
                     json=[{"weekdays": ["someday"], "start": "17:00", "end": "09:00"}])
    assert bad.status_code == 400 and "someday" in bad.get_json()["error"]
    assert client.put("/api/accounts/NOPE/inconvenient-times", headers=AUTH, json=[]).status_code == 404
