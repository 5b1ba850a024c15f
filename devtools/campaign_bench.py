"""Campaign benchmark: preview and schedule a campaign over N accounts (100,000 by
default), against a baseline measured in the same process.

    python -m devtools.campaign_bench [--accounts 100000] [--database-url URL] [--redis-url URL]
    ./repay bench-campaigns

The baseline reads every account and works out its stage for the borrower's own day,
with no compliance check and no writes: the floor of touching N accounts on this
machine and this database at this moment. Then:

    preview    the same, plus the gate's inputs (opt-outs, call history, inconvenient
               times, callbacks, promises) and one compliance check per account in a stage
    schedule   preview's work, plus one attempt row per account (INSERT ... ON CONFLICT
               DO NOTHING in batches) and one RQ job per attempt due today

Each line prints the time, the process's peak memory (RSS) after the phase, compliance
checks per second, and the time as a multiple of the baseline's. The accounts are
fictional and spread over time zones on both sides of the date line; some are opted
out, disputed, paid, have inconvenient times or callback requests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import redis
import yaml
from sqlalchemy import insert, select

import store.db
from campaigns.config import load_campaign
from campaigns.facts import iter_accounts
from campaigns.planning import Planner, in_segment
from campaigns.preview import preview
from campaigns.queueing import job_id
from campaigns.runtime import Runtime
from campaigns.scheduling import schedule
from lending.compliance import zone
from lending.policy import load_policy
from settings.service import Settings
from store.models import (
    Account,
    AccountStatus,
    ConsentEvent,
    ContactAttempt,
    ContactPreference,
    InconvenientTime,
    Outcome,
    OutcomeKind,
)

ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "Pacific/Pago_Pago", "Pacific/Kiritimati",
    "Asia/Shanghai", "Europe/London", "Australia/Sydney", "Pacific/Auckland",
]
CAMPAIGN = {
    "name": "Benchmark reminders",
    "channel": "sms",
    "segment": {"balance": {"min": "1.00"}, "tags": {"exclude": ["no_campaigns"]}},
    "stages": {
        "due_soon": {"days_before_due": [5, 4, 3, 2, 1]},
        "overdue": {"days_past_due": {"min": 0, "max": 60}},
    },
    "templates": {
        "due_soon": {"en": "Hi {first_name}, {lender} here: your repayment is due {due_date}. Pay at {link}"},
        "overdue": {"en": "Hi {first_name}, {lender} here: your repayment due {due_date} is "
                          "{days_past_due} days late. Pay at {link}"},
    },
    "schedule": {"send_window": {"start": "08:00", "end": "21:00"}},
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def populate(count: int, seed: int = 7) -> None:
    """N fictional accounts and the contact facts the gate reads."""
    rng = random.Random(seed)
    today = dt.date.today()
    accounts, opt_outs, windows, callbacks, grants, revocations = [], [], [], [], [], []
    consented_at = dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone.utc)
    for n in range(count):
        account_id = f"BENCH-{n:07d}"
        phone = f"+1555{n:07d}"
        status = AccountStatus.ACTIVE
        roll = rng.random()
        if roll < 0.01:
            status = AccountStatus.DISPUTED
        elif roll < 0.015:
            status = AccountStatus.PAID
        accounts.append({
            "account_id": account_id, "name": "Bench Borrower", "phone": phone,
            "timezone": ZONES[n % len(ZONES)], "language": "en", "currency": "USD",
            "principal": Decimal(rng.randint(5000, 200000)) / 100, "interest": Decimal("12.50"),
            "fees": Decimal("10.00"),
            "due_date": today - dt.timedelta(days=rng.randint(-5, 60)),
            "birth_date": dt.date(1980, 1, 1), "id_last4": "0000", "status": status,
        })
        # Every borrower consented to automated texts with the loan; an opt-out revokes it.
        grants.append({"phone": phone, "channel": "sms", "granted": True, "at": consented_at,
                       "source": "accounts_file", "recorded_by": "bench"})
        if rng.random() < 0.02:
            opt_outs.append({"phone": phone, "channel": "sms", "opted_out": True})
            revocations.append({"phone": phone, "channel": "sms", "granted": False,
                                "at": consented_at + dt.timedelta(days=30), "source": "keyword",
                                "recorded_by": "bench"})
        if rng.random() < 0.02:
            windows.append({"account_id": account_id, "weekdays": "mon,tue,wed,thu,fri",
                            "start": dt.time(9), "end": dt.time(17)})
        if rng.random() < 0.01:
            callbacks.append({"kind": OutcomeKind.CALLBACK, "account_id": account_id,
                              "details": {"date": (today + dt.timedelta(days=2)).isoformat()}})
    with store.db.session_scope() as session:
        for table, rows in ((Account, accounts), (ContactPreference, opt_outs),
                            (InconvenientTime, windows), (Outcome, callbacks),
                            (ConsentEvent, grants), (ConsentEvent, revocations)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(table), rows[start:start + 5000])


def baseline(campaign, policy, now) -> tuple:
    """Every account read, its local day and stage worked out; nothing checked or written."""
    started = time.perf_counter()
    staged = 0
    with store.db.session_scope() as session:
        planner = Planner(session, campaign, policy, now)
        for facts in iter_accounts(session):
            if not in_segment(campaign, facts):
                continue
            today = now.astimezone(zone(facts.timezone)).date()
            if planner.stage_for(facts, today)[0] is not None:
                staged += 1
    return time.perf_counter() - started, staged


def report(name: str, seconds: float, checks: int, base: float, note: str = "") -> None:
    rate = f"{checks / seconds:>10,.0f} checks/s" if checks else f"{'':>19}"
    print(f"{name:<10} {seconds:8.2f} s   peak RSS {_rss_mb():7.0f} MB   {rate}   "
          f"x{seconds / base:5.2f} baseline   {note}")


def cleanup_redis(rt: Runtime) -> None:
    with store.db.session_scope() as session:
        ids = list(session.execute(select(ContactAttempt.id, ContactAttempt.enqueues)).all())
    keys = [f"rq:{kind}:{job_id(i, n)}" for i, n in ids if n for kind in ("job", "results")]
    keys += [k for k in rt.redis.scan_iter(f"*{rt.queue.name}*")]
    for start in range(0, len(keys), 10000):
        rt.redis.delete(*keys[start:start + 10000])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.campaign_bench")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None,
                        help="default: a new SQLite file; a PostgreSQL URL must name an empty database")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="repay-campaign-bench-"))
    url = args.database_url or f"sqlite:///{var / 'bench.db'}"
    engine = store.db.connect(url)
    with store.db.session_scope() as session:
        if session.execute(select(Account.account_id).limit(1)).first():
            parser.error(f"{engine.url.render_as_string(hide_password=True)} already holds accounts")
    policy = load_policy()
    (var / "campaigns").mkdir()
    path = var / "campaigns" / "bench.yml"
    path.write_text(yaml.safe_dump(CAMPAIGN))
    campaign = load_campaign(path, policy)
    settings = Settings.from_env({
        "DATABASE_URL": url, "REDIS_URL": args.redis_url, "CAMPAIGNS_DIR": str(var / "campaigns"),
        "CAMPAIGN_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
    })
    rt = Runtime.build(settings, policy, {campaign.id: campaign})
    redis.Redis.from_url(args.redis_url).ping()

    started = time.perf_counter()
    populate(args.accounts)
    print(f"\n{args.accounts:,} accounts in {engine.dialect.name} ({time.perf_counter() - started:.1f} s "
          f"to load), {len(ZONES)} time zones; campaign '{campaign.name}'")
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # start every phase from the same file state
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    now = dt.datetime.now(dt.timezone.utc)
    try:
        baseline(campaign, policy, now)  # warm-up: the database's and Python's caches
        base, staged = baseline(campaign, policy, now)
        report("baseline", base, 0, base, f"{staged:,} accounts in a stage today (read + stage only)")
        with store.db.session_scope() as session:
            started = time.perf_counter()
            shown = preview(session, campaign, policy, now, samples=1)
            seconds = time.perf_counter() - started
        report("preview", seconds, shown.checks, base,
               f"eligible {shown.eligible:,}, deferred {sum(shown.deferred.values()):,}, "
               f"blocked {sum(shown.blocked.values()):,}, skipped {sum(shown.skipped.values()):,}")
        run = schedule(rt, campaign, now, actor="bench")
        written = run.scheduled + sum(run.blocked.values())
        report("schedule", run.seconds, run.checks, base,
               f"{written:,} attempts written, {run.queued:,} RQ jobs ({run.queued_later:,} for "
               f"later) in {run.queue_seconds:.1f} s of it")
        print("(ratios: time of the phase / time of the baseline, measured in this process)")
    finally:
        cleanup_redis(rt)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
