"""Attempts onto the RQ queue: one job per attempt and hand-over, due ones on the queue,
later ones in RQ's scheduled registry (a worker started with the scheduler moves them
onto the queue when their time comes).

The job carries only the attempt's id. Its RQ id is `repay-attempt-<id>-<n>`, n being
the attempt's `enqueues` count, so the sweeper can look up the job an attempt waits on.
A job that runs twice is harmless: the attempt is claimed before anything is sent.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Tuple

from rq import Queue
from rq.job import Callback

SEND_JOB = "campaigns.jobs.send_attempt"
FAILED_CALLBACK = "campaigns.jobs.job_failed"
JOB_TIMEOUT_SECONDS = 180  # rate-limit wait + Twilio's timeouts, with room to spare
RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600
PIPELINE_BATCH = 1000


def job_id(attempt_id: int, enqueues: int) -> str:
    return f"repay-attempt-{attempt_id}-{enqueues}"


def _options(attempt_id: int, enqueues: int) -> dict:
    return dict(
        args=(attempt_id,), job_id=job_id(attempt_id, enqueues), timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS, failure_ttl=FAILURE_TTL_SECONDS,
        on_failure=Callback(FAILED_CALLBACK), description=f"send contact attempt {attempt_id}",
    )


def push(queue: Queue, items: Iterable[Tuple[int, int, dt.datetime]], now: dt.datetime) -> int:
    """Queues (attempt_id, enqueues, not_before) items in batches; returns how many."""
    soon = now + dt.timedelta(seconds=1)
    due, later = [], []
    for attempt_id, enqueues, when in items:
        (later if when > soon else due).append((attempt_id, enqueues, when))
    for start in range(0, len(due), PIPELINE_BATCH):
        queue.enqueue_many([
            Queue.prepare_data(SEND_JOB, **_options(attempt_id, enqueues))
            for attempt_id, enqueues, _ in due[start:start + PIPELINE_BATCH]
        ])
    for start in range(0, len(later), PIPELINE_BATCH):
        with queue.connection.pipeline() as pipe:
            # schedule_job adds to RQ's scheduled registry through the queue's own
            # connection: a queue bound to the pipeline makes the batch one round trip.
            batch = Queue(queue.name, connection=pipe, serializer=queue.serializer)
            for attempt_id, enqueues, when in later[start:start + PIPELINE_BATCH]:
                job = queue.create_job(SEND_JOB, **_options(attempt_id, enqueues))
                batch.schedule_job(job, when, pipeline=pipe)
            pipe.execute()
    return len(due) + len(later)
