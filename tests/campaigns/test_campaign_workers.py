"""Several worker processes on a real Redis and PostgreSQL share one campaign: every
eligible account gets exactly one message, no blocked account gets any, and a worker
killed with SIGKILL in the middle of the run loses nothing and duplicates nothing."""
from __future__ import annotations

import collections
import re
import signal
import time

import pytest
from rq import Worker

from campaigns.attempts import progress, utc_now
from campaigns.scheduling import schedule
from store.db import session_scope
from store.models import AttemptState
from store.outcomes import set_opt_out
from tests.support.accounts import account, load_accounts
from tests.support.campaigns import Workers
from tests.support.redis_server import RedisServer, free_port
from tests.support.store import attempts, outbox


@pytest.fixture
def workers(env, tmp_path):
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop()


def wait_for(condition, timeout: float, workers: Workers, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{workers.logs()}")


def registered(rt, count: int):
    return lambda: len(Worker.all(queue=rt.queue)) >= count


def sent_count() -> int:
    return len(outbox(phone=None))


def accounts_for_run(eligible: int, blocked: int):
    rows = [account(f"E-{n:03d}") for n in range(eligible)]
    rows += [account(f"B-{n:03d}") for n in range(blocked)]
    load_accounts(rows)
    with session_scope() as session:
        for row in rows[eligible:]:
            set_opt_out(session, row["phone"], "sms", True)
    return [r["phone"] for r in rows[:eligible]], [r["phone"] for r in rows[eligible:]]


def assert_exactly_once(eligible_phones, blocked_phones, workers) -> None:
    per_phone = collections.Counter(message.to for message in outbox(phone=None))
    assert set(per_phone) == set(eligible_phones), workers.logs()
    assert max(per_phone.values()) == 1, [p for p, n in per_phone.items() if n > 1]
    assert not set(per_phone) & set(blocked_phones)
    states = collections.Counter(a.state for a in attempts())
    assert states == {AttemptState.SENT: len(eligible_phones), AttemptState.BLOCKED: len(blocked_phones)}


def test_two_workers_share_one_campaign(make_runtime, workers):
    workers.env["SEND_RATE_PER_NUMBER"] = "25/second"
    rt = make_runtime(SEND_RATE_PER_NUMBER="25/second")
    eligible, blocked = accounts_for_run(40, 8)
    workers.flask_worker("w1", "--sweep-interval", "0")
    workers.flask_worker("w2", "--sweep-interval", "0")
    wait_for(registered(rt, 2), 60, workers, "two workers")
    report = schedule(rt, rt.campaigns["reminders"], utc_now())
    assert (report.scheduled, sum(report.blocked.values())) == (40, 8)

    def finished():
        with session_scope() as session:
            return progress(session, run_id=report.run_id)["waiting"] == 0
    wait_for(finished, 60, workers, "the run to finish")

    assert_exactly_once(eligible, blocked, workers)
    by_worker = collections.Counter(a.claimed_by for a in attempts(state=AttemptState.SENT))
    assert len(by_worker) == 2, by_worker  # both machines' share of one campaign


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(make_runtime, workers, env):
    # 5 a second: the run lasts ten seconds, long enough for a victim slow to start to take a share.
    workers.env.update(SEND_RATE_PER_NUMBER="5/second", CAMPAIGN_LEASE_SECONDS="3")
    rt = make_runtime(SEND_RATE_PER_NUMBER="5/second")
    eligible, blocked = accounts_for_run(50, 5)
    victim = workers.rq_worker("victim")
    workers.flask_worker("survivor", "--sweep-interval", "1")
    wait_for(registered(rt, 2), 60, workers, "two workers")
    report = schedule(rt, rt.campaigns["reminders"], utc_now())
    assert report.scheduled == 50

    def sent_by_victim() -> int:
        return sum(1 for a in attempts(state=AttemptState.SENT) if a.claimed_by.split(":")[1] == str(victim.pid))
    wait_for(lambda: sent_by_victim() >= 3 and sent_count() >= 15, 60, workers, "15 messages, 3 by the victim")
    workers.kill("victim")  # SIGKILL to its whole process group, mid-run
    assert victim.returncode == -signal.SIGKILL
    killed_at = sent_count()
    assert killed_at < 50, "the run was over before the kill"

    def finished():
        with session_scope() as session:
            counts = progress(session, run_id=report.run_id)
        return counts["waiting"] == 0 and counts["in_doubt"] == 0 and sent_count() >= 50
    wait_for(finished, 90, workers, "the survivor to finish the run")

    assert_exactly_once(eligible, blocked, workers)
    by_worker = collections.Counter(a.claimed_by.split(":")[1] for a in attempts(state=AttemptState.SENT))
    assert str(victim.pid) in by_worker and len(by_worker) == 2, by_worker
    # The job the victim was running when it died was queued again by the survivor's
    # sweeper and sent once.
    log = (workers.log_dir / "victim.log").read_text()
    started = re.findall(r"send contact attempt (\d+) \(", log)
    if started and f"send contact attempt {started[-1]} job in" not in log:
        (interrupted,) = [a for a in attempts() if a.id == int(started[-1])]
        assert interrupted.state == AttemptState.SENT and interrupted.enqueues >= 2


def test_a_worker_rides_out_a_redis_restart(make_runtime, workers, tmp_path):
    # A Redis server of the test's own (the shared one serves other tests), restarted with
    # its data (append-only file) while the worker sends.
    server = RedisServer(tmp_path / "redis", free_port())
    server.start()
    try:
        # A job the restart took from the queue is queued again once its lease runs out.
        workers.env.update(REDIS_URL=server.url, SEND_RATE_PER_NUMBER="5/second",
                           CAMPAIGN_LEASE_SECONDS="3")
        rt = make_runtime(REDIS_URL=server.url, SEND_RATE_PER_NUMBER="5/second")
        eligible, blocked = accounts_for_run(20, 1)
        worker = workers.flask_worker("steady", "--sweep-interval", "1")
        wait_for(registered(rt, 1), 60, workers, "the worker")
        report = schedule(rt, rt.campaigns["reminders"], utc_now())
        wait_for(lambda: sent_count() >= 3, 60, workers, "the first texts")
        server.kill()
        time.sleep(1)
        server.start()

        def finished():  # every attempt sent or blocked: none waiting, none queued for later
            with session_scope() as session:
                counts = progress(session, run_id=report.run_id)
            return counts["waiting"] == 0 and counts["scheduled_later"] == 0
        # A job that failed on the restart is retried seconds later (campaigns/jobs.py,
        # retry_delay), by RQ's scheduler or, when the restart took that down too, by the sweeper.
        wait_for(finished, 120, workers, "the run to finish")
        assert worker.poll() is None, workers.logs()  # still working
        assert_exactly_once(eligible, blocked, workers)
    finally:
        server.stop()
