"""Results benchmark: the results query over 100,000 accounts and 1,000,000 contact
attempts on PostgreSQL, against a plain count(*) of the attempts table in the same run.

    python -m devtools.results_bench [--database-url URL] [--accounts N] [--attempts N] [--reset|--reuse]
    ./repay bench-results

The database must be empty (--reset drops the store's tables first); it is created when
missing. The history is fictional and loaded with COPY: attempts over 60 days in three
campaigns and four stages (80% SMS, 20% calls; 80% English, 20% Chinese accounts in
eight time zones), a reply to one attempt in ten, and what those conversations settled
(identity, promises, plans, opt-outs, disputes, handoffs), their messages, payments, and the
question after half the agreements (two in five answered).
Then, each twice (the first warms the caches) and reported the second time:

    count(*)      SELECT count(*) FROM contact_attempts
    results       store.results.results() over the 60 days, with and without a breakdown
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import store.db
from store.models import Base
from store.results import results

DEFAULT_URL = "postgresql://postgres:postgres@127.0.0.1:5432/repay_results_bench"
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Pacific/Honolulu",
         "Asia/Shanghai", "Europe/London", "Australia/Sydney", "Pacific/Auckland"]
CAMPAIGNS = ["reminders", "overdue_calls", "promise_follow_up"]
STAGES = ["due_soon", "early", "negotiation", "late"]
REASONS = ["dispute_debt", "hardship", "request_human", "not_understood_twice"]
DAYS = 60


def _ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).first():
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def _copy(raw, table: str, columns: list, rows) -> int:
    """COPY rows (tuples; None is NULL) into a table; returns how many."""
    buffer, count = io.StringIO(), 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    with raw.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


def populate(engine, accounts: int, attempts: int, first_day: dt.date, seed: int = 11) -> dict:
    rng = random.Random(seed)
    now = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=dt.timezone.utc)
    counts = {}
    raw = engine.raw_connection()
    try:
        account_rows = []
        for n in range(accounts):
            chinese = n % 5 == 0
            account_rows.append((
                f"B-{n:07d}", "Bench Borrower", f"+1555{n:07d}", ZONES[n % len(ZONES)],
                "zh" if chinese else "en", "CNY" if chinese else "USD", rng.randint(5_000, 500_000), 1250, 1000,
                first_day.isoformat(), "1980-01-01", "0000", "active", now, now,
            ))
        counts["accounts"] = _copy(raw, "accounts", [
            "account_id", "name", "phone", "timezone", "language", "currency", "principal", "interest", "fees",
            "due_date", "birth_date", "id_last4", "status", "created_at", "updated_at"], account_rows)

        attempt_rows, conversations, outcomes, messages, handoffs, payments = [], [], [], [], [], []
        feedback = []
        for n in range(attempts):
            account = rng.randrange(accounts)
            day = rng.randrange(DAYS)
            sent_at = now + dt.timedelta(days=day, hours=rng.randint(12, 23), minutes=rng.randrange(60))
            voice = rng.random() < 0.2
            roll = rng.random()
            state, delivery, answered = "sent", None, None
            if roll < 0.05:
                state, sent = "blocked", None
            else:
                sent = sent_at
                if voice:
                    answered = "t" if rng.random() < 0.3 else "f"
                    delivery = "completed"
                else:
                    delivery = "delivered" if rng.random() < 0.93 else "undelivered"
            attempt_rows.append((
                f"bench:{n}", "campaign", CAMPAIGNS[n % 3], STAGES[rng.randrange(4)], f"B-{account:07d}",
                f"+1555{account:07d}", "voice" if voice else "sms", "zh" if account % 5 == 0 else "en",
                (first_day + dt.timedelta(days=day)).isoformat(), state, sent_at, sent, delivery, answered,
                0, 0, now, now,
            ))
            if state != "sent" or rng.random() >= 0.1:
                continue
            cid = f"c-bench-{n}"
            started = sent_at + dt.timedelta(minutes=rng.randint(1, 600))
            conversations.append((cid, "voice" if voice else "sms", f"+1555{account:07d}", f"B-{account:07d}",
                                  "bot", started, started))
            for turn in range(rng.randint(1, 6)):
                messages.append((cid, "in", "sms", f"+1555{account:07d}", "...", "answered", 0,
                                 started + dt.timedelta(seconds=30 * turn), started))
            moment = started + dt.timedelta(minutes=rng.randint(1, 20))
            if rng.random() < 0.7:
                outcomes.append(("verified", f"B-{account:07d}", cid, "{}", started))
                roll = rng.random()
                if roll < 0.25:
                    promised = (first_day + dt.timedelta(days=day + rng.randint(1, 14))).isoformat()
                    outcomes.append(("promise", f"B-{account:07d}", cid,
                                     json.dumps({"date": promised, "amount": "100.00", "currency": "USD"}), moment))
                    if rng.random() < 0.6:
                        payments.append((f"pay-{n}", f"B-{account:07d}", rng.choice([5000, 10000]),
                                         "USD", promised, "api", moment))
                elif roll < 0.32:
                    outcomes.append(("plan", f"B-{account:07d}", cid, "{}", moment))
                if roll < 0.32 and rng.random() < 0.5:  # the question after an agreement
                    asked = moment + dt.timedelta(seconds=5)
                    if rng.random() < 0.4:
                        comment = "quick and clear" if rng.random() < 0.3 else None
                        feedback.append((cid, f"B-{account:07d}", "voice" if voice else "sms", "promise", "answered",
                                         rng.randint(1, 5), comment, asked, asked + dt.timedelta(minutes=2)))
                    else:
                        feedback.append((cid, f"B-{account:07d}", "voice" if voice else "sms", "promise", "asked",
                                         None, None, asked, None))
                elif roll < 0.36:
                    outcomes.append(("dispute", f"B-{account:07d}", cid, "{}", moment))
                    handoffs.append((cid, f"B-{account:07d}", "sms", "dispute_debt", 2, "closed", "{}", moment))
                elif roll < 0.42:
                    reason = REASONS[rng.randrange(1, 4)]
                    handoffs.append((cid, f"B-{account:07d}", "sms", reason, 3, "closed", "{}", moment))
            elif rng.random() < 0.1:
                outcomes.append(("opt_out", f"B-{account:07d}", cid, "{}", moment))
        counts["contact_attempts"] = _copy(raw, "contact_attempts", [
            "idempotency_key", "source", "campaign", "stage", "account_id", "phone", "channel", "language",
            "local_date", "state", "not_before", "sent_at", "delivery", "answered", "enqueues", "tries",
            "created_at", "updated_at"], attempt_rows)
        del attempt_rows
        counts["conversations"] = _copy(raw, "conversations", [
            "id", "channel", "phone", "account_id", "handled_by", "started_at", "last_activity_at"], conversations)
        counts["messages"] = _copy(raw, "messages", [
            "conversation_id", "direction", "channel", "phone", "body", "status", "attempts", "created_at",
            "updated_at"], messages)
        counts["outcomes"] = _copy(raw, "outcomes", ["kind", "account_id", "conversation_id", "details",
                                                     "created_at"], outcomes)
        counts["handoffs"] = _copy(raw, "handoffs", ["conversation_id", "account_id", "channel", "reason",
                                                     "priority", "status", "summary", "queued_at"], handoffs)
        counts["payments"] = _copy(raw, "payments", ["reference", "account_id", "amount", "currency", "paid_on",
                                                     "source", "created_at"], payments)
        counts["feedback"] = _copy(raw, "feedback", ["conversation_id", "account_id", "channel", "outcome", "status",
                                                     "score", "comment", "asked_at", "answered_at"], feedback)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:  # committed: the planner's statistics of the new rows
        connection.exec_driver_sql("ANALYZE")
    return counts


def timed(run, repeat: int = 2) -> float:
    """The last of `repeat` runs, in seconds (the first warms the caches)."""
    seconds = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.results_bench")
    parser.add_argument("--database-url", default=os.environ.get("REPAY_BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"a PostgreSQL database (default {DEFAULT_URL}; created when missing)")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true", help="drop the store's tables first")
    parser.add_argument("--reuse", action="store_true",
                        help="time the queries on the history an earlier run loaded (no load)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL: --database-url postgresql://...")

    _ensure_database(args.database_url)
    engine = store.db.make_engine(args.database_url)
    if args.reset:
        Base.metadata.drop_all(engine)
        with engine.begin() as connection:  # the migrations then build the store afresh
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine = store.db.connect(args.database_url)
    with engine.connect() as connection:
        loaded = connection.exec_driver_sql("SELECT min(local_date) FROM contact_attempts").scalar()
    if loaded and not args.reuse:
        parser.error("the database already holds attempts (--reset drops the store's tables, "
                     "--reuse times the queries on them)")
    if loaded:
        first_day = loaded
        print(f"\nreusing the history loaded before, from {first_day}")
    else:
        first_day = dt.date.today() - dt.timedelta(days=DAYS)
        started = time.perf_counter()
        counts = populate(engine, args.accounts, args.attempts, first_day)
        print(f"\nloaded in {time.perf_counter() - started:.1f} s (COPY): "
              + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
    version = engine.connect().exec_driver_sql("SHOW server_version").scalar()
    print(f"PostgreSQL {version}, {DAYS} days from {first_day}\n")

    def count_all():
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM contact_attempts").scalar()

    last_day = first_day + dt.timedelta(days=DAYS - 1)
    now = dt.datetime.now(dt.timezone.utc)
    figures = {}

    def report(by=None):
        def run():
            with store.db.session_scope() as session:
                figures[by] = results(session, first_day, last_day, by, now=now)
        return run

    base = timed(count_all)
    print(f"{'count(*) of contact_attempts':<40} {base:8.3f} s")
    for by in (None, "campaign", "channel"):
        seconds = timed(report(by))
        label = f"results, totals and {DAYS} days" + (f", by {by}" if by else "")
        print(f"{label:<40} {seconds:8.3f} s   x{seconds / base:6.1f} count(*)")
    totals = figures[None]["totals"]
    print("\nwhat it found: " + ", ".join(f"{k} {totals[k]:,}" for k in (
        "attempts", "delivered", "conversations", "right_party_contacts", "promises", "promises_kept",
        "handoffs", "opt_outs", "feedback_asked", "feedback_answers")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
