"""A campaign run: the arrangements are brought up to date first (store.arrangements.review:
plans missed past their grace broken, schedules paid completed), then every plan becomes an
attempt row once (the idempotency key makes a second run on the same day add nothing), and
the attempts due to go are queued.

Eligible and deferred accounts get a `scheduled` attempt at their time; blocked ones a
`blocked` attempt that records the rule and the reason. Rows are written in batches with
INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite), so two runs racing each other
still create each attempt once.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns.config import BROKEN_KINDS, Campaign
from campaigns.experiments import variants_for
from campaigns.planning import ALREADY, BLOCKED, DEFERRED, ELIGIBLE, SKIPPED, Plan, Planner
from campaigns.queueing import push
from campaigns.runtime import Runtime
from store.arrangements import review
from store.db import session_scope
from store.models import AttemptState, ContactAttempt, utcnow
from store.outcomes import audit

BATCH = 2000


@dataclass
class RunReport:
    run_id: str
    campaign: str
    at: dt.datetime
    scheduled: int = 0  # eligible now or later today
    deferred: Counter = field(default_factory=Counter)  # scheduled later, per rule
    blocked: Counter = field(default_factory=Counter)  # recorded as blocked, per rule
    skipped: Counter = field(default_factory=Counter)
    already_scheduled: int = 0
    queued: int = 0  # jobs handed to RQ: on the queue now, or in RQ's scheduled registry
    queued_later: int = 0  # of which due later (the borrower's send window has not opened)
    checks: int = 0
    seconds: float = 0.0
    queue_seconds: float = 0.0  # of which handing jobs to RQ
    arrangements: dict = field(default_factory=dict)  # what the review before planning changed

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id, "campaign": self.campaign, "at": self.at.isoformat(),
            "scheduled": self.scheduled, "deferred": dict(self.deferred),
            "blocked": dict(self.blocked), "skipped": dict(self.skipped),
            "already_scheduled": self.already_scheduled, "queued": self.queued,
            "queued_later": self.queued_later,
            "compliance_checks": self.checks, "seconds": round(self.seconds, 3),
            "arrangements": self.arrangements,
        }


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
    if module is None:
        raise RuntimeError(f"campaign runs need PostgreSQL or SQLite, not {dialect}")
    return module.insert(ContactAttempt.__table__).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )


def _write(session: Session, statement, rows: List[Dict]) -> None:
    session.execute(statement, rows)  # executemany; one statement compiled per batch


def _row(plan: Plan, campaign: Campaign, run_id: str, source: str, now: dt.datetime) -> Dict:
    blocked = plan.outcome == BLOCKED
    return {
        "idempotency_key": plan.key, "source": source, "campaign": campaign.id, "stage": plan.stage,
        "run_id": run_id, "account_id": plan.facts.account_id, "phone": plan.facts.phone,
        "channel": campaign.channel, "language": plan.facts.language, "local_date": plan.local_date,
        "state": AttemptState.BLOCKED if blocked else AttemptState.SCHEDULED,
        "not_before": plan.send_at or now,
        "expires_at": plan.expires_at if plan.expires_at else None,
        "rule": plan.rule, "reason": plan.reason,
        "enqueues": 0, "tries": 0, "created_at": now, "updated_at": now,
    }


def _assign(session: Session, campaign: Campaign, rows: List[Dict]) -> None:
    """Stores the variant of every account a run schedules in a stage with an experiment,
    so that later runs (and the results) keep it whatever the weights become."""
    for stage in campaign.experiments:
        ids = [row["account_id"] for row in rows if row["stage"] == stage]
        if ids:
            variants_for(session, campaign, stage, ids, store=True)


def schedule(
    rt: Runtime, campaign: Campaign, now: dt.datetime,
    only_accounts: Optional[Sequence[str]] = None, actor: str = "cli", queue: bool = True,
) -> RunReport:
    """Plans and writes the run's attempts, then queues them (queue=False: write only)."""
    started = time.perf_counter()
    run_id = f"r-{uuid.uuid4().hex[:16]}"
    report = RunReport(run_id, campaign.id, now)
    source = "follow_up" if campaign.about_arrangements else "campaign"
    with session_scope() as session:
        report.arrangements = review(session, now, rt.policy.grace_days, only_accounts).as_dict()
    with session_scope() as session:
        planner = Planner(session, campaign, rt.policy, now, only_accounts)
        statement = _insert(session)
        rows: List[Dict] = []
        for plan in planner.plans():
            if plan.outcome == ALREADY:
                report.already_scheduled += 1
                continue
            if plan.outcome == SKIPPED:
                report.skipped[plan.rule] += 1
                continue
            if plan.outcome == ELIGIBLE:
                report.scheduled += 1
            elif plan.outcome == DEFERRED:
                report.scheduled += 1
                report.deferred[plan.rule] += 1
            elif plan.outcome == BLOCKED:
                report.blocked[plan.rule] += 1
            rows.append(_row(plan, campaign, run_id, source, now))
            if len(rows) >= BATCH:
                _write(session, statement, rows)
                _assign(session, campaign, rows)
                rows = []
        if rows:
            _write(session, statement, rows)
            _assign(session, campaign, rows)
        report.checks = planner.checks
        audit(session, actor, "campaign_run", details={
            "run_id": run_id, "campaign": campaign.id, "scheduled": report.scheduled,
            "blocked": sum(report.blocked.values()), "skipped": sum(report.skipped.values()),
            "already_scheduled": report.already_scheduled,
        })
    if queue:
        queue_started = time.perf_counter()
        report.queued, report.queued_later = queue_run(rt, run_id, now)
        report.queue_seconds = time.perf_counter() - queue_started
    report.seconds = time.perf_counter() - started
    return report


def queue_run(rt: Runtime, run_id: str, now: dt.datetime) -> Tuple[int, int]:
    """Hands a run's scheduled attempts to RQ: (queued, of which due later). The rows
    say so first: should this process die before Redis has them, the sweeper finds them."""
    with session_scope() as session:
        session.execute(
            update(ContactAttempt)
            .where(ContactAttempt.run_id == run_id, ContactAttempt.state == AttemptState.SCHEDULED,
                   ContactAttempt.enqueues == 0)
            .values(enqueues=1, enqueued_at=utcnow())
        )
        items = session.execute(
            select(ContactAttempt.id, ContactAttempt.enqueues, ContactAttempt.not_before).where(
                ContactAttempt.run_id == run_id, ContactAttempt.state == AttemptState.SCHEDULED
            )
        ).all()
    jobs = [(i, n, nb.replace(tzinfo=dt.timezone.utc)) for i, n, nb in items]
    later = sum(1 for _, _, when in jobs if when > now + dt.timedelta(seconds=1))
    return push(rt.queue, jobs, now), later


def follow_up_arrangements(rt: Runtime, now: dt.datetime, actor: str = "cli") -> dict:
    """Reviews every arrangement, then runs each campaign that follows up broken promises
    or plans for the accounts whose arrangement just broke (their next step), e.g. after
    a payments import."""
    with session_scope() as session:
        found = review(session, now, rt.policy.grace_days)
    runs = []
    for campaign in rt.campaigns.values():
        if found.broken and any(stage.kind in BROKEN_KINDS for stage in campaign.stages.values()):
            runs.append(schedule(rt, campaign, now, only_accounts=found.broken, actor=actor).as_dict())
    return {"arrangements": found.as_dict(), "runs": runs}
