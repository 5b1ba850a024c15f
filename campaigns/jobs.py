"""The RQ side: the job each attempt runs as, what happens when a job fails or its worker
dies, the sweeper, and the worker process itself.

Workers on several machines share one queue in Redis and one store. Nothing is lost or
sent twice when a worker dies:

- a job a dead worker held leaves its attempt `scheduled` (with the outbox, the claim,
  the gate and the outbox row are one transaction, rolled back with the connection), and
  the sweeper queues it again once the lease has passed with no live job for it;
- an attempt a dead worker left `sending` may have reached Twilio: the sweeper marks it
  `in_doubt`, it is never sent again automatically, and Twilio's status callback (which
  names the attempt) turns it into `sent` when Twilio did take it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Optional

from rq import SimpleWorker
from rq.exceptions import AbandonedJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select, update

from campaigns.attempts import audit_attempt, deliver, requeue, utc_now, worker_name
from campaigns.queueing import job_id
from campaigns.runtime import Runtime, install, runtime
from lending.compliance import UTC
from store.db import session_scope
from store.models import AttemptState, ContactAttempt

log = logging.getLogger(__name__)

MAX_ENQUEUES = 20  # an attempt queued this often without a worker finishing it fails
# A failed job is queued again after FIRST_RETRY, doubling with each failure up to
# LAST_RETRY: a Redis or database blip costs a reminder seconds, a lasting fault is not
# hammered (20 failures take about an hour and a half).
FIRST_RETRY = dt.timedelta(seconds=5)
LAST_RETRY = dt.timedelta(minutes=5)
SWEEP_BATCH = 1000
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def send_attempt(attempt_id: int) -> str:
    """The job: send one contact attempt (see campaigns/attempts.py)."""
    return deliver(runtime(), attempt_id)


def job_failed(job: Job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's on_failure callback: the job raised, timed out, or its worker vanished."""
    attempt_id = job.args[0] if job.args else None
    if attempt_id is None:
        return
    rt, now = runtime(), utc_now()
    with session_scope() as session:
        attempt = session.get(ContactAttempt, attempt_id)
        if attempt is None:
            return
        if attempt.state == AttemptState.SENDING:
            # It may have reached Twilio before the job stopped: never sent twice.
            attempt.state = AttemptState.IN_DOUBT
            attempt.reason = f"the job stopped while sending ({exc_type.__name__})"
            audit_attempt(session, attempt, "attempt_in_doubt", error=exc_type.__name__)
            return
        if attempt.state != AttemptState.SCHEDULED:
            return
        if attempt.enqueues >= MAX_ENQUEUES:
            attempt.state, attempt.reason = AttemptState.FAILED, f"job kept failing ({exc_type.__name__})"
            audit_attempt(session, attempt, "attempt_failed", error=exc_type.__name__)
            return
        enqueues = attempt.enqueues
    abandoned = isinstance(exc_value, AbandonedJobError) or exc_type is AbandonedJobError
    delay = dt.timedelta(0) if abandoned else retry_delay(enqueues)
    log.warning("attempt %s: job %s failed (%s), queued again", attempt_id, job.id, exc_type.__name__)
    requeue(rt, attempt_id, now + delay, now)


def retry_delay(enqueues: int) -> dt.timedelta:
    """How long after its job's failure an attempt queued `enqueues` times is tried again."""
    return min(LAST_RETRY, FIRST_RETRY * 2 ** max(0, enqueues - 1))


@dataclass
class SweepReport:
    requeued: int = 0
    in_doubt: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"queued again {self.requeued}, in doubt {self.in_doubt}, failed {self.failed}"


def sweep(rt: Runtime, now: Optional[dt.datetime] = None, limit: int = SWEEP_BATCH) -> SweepReport:
    """Queues again due attempts whose job is gone or whose worker died, and reports
    attempts claimed longer than the lease ago as in doubt."""
    now = now or utc_now()
    lease = dt.timedelta(seconds=rt.settings.campaign_lease_seconds)
    cutoff = now - lease
    report = SweepReport()
    with session_scope() as session:
        stuck = session.execute(
            select(ContactAttempt).where(
                ContactAttempt.state == AttemptState.SENDING, ContactAttempt.claimed_at < cutoff
            ).limit(limit)
        ).scalars().all()
        for attempt in stuck:
            moved = session.execute(
                update(ContactAttempt)
                .where(ContactAttempt.id == attempt.id, ContactAttempt.state == AttemptState.SENDING,
                       ContactAttempt.claimed_at == attempt.claimed_at)
                .values(state=AttemptState.IN_DOUBT, updated_at=now,
                        reason="claimed by a worker that never reported back")
            ).rowcount
            if moved:
                attempt.state = AttemptState.IN_DOUBT
                audit_attempt(session, attempt, "attempt_in_doubt", worker=attempt.claimed_by)
                report.in_doubt += 1
        rows = session.execute(
            select(ContactAttempt.id, ContactAttempt.enqueues, ContactAttempt.not_before).where(
                ContactAttempt.state == AttemptState.SCHEDULED,
                ContactAttempt.not_before <= now,
                or_(ContactAttempt.enqueued_at.is_(None), ContactAttempt.enqueued_at < cutoff),
            ).order_by(ContactAttempt.not_before).limit(limit)
        ).all()
    if not rows:
        return report
    jobs = Job.fetch_many([job_id(i, n) for i, n, _ in rows], connection=rt.redis)
    for (attempt_id, enqueues, due), job in zip(rows, jobs):
        if job is not None and _alive(job, now, lease, due):
            continue
        if enqueues >= MAX_ENQUEUES:
            with session_scope() as session:
                attempt = session.get(ContactAttempt, attempt_id)
                if attempt.state == AttemptState.SCHEDULED:
                    attempt.state = AttemptState.FAILED
                    attempt.reason = f"queued {enqueues} times without a worker finishing it"
                    audit_attempt(session, attempt, "attempt_failed", enqueues=enqueues)
                    report.failed += 1
            continue
        if requeue(rt, attempt_id, now, now):
            report.requeued += 1
    if report.requeued or report.in_doubt or report.failed:
        log.warning("sweep: %s", report)
    return report


def _alive(job: Job, now: dt.datetime, lease: dt.timedelta, due: dt.datetime) -> bool:
    status = job.get_status(refresh=False)
    if status == JobStatus.SCHEDULED and now - due >= lease:
        # RQ's scheduler should have queued it a lease ago: it died (a Redis restart can
        # take it down until the worker's next maintenance), so the sweeper queues it itself.
        return False
    if status in WAITING:
        return True
    if status == JobStatus.STARTED and job.last_heartbeat is not None:
        beat = job.last_heartbeat
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        return now - beat < lease
    return False


def _sweep_loop(rt: Runtime, interval: float, stop: threading.Event) -> None:
    """One sweeper at a time across all workers (a Redis lock per interval)."""
    key = f"repay:campaigns:sweep:{rt.settings.campaign_queue}"
    while not stop.wait(interval):
        try:
            if rt.redis.set(key, worker_name(), nx=True, px=max(100, int(interval * 900))):
                sweep(rt)
        except Exception:  # the worker keeps working; the next round tries again
            log.exception("sweep failed")


def run_worker(
    rt: Runtime, *, name: Optional[str] = None, burst: bool = False, with_scheduler: bool = True,
    sweep_interval: float = 30.0, logging_level: str = "INFO",
) -> bool:
    """An RQ worker on the campaign queue (jobs run in this process), with RQ's scheduler
    for attempts due later and a sweeper thread. Returns whether it ran any job."""
    install(rt)
    # Maintenance every minute, not RQ's ten: if the worker holding the scheduler lock
    # dies, another one takes the scheduling of later attempts over within a minute or two.
    worker = SimpleWorker([rt.queue], connection=rt.redis, name=name, maintenance_interval=60)
    stop = threading.Event()
    if sweep_interval > 0:
        threading.Thread(target=_sweep_loop, args=(rt, sweep_interval, stop), daemon=True,
                         name="campaign-sweeper").start()
    try:
        return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logging_level)
    finally:
        stop.set()
