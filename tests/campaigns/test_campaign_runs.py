"""Preview and run on PostgreSQL and Redis, with a worker in this process: what is
scheduled, what the gate stops at send time, the send rate per number, idempotent
sends, Twilio's transient and permanent errors, the sweeper and attempts in doubt."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
import requests
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from urllib3.exceptions import MaxRetryError, NewConnectionError

from campaigns.attempts import deliver, progress, utc_now
from campaigns.jobs import run_worker, sweep
from campaigns.outbound import check_now, queue_sms, record_call
from campaigns.preview import preview
from campaigns.scheduling import schedule
from language import local_today
from store.db import session_scope
from store.models import (
    Account,
    AttemptState,
    ContactAttempt,
    InconvenientTime,
    Message,
    OutcomeKind,
)
from store.outcomes import is_opted_out, record_outcome, set_opt_out
from tests.support.accounts import account, afternoon_zone, load_accounts
from tests.support.app import API_KEY
from tests.support.store import attempts, audit_trail, outbox
from tests.support.twilio import FakeTwilio, sign


def work(rt) -> None:
    """One burst worker in this process until the queue is empty."""
    run_worker(rt, burst=True, sweep_interval=0, logging_level="WARNING")


def set_status(account_id: str, status: str) -> None:
    with session_scope() as session:
        session.get(Account, account_id).status = status


def mixed_accounts():
    zone = afternoon_zone()
    now_hour = dt.datetime.now(dt.timezone.utc).astimezone(ZoneInfo(zone)).hour
    rows = [account(f"A-{n}", days_past_due=3) for n in (1, 2, 3)]
    rows += [
        account("A-4", days_past_due=-1),  # due tomorrow: due_soon
        account("N-1", days_past_due=-2),  # in no stage today
        account("N-2", principal="0", interest="0", fees="0"),  # nothing owed
        account("N-3", tags="no_campaigns;vip"),  # excluded by tag
        account("B-opt"), account("B-disp"), account("B-wrong"), account("B-paid"),
        account("D-inconvenient"), account("D-callback"), account("S-promise"),
    ]
    load_accounts(rows)
    phones = {row["account_id"]: row["phone"] for row in rows}
    tomorrow = local_today(zone) + dt.timedelta(days=1)
    set_status("B-disp", "disputed")
    set_status("B-wrong", "wrong_number")
    set_status("B-paid", "paid")
    with session_scope() as session:
        set_opt_out(session, phones["B-opt"], "sms", True)
        session.add(InconvenientTime(
            account_id="D-inconvenient", weekdays="mon,tue,wed,thu,fri,sat,sun",
            start=dt.time(now_hour - 1), end=dt.time(now_hour + 2),
        ))
        record_outcome(session, OutcomeKind.CALLBACK, account_id="D-callback", conversation_id=None,
                       details={"said": "tomorrow", "date": tomorrow.isoformat()})
        record_outcome(session, OutcomeKind.PROMISE, account_id="S-promise", conversation_id=None,
                       details={"date": tomorrow.isoformat(), "amount": "430.00", "currency": "USD"})
    return phones


def test_preview_counts_each_segment_and_rule_and_shows_samples(rt):
    mixed_accounts()
    with session_scope() as session:
        report = preview(session, rt.campaigns["reminders"], rt.policy, utc_now(), samples=1)
    assert report.stages == {"due_soon": 1, "overdue": 10}
    assert report.eligible == 4
    assert dict(report.deferred) == {"inconvenient_time": 1, "callback_requested": 1}
    assert dict(report.blocked) == {
        "opted_out": 1, "account_disputed": 1, "wrong_number": 1, "account_paid": 1,
    }
    assert dict(report.skipped) == {"arrangement_in_good_standing": 1}
    assert report.checks >= 12
    texts = {sample.stage: sample.text for sample in report.samples}
    assert texts["overdue"].startswith("Northwind Credit: Hi Test, your repayment due ")
    assert texts["overdue"].endswith("is 3 days late. Pay at https://pay.northwind.example/a/A-1 Reply STOP to opt out.")
    assert "is due" in texts["due_soon"]
    assert outbox(phone=None) == [] and attempts() == []  # a preview sends and schedules nothing


def test_a_run_schedules_once_and_the_worker_sends_each_eligible_account_one_sms(rt):
    phones = mixed_accounts()
    now = utc_now()
    report = schedule(rt, rt.campaigns["reminders"], now)
    assert report.scheduled == 6 and dict(report.deferred) == {"inconvenient_time": 1, "callback_requested": 1}
    assert sum(report.blocked.values()) == 4 and report.queued == 6 and report.queued_later == 2
    # Blocked attempts are recorded with their reason.
    blocked = {a.account_id: (a.rule, a.reason) for a in attempts(state=AttemptState.BLOCKED)}
    assert blocked["B-opt"] == ("opted_out", "the borrower opted out of sms")
    assert blocked["B-disp"][0] == "account_disputed"

    again = schedule(rt, rt.campaigns["reminders"], now)
    assert (again.scheduled, again.already_scheduled, again.queued) == (0, 10, 0)

    work(rt)
    sent = {message.to for message in outbox(phone=None)}
    assert sent == {phones[f"A-{n}"] for n in (1, 2, 3, 4)}
    assert len(outbox(phone=None)) == 4
    for attempt in attempts(state=AttemptState.SENT):
        assert attempt.delivery == "outbox" and attempt.body.startswith("Northwind Credit: ")
    later = ScheduledJobRegistry(queue=rt.queue)
    assert len(later.get_job_ids()) == 2  # the deferred two wait in RQ for their time
    with session_scope() as session:
        counts = progress(session, run_id=report.run_id)
        out = session.execute(select(Message).where(Message.direction == "out")).scalars().all()
    assert (counts["sent"], counts["blocked"], counts["scheduled_later"], counts["waiting"]) == (4, 4, 2, 0)
    assert len(out) == 4  # the trail of what was said
    assert len(audit_trail("attempt_sent")) == 4
    assert [e.details["scheduled"] for e in audit_trail("campaign_run")] == [6, 0]


def test_an_opt_out_arriving_while_the_sms_is_queued_blocks_it(rt, make_app):
    phones = mixed_accounts()
    schedule(rt, rt.campaigns["reminders"], utc_now())
    client = make_app().test_client()
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "ACtest", "From": phones["A-1"],
            "To": "+18005550199", "Body": "STOP", "NumMedia": "0"}
    reply = client.post("/twilio/sms", data=form,
                        headers={"X-Twilio-Signature": sign("http://localhost/twilio/sms", form)})
    assert reply.status_code == 200 and "unsubscribed" in reply.get_data(as_text=True)
    set_status("A-2", "disputed")  # and a dispute recorded by the bot meanwhile

    work(rt)
    (a1,) = attempts(account_id="A-1")
    (a2,) = attempts(account_id="A-2")
    assert (a1.state, a1.rule) == (AttemptState.BLOCKED, "opted_out")
    assert (a2.state, a2.rule) == (AttemptState.BLOCKED, "account_disputed")
    assert {m.to for m in outbox(phone=None)} == {phones["A-3"], phones["A-4"]}
    assert [e.details["rule"] for e in audit_trail("attempt_blocked")] == ["opted_out", "account_disputed"]


def test_the_gate_at_send_time_defers_to_the_first_allowed_minute(rt):
    load_accounts([account("A-1")])
    zone = afternoon_zone()
    schedule(rt, rt.campaigns["reminders"], utc_now())
    hour = utc_now().astimezone(ZoneInfo(zone)).hour
    with session_scope() as session:  # the borrower said "not now" after the run
        # Two hours, so that the window still holds if the clock turns an hour mid-test.
        session.add(InconvenientTime(account_id="A-1", weekdays="mon,tue,wed,thu,fri,sat,sun",
                                     start=dt.time(hour), end=dt.time(hour + 2)))
    work(rt)
    (attempt,) = attempts()
    assert (attempt.state, attempt.rule, attempt.enqueues) == (AttemptState.SCHEDULED, "inconvenient_time", 2)
    local = attempt.not_before.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(zone))
    assert local.time() == dt.time(hour + 2)
    assert ScheduledJobRegistry(queue=rt.queue).get_job_ids() == [f"repay-attempt-{attempt.id}-2"]
    assert outbox(phone=None) == []


def test_sends_keep_to_the_rate_per_sending_number(make_runtime):
    rt = make_runtime(SEND_RATE_PER_NUMBER="10/second")
    load_accounts([account(f"A-{n}") for n in range(25)])
    schedule(rt, rt.campaigns["reminders"], utc_now())
    work(rt)
    sent = sorted(a.sent_at for a in attempts(state=AttemptState.SENT))
    assert len(sent) == 25
    # Never more than 10 in any one second.
    gaps = [(sent[i + 10] - sent[i]).total_seconds() for i in range(len(sent) - 10)]
    assert min(gaps) >= 0.9


def test_two_workers_racing_for_the_same_attempts_send_each_once(rt):
    load_accounts([account(f"A-{n}") for n in range(20)])
    schedule(rt, rt.campaigns["reminders"], utc_now(), queue=False)
    ids = [a.id for a in attempts()]
    results = []

    def race():
        results.extend(deliver(rt, attempt_id) for attempt_id in ids)

    threads = [threading.Thread(target=race) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outbox(phone=None)) == 20
    assert results.count("sent to the outbox") == 20
    assert all(r in ("sent to the outbox", "claimed by another worker") or r.startswith("nothing to do")
               for r in results)


# -- Twilio's errors ---------------------------------------------------------------------

@pytest.fixture
def twilio_rt(make_runtime, twilio_env):
    fake = FakeTwilio()
    rt = make_runtime(http_client=fake, **twilio_env)
    return rt, fake


def test_transient_twilio_errors_are_retried_with_back_off(twilio_rt):
    rt, fake = twilio_rt
    load_accounts([account("A-1")])
    schedule(rt, rt.campaigns["reminders"], utc_now(), queue=False)
    (attempt,) = attempts()
    never_connected = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/", NewConnectionError(None, "connection refused")))
    fake.failures = [(503, 20500), never_connected]
    now = utc_now()
    assert deliver(rt, attempt.id, now).startswith("transient error, retry at")
    (attempt,) = attempts()
    assert (attempt.state, attempt.tries, attempt.enqueues) == (AttemptState.SCHEDULED, 1, 1)
    assert 59 <= (attempt.not_before - now).total_seconds() <= 61
    assert ScheduledJobRegistry(queue=rt.queue).get_job_ids() == [f"repay-attempt-{attempt.id}-1"]

    second = attempt.not_before.replace(tzinfo=dt.timezone.utc)
    assert deliver(rt, attempt.id, second).startswith("transient error")
    (attempt,) = attempts()
    assert attempt.tries == 2 and (attempt.not_before - second).total_seconds() >= 299

    third = attempt.not_before.replace(tzinfo=dt.timezone.utc)
    assert deliver(rt, attempt.id, third).startswith("sent via Twilio")
    (attempt,) = attempts()
    assert (attempt.state, attempt.delivery, attempt.tries) == (AttemptState.SENT, "queued", 3)
    assert len(fake.requests) == 3 and fake.sent()[-1]["StatusCallback"].endswith(f"/twilio/status?attempt={attempt.id}")
    assert [e.action for e in audit_trail("attempt_")] == [
        "attempt_sending", "attempt_retry", "attempt_sending", "attempt_retry", "attempt_sending",
        "attempt_sent",
    ]


@pytest.mark.parametrize("code, opted_out", [(21211, False), (21610, True)])
def test_permanent_twilio_errors_are_never_retried(twilio_rt, code, opted_out):
    rt, fake = twilio_rt
    row = account("A-1")
    load_accounts([row])
    schedule(rt, rt.campaigns["reminders"], utc_now(), queue=False)
    (attempt,) = attempts()
    fake.failures = [(400, code)]
    assert deliver(rt, attempt.id).startswith("failed")
    assert deliver(rt, attempt.id) == "nothing to do: failed"
    (attempt,) = attempts()
    assert (attempt.state, attempt.error_code) == (AttemptState.FAILED, str(code))
    assert len(fake.requests) == 1
    with session_scope() as session:
        assert is_opted_out(session, row["phone"], "sms") is opted_out


def test_no_answer_from_twilio_leaves_the_attempt_in_doubt_and_never_resends_it(twilio_rt):
    rt, fake = twilio_rt
    load_accounts([account("A-1")])
    schedule(rt, rt.campaigns["reminders"], utc_now(), queue=False)
    (attempt,) = attempts()
    fake.failures = [requests.exceptions.ReadTimeout("read timed out")]
    assert deliver(rt, attempt.id).startswith("in doubt")
    assert deliver(rt, attempt.id) == "nothing to do: in_doubt"
    assert str(sweep(rt, utc_now() + dt.timedelta(hours=1))) == "queued again 0, in doubt 0, failed 0"
    assert len(fake.requests) == 1 and attempts()[0].state == AttemptState.IN_DOUBT


def test_the_sweeper_marks_a_dead_workers_claim_in_doubt_and_requeues_lost_jobs(twilio_rt):
    rt, fake = twilio_rt
    load_accounts([account("A-1"), account("A-2")])
    schedule(rt, rt.campaigns["reminders"], utc_now(), queue=False)
    first, second = attempts()
    now = utc_now()
    with session_scope() as session:
        # A worker claimed the first and died before Twilio answered; the second's job
        # was never queued (the run died between the store and Redis).
        row = session.get(ContactAttempt, first.id)
        row.state, row.claimed_at, row.claimed_by = AttemptState.SENDING, now - dt.timedelta(hours=1), "gone:1"
    report = sweep(rt, now)
    assert (report.in_doubt, report.requeued) == (1, 1)
    work(rt)
    assert [a.state for a in attempts()] == [AttemptState.IN_DOUBT, AttemptState.SENT]
    assert len(fake.requests) == 1 and fake.sent()[0]["To"] == attempts()[1].phone


# -- contact that is not a campaign's ------------------------------------------------------

def test_an_agents_sms_passes_the_same_gate(rt):
    rows = [account("A-1"), account("A-2")]
    load_accounts(rows)
    with session_scope() as session:
        set_opt_out(session, rows[1]["phone"], "sms", True)
        assert check_now(session, rt, "A-1", "sms").allowed
        assert check_now(session, rt, "A-2", "sms").rule == "opted_out"
    queue_sms(rt, account_id="A-1", text="Hi, it's Sam from Northwind. Call me back?", requested_by="agent:sam", key="k1")
    queue_sms(rt, account_id="A-2", text="Hello again", requested_by="agent:sam", key="k2")
    work(rt)
    (message,) = outbox(phone=None)
    assert message.to == rows[0]["phone"]
    assert message.body == "Northwind Credit: Hi, it's Sam from Northwind. Call me back? Reply STOP to opt out."
    assert [a.state for a in attempts()] == [AttemptState.SENT, AttemptState.BLOCKED]


def test_calls_an_agent_placed_count_against_the_caps(make_runtime, tmp_path):
    from tests.support.campaigns import write_campaign

    directory = tmp_path / "voice"
    write_campaign(directory, "calls", lambda d: (
        d.update(channel="voice"),
        d["templates"].update(
            due_soon={"en": "This is {assistant} from {lender} for {first_name}. Call {support_phone}."},
            overdue={"en": "This is {assistant} from {lender} for {first_name}. Call {support_phone}."})))
    rt = make_runtime(CAMPAIGNS_DIR=str(directory))
    load_accounts([account("A-1"), account("A-2")])
    with session_scope() as session:
        for day in range(7):
            record_call(session, account_id="A-1", answered=False, placed_by="agent:sam",
                        at=utc_now() - dt.timedelta(days=day, minutes=5))
    with session_scope() as session:
        report = preview(session, rt.campaigns["calls"], rt.policy, utc_now())
    # 7 calls in the last 7 days: the next call waits for tomorrow, when the oldest drops out.
    assert report.eligible == 1 and dict(report.deferred) == {"calls_per_7_days": 1}


def test_the_api_and_the_preview_agree(rt, make_app):
    mixed_accounts()
    client = make_app().test_client()
    answer = client.get("/api/campaigns/reminders/preview", headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["in_segment"], body["eligible"], body["blocked"]["opted_out"]) == (11, 4, 1)
    assert client.get("/api/campaigns/reminders/preview").status_code == 401
    assert client.get("/api/campaigns/nope/preview", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 404


def test_at_send_time_the_7th_call_goes_and_the_8th_waits(make_runtime, tmp_path):
    from tests.support.campaigns import write_campaign

    directory = tmp_path / "voice"
    voice = "This is {assistant} from {lender} for {first_name}. Call {support_phone}."
    for name in ("calls", "more_calls"):
        write_campaign(directory, name, lambda d: (
            d.update(channel="voice"), d["templates"].update(due_soon={"en": voice}, overdue={"en": voice})))
    rt = make_runtime(CAMPAIGNS_DIR=str(directory))
    load_accounts([account("A-1")])
    with session_scope() as session:
        for hours in range(6):
            record_call(session, account_id="A-1", answered=False, placed_by="agent:sam",
                        at=utc_now() - dt.timedelta(hours=hours + 1))
    schedule(rt, rt.campaigns["calls"], utc_now())
    work(rt)
    (seventh,) = attempts(campaign="calls")
    assert seventh.state == AttemptState.SENT and seventh.body.startswith("This is Nora from Northwind Credit")
    schedule(rt, rt.campaigns["more_calls"], utc_now(), queue=False)
    (eighth,) = attempts(campaign="more_calls")
    assert eighth.state == AttemptState.BLOCKED and eighth.rule == "calls_per_7_days"
