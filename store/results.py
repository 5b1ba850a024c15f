"""Results: what the contact attempts, conversations, outcomes and payments in the store
add up to, per borrower's day and per campaign, stage, channel, language or variant.

Every figure is a SQL aggregate (SQLite and PostgreSQL alike); docs/results.md defines
each one under the JSON key it is returned as. The counts are read once per report at the
finest grain (day x every dimension) and summed in Python into the totals, the days and
the breakdown; what does not add up across rows (attempts answered, the medians, what the
contacted accounts owe) is read per grouping. The rules in short:

- A day is the borrower's: an attempt's `local_date`, a conversation's start in the
  account's time zone (everything a conversation settles counts on that day, even
  after midnight), a payment's `paid_on`.
- A conversation belongs to the last attempt sent to its account in the
  ATTRIBUTION_DAYS before it started (last touch), and takes that attempt's campaign,
  stage and variant; without one it is "(none)". Its channel is its own, its language
  the account's. A payment belongs to the last attempt sent in the ATTRIBUTION_DAYS up
  to its day.
- A promise is kept when the account's payments from the day it was made up to its date
  add up to its amount (several part payments count together, as payments are allocated
  to a promise's arrangement, store/arrangements.py); less than that by the date is part-paid, and broken once the
  date has passed in the borrower's time zone.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Dict, List, Optional, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from store.models import (
    Account,
    AttemptState,
    ContactAttempt,
    Conversation,
    FeedbackRequest,
    FeedbackStatus,
    Handoff,
    Message,
    Outcome,
    OutcomeKind,
    Payment,
    ReviewItem,
)
from store.types import UTCDateTime

ATTRIBUTION_DAYS = 7
NONE = "(none)"
DIMENSIONS = ("campaign", "stage", "channel", "language", "variant")
GRAIN = ("day", *DIMENSIONS)  # the finest rows of a report: every count is summed from them
# What a conversation can settle without a person (containment counts these).
SETTLEMENTS = (
    OutcomeKind.PROMISE, OutcomeKind.PLAN, OutcomeKind.DEFERRAL, OutcomeKind.PAYMENT_LINK,
    OutcomeKind.CALLBACK, OutcomeKind.OPT_OUT, OutcomeKind.WRONG_NUMBER,
)
# Outcome kinds counted under each key (disputes include "already paid": both pause the account).
OUTCOME_KEYS = {
    "promises": (OutcomeKind.PROMISE,),
    "plans": (OutcomeKind.PLAN,),
    "deferrals": (OutcomeKind.DEFERRAL,),
    "opt_outs": (OutcomeKind.OPT_OUT,),
    "disputes": (OutcomeKind.DISPUTE, OutcomeKind.ALREADY_PAID),
    "wrong_numbers": (OutcomeKind.WRONG_NUMBER,),
    "hardships": (OutcomeKind.HARDSHIP,),
}
MAX_DAYS = 366
FEEDBACK_COMMENTS = 20  # the latest comments a report carries

# The period's conversations with their day and attribution, worked out once per report
# (the last-touch lookup is one index probe per conversation) and read by every query:
# a temporary table, private to the database connection and dropped after the report.
CONVERSATION_FACTS = Table(
    "results_conversation_facts", MetaData(),
    Column("id", String(40)), Column("account_id", String(64)), Column("started_at", UTCDateTime),
    Column("day", Date), Column("attempt_id", Integer), Column("channel", String(10)),
    Column("language", String(16)), Column("campaign", String(64)), Column("stage", String(64)),
    Column("variant", String(64)),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
)


class ResultsError(ValueError):
    """A period or dimension the results cannot be asked for; the message says why."""


# --- portable SQL: the borrower's day, days before, seconds between ------------------------


class local_day(FunctionElement):
    """The date of a UTC timestamp in a time zone (an IANA name)."""

    type = Date()
    inherit_cache = True


@compiles(local_day, "postgresql")
def _local_day_pg(element, compiler, **kw):
    ts, tz = list(element.clauses)
    return f"CAST(timezone({compiler.process(tz, **kw)}, {compiler.process(ts, **kw)}) AS DATE)"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    ts, tz = list(element.clauses)
    return f"repay_local_date({compiler.process(ts, **kw)}, {compiler.process(tz, **kw)})"


class days_before(FunctionElement):
    """A timestamp N whole days earlier."""

    inherit_cache = True


@compiles(days_before, "postgresql")
def _days_before_pg(element, compiler, **kw):
    value, days = list(element.clauses)
    return f"({compiler.process(value, **kw)} - make_interval(days => {compiler.process(days, **kw)}))"


@compiles(days_before, "sqlite")
def _days_before_sqlite(element, compiler, **kw):
    value, days = list(element.clauses)
    return f"datetime({compiler.process(value, **kw)}, '-' || {compiler.process(days, **kw)} || ' days')"


class date_days_before(FunctionElement):
    """A date N whole days earlier."""

    type = Date()
    inherit_cache = True


@compiles(date_days_before, "postgresql")
def _date_days_before_pg(element, compiler, **kw):
    value, days = list(element.clauses)
    return f"({compiler.process(value, **kw)} - {compiler.process(days, **kw)})"


@compiles(date_days_before, "sqlite")
def _date_days_before_sqlite(element, compiler, **kw):
    value, days = list(element.clauses)
    return f"date({compiler.process(value, **kw)}, '-' || {compiler.process(days, **kw)} || ' days')"


class as_date(FunctionElement):
    """A date written YYYY-MM-DD in a text (a JSON field) as a date."""

    type = Date()
    inherit_cache = True


@compiles(as_date, "postgresql")
def _as_date_pg(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(as_date, "sqlite")
def _as_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class seconds_between(FunctionElement):
    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_pg(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"((julianday({compiler.process(end, **kw)}) - "
            f"julianday({compiler.process(start, **kw)})) * 86400.0)")


def _sqlite_local_date(value, tz) -> Optional[str]:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.timezone.utc)
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ValueError, KeyError, OSError):
        zone = dt.timezone.utc
    return moment.astimezone(zone).date().isoformat()


def _prepare(session: Session) -> str:
    """The dialect's name; on SQLite, teaches this connection the borrower's day."""
    connection = session.connection()
    name = connection.dialect.name
    if name == "postgresql":
        # JIT compiling these aggregates costs more than it saves (seconds, on a busy host).
        connection.exec_driver_sql("SET LOCAL jit = off")
    if name == "sqlite":
        connection.connection.dbapi_connection.create_function(
            "repay_local_date", 2, _sqlite_local_date, deterministic=True
        )
    return name


def _utc_window(column, start: dt.date, end: dt.date) -> tuple:
    """Conditions that keep the UTC timestamps whose day somewhere on earth (UTC-12 to UTC+14)
    may fall in the period: an index range before the exact borrower's day is worked out."""
    midnight = dt.time(tzinfo=dt.timezone.utc)
    return (column >= dt.datetime.combine(start, midnight) - dt.timedelta(hours=14),
            column < dt.datetime.combine(end + dt.timedelta(days=1), midnight) + dt.timedelta(hours=12))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# --- the facts, each with its day and dimensions -------------------------------------------


def variant_column():
    """The attempts' A/B variant column, when the store has one."""
    return getattr(ContactAttempt, "variant", None)


def _attempt_dims(attempt) -> Dict[str, ColumnElement]:
    variant = getattr(attempt, "variant", None)
    return {
        "campaign": func.coalesce(attempt.campaign, literal(NONE)),
        "stage": func.coalesce(attempt.stage, literal(NONE)),
        "variant": func.coalesce(variant, literal(NONE)) if variant is not None else literal(NONE),
    }


def _last_attempt(account_id, before, on_dates: bool = False):
    """The id of the last attempt sent to the account in the ATTRIBUTION_DAYS up to `before`."""
    attempt = aliased(ContactAttempt)
    if on_dates:
        window = and_(attempt.local_date <= before,
                      attempt.local_date >= date_days_before(before, ATTRIBUTION_DAYS))
        order = attempt.local_date.desc()
    else:
        window = and_(attempt.sent_at <= before, attempt.sent_at >= days_before(before, ATTRIBUTION_DAYS))
        order = attempt.sent_at.desc()
    return (
        select(attempt.id)
        .where(attempt.account_id == account_id, attempt.state == AttemptState.SENT, window)
        .order_by(order, attempt.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _once(query, name: str):
    """`query` as a table computed once per statement. The last-touch lookup in it is a
    correlated subquery, which PostgreSQL would otherwise inline and run again for the join
    that reads the attempt's dimensions (measured: twice the probes, and a hash of the whole
    attempts table)."""
    return query.cte(name).prefix_with("MATERIALIZED", dialect="postgresql")


def _conversations(start: dt.date, end: dt.date):
    """Conversations started in the period: id, day, dimensions, the attempt they answer."""
    day = local_day(Conversation.started_at, func.coalesce(Account.timezone, literal("UTC")))
    base = _once(
        select(
            Conversation.id.label("id"),
            Conversation.account_id.label("account_id"),
            Conversation.started_at.label("started_at"),
            Conversation.channel.label("channel"),
            func.coalesce(Account.language, literal(NONE)).label("language"),
            day.label("day"),
            _last_attempt(Conversation.account_id, Conversation.started_at).label("attempt_id"),
        )
        .select_from(Conversation)
        .outerjoin(Account, Account.account_id == Conversation.account_id)
        .where(*_utc_window(Conversation.started_at, start, end), day >= start, day <= end),
        "base",
    )
    attempt = aliased(ContactAttempt)
    dims = _attempt_dims(attempt)
    return (
        select(
            base.c.id, base.c.account_id, base.c.started_at, base.c.day, base.c.attempt_id,
            base.c.channel, base.c.language,
            *(dims[name].label(name) for name in ("campaign", "stage", "variant")),
        )
        .select_from(base)
        .outerjoin(attempt, attempt.id == base.c.attempt_id)
    )


def _materialise_conversations(session: Session, dialect: str, start: dt.date, end: dt.date) -> Table:
    connection = session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {CONVERSATION_FACTS.name}")
    CONVERSATION_FACTS.create(connection)
    facts = _conversations(start, end)
    connection.execute(CONVERSATION_FACTS.insert().from_select(
        [c.name for c in CONVERSATION_FACTS.c], facts.with_only_columns(
            *(facts.selected_columns[c.name] for c in CONVERSATION_FACTS.c))))
    if dialect == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {CONVERSATION_FACTS.name}")
    return CONVERSATION_FACTS


def _drop_conversations(session: Session) -> None:
    session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {CONVERSATION_FACTS.name}")


def _group(columns: Sequence[str], source) -> List[ColumnElement]:
    return [source.c[name].label(name) for name in columns]


class _Rows:
    """Figures per group key (a tuple of the grouping columns' values)."""

    def __init__(self):
        self.rows: Dict[tuple, dict] = defaultdict(dict)

    def put(self, key: tuple, name: str, value) -> None:
        self.rows[tuple(_normal(v) for v in key)][name] = value

    def add(self, key: tuple, name: str, value) -> None:
        row = self.rows[tuple(_normal(v) for v in key)]
        row[name] = row.get(name, 0) + value


def _normal(value):
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _additive(session: Session, start: dt.date, end: dt.date, today_utc: dt.datetime) -> Dict[tuple, dict]:
    """Every figure that adds up across rows, once, at the finest GRAIN: the totals, the days
    and any breakdown are sums of these rows (_roll_up), so each table is read once a report."""
    out = _Rows()
    columns = GRAIN
    n = len(columns)

    # Attempts: their own day and dimensions.
    a = ContactAttempt
    dims = _attempt_dims(a)
    attempts = (
        select(
            a.local_date.label("day"), *(dims[d].label(d) for d in ("campaign", "stage", "variant")),
            a.channel.label("channel"), a.language.label("language"),
            a.id.label("id"), a.state.label("state"), a.delivery.label("delivery"),
            a.answered.label("answered"), a.account_id.label("account_id"),
        )
        .where(a.local_date >= start, a.local_date <= end)
        .subquery("att")
    )
    sent = attempts.c.state == AttemptState.SENT
    delivered = and_(sent, or_(
        and_(attempts.c.channel != "voice", attempts.c.delivery == "delivered"),
        and_(attempts.c.channel == "voice", attempts.c.answered.is_(True)),
    ))
    query = select(
        *_group(columns, attempts),
        func.sum(case((sent, 1), else_=0)),
        func.sum(case((attempts.c.state == AttemptState.BLOCKED, 1), else_=0)),
        func.sum(case((attempts.c.state == AttemptState.FAILED, 1), else_=0)),
        func.sum(case((delivered, 1), else_=0)),
    ).group_by(*_group(columns, attempts))
    for row in session.execute(query):
        key = tuple(row[:n])
        for name, value in zip(("attempts", "attempts_blocked", "attempts_failed", "delivered"), row[n:]):
            out.put(key, name, int(value or 0))

    conv = CONVERSATION_FACTS

    # Conversations, and what each settled.
    per_conv = _per_conversation()
    contained = and_(per_conv.c.settled > 0, per_conv.c.handed_cid.is_(None))
    query = select(
        *_group(columns, per_conv),
        func.count(),
        func.sum(case((per_conv.c.verified > 0, 1), else_=0)),
        func.sum(case((contained, 1), else_=0)),
        *(func.coalesce(func.sum(per_conv.c[name]), 0) for name in OUTCOME_KEYS),
    ).group_by(*_group(columns, per_conv))
    names = ("conversations", "right_party_contacts", "contained", *OUTCOME_KEYS)
    for row in session.execute(query):
        key = tuple(row[:n])
        for name, value in zip(names, row[n:]):
            out.put(key, name, int(value or 0))

    # Outcomes recorded outside any conversation (a carrier's opt-out, say): their own
    # day, attributed to the last attempt before them.
    loose_base = _once(
        select(
            Outcome.kind.label("kind"), Account.language.label("language"),
            local_day(Outcome.created_at, Account.timezone).label("day"),
            _last_attempt(Outcome.account_id, Outcome.created_at).label("attempt_id"),
        )
        .select_from(Outcome)
        .join(Account, Account.account_id == Outcome.account_id)
        .where(Outcome.conversation_id.is_(None), *_utc_window(Outcome.created_at, start, end)),
        "loose_base",
    )
    attempt = aliased(ContactAttempt)
    adims = _attempt_dims(attempt)
    loose = (
        select(loose_base.c.kind, loose_base.c.day, loose_base.c.language,
               func.coalesce(attempt.channel, literal(NONE)).label("channel"),
               *(adims[d].label(d) for d in ("campaign", "stage", "variant")))
        .select_from(loose_base)
        .outerjoin(attempt, attempt.id == loose_base.c.attempt_id)
        .where(loose_base.c.day >= start, loose_base.c.day <= end)
        .subquery("loose")
    )
    query = select(*_group(columns, loose), loose.c.kind, func.count()).group_by(
        *_group(columns, loose), loose.c.kind)
    for row in session.execute(query):
        key, kind, count = tuple(row[:n]), row[n], int(row[n + 1])
        for name, k in OUTCOME_KEYS.items():
            if kind in k:
                out.add(key, name, count)

    # Promises made in the period's conversations, and what was paid towards each by its date.
    promise_day = local_day(Outcome.created_at, Account.timezone)
    promised_on = as_date(Outcome.details["date"].as_string())
    promised_cents = cast(func.round(cast(Outcome.details["amount"].as_string(), Float) * 100), Integer)
    # One grouped join (not a subquery per promise): computed once, however often it is read.
    paid = (
        select(Outcome.id.label("outcome_id"),
               func.coalesce(func.sum(type_coerce(Payment.amount, Integer)), 0).label("paid"))
        .select_from(Outcome)
        .join(conv, conv.c.id == Outcome.conversation_id)
        .join(Account, Account.account_id == Outcome.account_id)
        .outerjoin(Payment, and_(Payment.account_id == Outcome.account_id, Payment.paid_on >= promise_day,
                                 Payment.paid_on <= promised_on))
        .where(Outcome.kind == OutcomeKind.PROMISE)
        .group_by(Outcome.id)
        .subquery("paid")
    )
    promises = (
        select(*(conv.c[name] for name in ("day", *DIMENSIONS)),
               promised_on.label("promised_on"), promised_cents.label("cents"), paid.c.paid,
               local_day(literal(today_utc, UTCDateTime()), Account.timezone).label("today"))
        .select_from(Outcome)
        .join(paid, paid.c.outcome_id == Outcome.id)
        .join(conv, conv.c.id == Outcome.conversation_id)
        .join(Account, Account.account_id == Outcome.account_id)
        .subquery("promised")
    )
    kept = promises.c.paid >= promises.c.cents
    query = select(
        *_group(columns, promises),
        func.sum(case((kept, 1), else_=0)),
        func.sum(case((and_(~kept, promises.c.paid > 0), 1), else_=0)),
        func.sum(case((and_(~kept, promises.c.today > promises.c.promised_on), 1), else_=0)),
    ).group_by(*_group(columns, promises))
    for row in session.execute(query):
        key = tuple(row[:n])
        for name, value in zip(("promises_kept", "promises_part_paid", "promises_broken"), row[n:]):
            out.put(key, name, int(value or 0))

    # Handoffs by reason.
    query = (
        select(*_group(columns, conv), Handoff.reason, func.count())
        .select_from(Handoff).join(conv, conv.c.id == Handoff.conversation_id)
        .group_by(*_group(columns, conv), Handoff.reason)
    )
    for row in session.execute(query):
        key, reason, count = tuple(row[:n]), row[n], int(row[n + 1])
        out.rows[tuple(_normal(v) for v in key)].setdefault("handoffs_by_reason", {})[reason] = count
        out.add(key, "handoffs", count)

    # NLU fallbacks, as the trainers' inbox captured them (a repeat counts in `seen`).
    query = (
        select(*_group(columns, conv), func.sum(ReviewItem.seen))
        .select_from(ReviewItem).join(conv, conv.c.id == ReviewItem.conversation_id)
        .where(ReviewItem.fell_back.is_(True))
        .group_by(*_group(columns, conv))
    )
    for row in session.execute(query):
        out.put(tuple(row[:n]), "nlu_fallbacks", int(row[n] or 0))

    # The borrower's word: the question after an agreement (one per conversation) and its
    # rating, with the conversation's day and dimensions. A question the sender refused is
    # no question asked.
    query = (
        select(*_group(columns, conv), FeedbackRequest.score, func.count())
        .select_from(FeedbackRequest).join(conv, conv.c.id == FeedbackRequest.conversation_id)
        .where(FeedbackRequest.status != FeedbackStatus.NOT_SENT)
        .group_by(*_group(columns, conv), FeedbackRequest.score)
    )
    for row in session.execute(query):
        key, score, count = tuple(row[:n]), row[n], int(row[n + 1])
        out.add(key, "feedback_asked", count)
        if score is not None:
            out.add(key, "feedback_answers", count)
            scores = out.rows[tuple(_normal(v) for v in key)].setdefault("feedback_scores", {})
            scores[str(score)] = scores.get(str(score), 0) + count

    _collected(session, out, columns, start, end)
    return out.rows


def _per_conversation():
    """The period's conversations, each with what it settled (one grouped pass over their
    outcomes) and whether a person took it over."""
    conv = CONVERSATION_FACTS
    kinds = select(
        Outcome.conversation_id.label("cid"),
        *(func.sum(case((Outcome.kind.in_(k), 1), else_=0)).label(name) for name, k in OUTCOME_KEYS.items()),
        func.sum(case((Outcome.kind == OutcomeKind.VERIFIED, 1), else_=0)).label("verified"),
        func.sum(case((Outcome.kind.in_(SETTLEMENTS), 1), else_=0)).label("settled"),
        func.min(case((Outcome.kind.in_(SETTLEMENTS), Outcome.created_at))).label("first_settled_at"),
    ).join(conv, conv.c.id == Outcome.conversation_id).group_by(Outcome.conversation_id).subquery("kinds")
    handed = (select(Handoff.conversation_id.label("cid")).join(conv, conv.c.id == Handoff.conversation_id)
              .distinct().subquery("handed"))
    return (
        select(conv, *(kinds.c[name] for name in OUTCOME_KEYS), kinds.c.verified, kinds.c.settled,
               kinds.c.first_settled_at, handed.c.cid.label("handed_cid"))
        .select_from(conv)
        .outerjoin(kinds, kinds.c.cid == conv.c.id)
        .outerjoin(handed, handed.c.cid == conv.c.id)
        .subquery("per_conv")
    )


def _roll_up(fine: Dict[tuple, dict], columns: Sequence[str]) -> Dict[tuple, dict]:
    """The GRAIN rows summed by `columns` (counts, and counts per currency, reason or rating)."""
    picks = [GRAIN.index(name) for name in columns]
    out: Dict[tuple, dict] = defaultdict(dict)
    for key, figures in fine.items():
        row = out[tuple(key[i] for i in picks)]
        for name, value in figures.items():
            if isinstance(value, dict):
                merged = row.setdefault(name, {})
                for part, count in value.items():
                    merged[part] = merged.get(part, 0) + count
            else:
                row[name] = row.get(name, 0) + value
    return out


def _not_additive(session: Session, dialect: str, columns: Sequence[str], start: dt.date,
                  end: dt.date) -> Dict[tuple, dict]:
    """The figures that do not add up across rows, grouped by `columns`: attempts answered
    (an attempt once, however many conversations answer it), the medians, and what the
    accounts contacted owe (each account once)."""
    out = _Rows()
    n = len(columns)
    conv = CONVERSATION_FACTS
    query = select(*_group(columns, conv), func.count(conv.c.attempt_id.distinct())).group_by(
        *_group(columns, conv))
    for row in session.execute(query):
        out.put(tuple(row[:n]), "answered", int(row[n] or 0))

    # Turns (the borrower's messages) and time to the first settlement: medians.
    per_conv = _per_conversation()
    turns = (
        select(Message.conversation_id.label("cid"), func.count().label("turns"))
        .join(conv, conv.c.id == Message.conversation_id)
        .where(Message.direction == "in").group_by(Message.conversation_id).subquery("turns")
    )
    settled = (
        select(*_group(columns, per_conv), func.coalesce(turns.c.turns, 0).label("turns"),
               seconds_between(per_conv.c.started_at, per_conv.c.first_settled_at).label("seconds"))
        .select_from(per_conv)
        .outerjoin(turns, turns.c.cid == per_conv.c.id)
        .where(per_conv.c.settled > 0)
        .subquery("settled")
    )
    if dialect == "postgresql":
        query = select(
            *_group(columns, settled),
            func.percentile_cont(0.5).within_group(settled.c.turns),
            func.percentile_cont(0.5).within_group(settled.c.seconds),
        ).group_by(*_group(columns, settled))
        for row in session.execute(query):
            if row[n] is None:  # no group: one row of nulls when nothing was settled
                continue
            key = tuple(row[:n])
            out.put(key, "median_turns_to_outcome", float(row[n]))
            out.put(key, "median_seconds_to_outcome", round(float(row[n + 1]), 1))
    else:
        values = defaultdict(lambda: ([], []))
        for row in session.execute(select(settled)):
            key = tuple(_normal(v) for v in row[:n])
            values[key][0].append(row[n])
            values[key][1].append(row[n + 1])
        for key, (turn_list, second_list) in values.items():
            out.put(key, "median_turns_to_outcome", float(statistics.median(turn_list)))
            out.put(key, "median_seconds_to_outcome", round(float(statistics.median(second_list)), 1))

    if "day" not in columns:  # what is owed is a figure of the period, not of each day
        _outstanding(session, out, columns, start, end)
    return out.rows


def _feedback_comments(session: Session) -> List[dict]:
    """The latest words borrowers wrote with a rating in the period's conversations (redacted
    when stored, server/sms/feedback.py), newest first."""
    conv = CONVERSATION_FACTS
    query = (
        select(conv.c.day, conv.c.channel, conv.c.language, conv.c.campaign,
               FeedbackRequest.score, FeedbackRequest.comment)
        .select_from(FeedbackRequest).join(conv, conv.c.id == FeedbackRequest.conversation_id)
        .where(FeedbackRequest.status == FeedbackStatus.ANSWERED, FeedbackRequest.comment.isnot(None))
        .order_by(FeedbackRequest.answered_at.desc(), FeedbackRequest.id.desc())
        .limit(FEEDBACK_COMMENTS)
    )
    return [{"day": _normal(day), "channel": channel, "language": language, "campaign": campaign,
             "score": score, "comment": comment}
            for day, channel, language, campaign, score, comment in session.execute(query)]


def _collected(session: Session, out: _Rows, columns: Sequence[str], start: dt.date, end: dt.date) -> None:
    """Payments in the period (per currency), attributed to the last attempt before them."""
    n = len(columns)
    base = _once(
        select(
            Payment.paid_on.label("day"), type_coerce(Payment.amount, Integer).label("cents"), Payment.currency.label("currency"),
            Account.language.label("language"),
            _last_attempt(Payment.account_id, Payment.paid_on, on_dates=True).label("attempt_id"),
        )
        .select_from(Payment)
        .join(Account, Account.account_id == Payment.account_id)
        .where(Payment.paid_on >= start, Payment.paid_on <= end),
        "paid_base",
    )
    attempt = aliased(ContactAttempt)
    adims = _attempt_dims(attempt)
    paid = (
        select(base.c.day, base.c.cents, base.c.currency, base.c.language,
               func.coalesce(attempt.channel, literal(NONE)).label("channel"),
               *(adims[d].label(d) for d in ("campaign", "stage", "variant")))
        .select_from(base).outerjoin(attempt, attempt.id == base.c.attempt_id)
        .subquery("paid")
    )
    query = select(*_group(columns, paid), paid.c.currency, func.sum(paid.c.cents), func.count()).group_by(
        *_group(columns, paid), paid.c.currency)
    for row in session.execute(query):
        key, currency = tuple(_normal(v) for v in row[:n]), row[n]
        figures = out.rows[key]
        figures.setdefault("amount_collected", {})[currency] = int(row[n + 1])
        out.add(key, "payments", int(row[n + 2]))


def _outstanding(session: Session, out: _Rows, columns: Sequence[str], start: dt.date, end: dt.date) -> None:
    """What the accounts contacted in the period still owe, per currency, each account once per row."""
    n = len(columns)
    conv = CONVERSATION_FACTS
    # Accounts contacted: an attempt sent, or a conversation, in the period (once per row).
    a = ContactAttempt
    dims = _attempt_dims(a)
    contacted = (
        select(a.local_date.label("day"), a.channel.label("channel"), a.language.label("language"),
               *(dims[d].label(d) for d in ("campaign", "stage", "variant")), a.account_id.label("account_id"))
        .where(a.local_date >= start, a.local_date <= end, a.state == AttemptState.SENT)
        .union_all(select(*(conv.c[name] for name in ("day", "channel", "language", "campaign", "stage", "variant",
                                                   "account_id"))).where(conv.c.account_id.isnot(None)))
        .subquery("contacted")
    )
    accounts = select(*_group(columns, contacted), contacted.c.account_id).distinct().subquery("contacted_accounts")
    query = (
        select(*_group(columns, accounts), Account.currency,
               func.sum(type_coerce(Account.principal, Integer) + type_coerce(Account.interest, Integer)
                        + type_coerce(Account.fees, Integer)))
        .select_from(accounts)
        .join(Account, Account.account_id == accounts.c.account_id)
        .group_by(*_group(columns, accounts), Account.currency)
    )
    for row in session.execute(query):
        key, currency = tuple(_normal(v) for v in row[:n]), row[n]
        out.rows[key].setdefault("balance_outstanding", {})[currency] = int(row[n + 1] or 0)


# --- the report ------------------------------------------------------------------------------

COUNTS = (
    "attempts", "attempts_blocked", "attempts_failed", "delivered", "answered", "conversations",
    "right_party_contacts", "promises", "plans", "deferrals", "promises_kept", "promises_part_paid",
    "promises_broken", "payments", "contained", "handoffs", "opt_outs", "disputes", "wrong_numbers",
    "hardships", "nlu_fallbacks", "feedback_asked", "feedback_answers",
)


def _cents(value: int) -> str:
    return str((Decimal(value) / 100).quantize(Decimal("0.01")))


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def finish(raw: dict) -> dict:
    """Every key present, money as decimal strings per currency, and the rates."""
    row = {name: raw.get(name, 0) for name in COUNTS}
    row["handoffs_by_reason"] = dict(sorted(raw.get("handoffs_by_reason", {}).items()))
    collected = raw.get("amount_collected", {})
    outstanding = raw.get("balance_outstanding", {})
    row["amount_collected"] = {c: _cents(v) for c, v in sorted(collected.items())}
    row["balance_outstanding"] = {c: _cents(v) for c, v in sorted(outstanding.items())}
    row["recovery_rate"] = {
        c: _share(collected.get(c, 0), collected.get(c, 0) + outstanding.get(c, 0))
        for c in sorted(set(collected) | set(outstanding))
    }
    row["median_turns_to_outcome"] = raw.get("median_turns_to_outcome")
    row["median_seconds_to_outcome"] = raw.get("median_seconds_to_outcome")
    row["delivery_rate"] = _share(row["delivered"], row["attempts"])
    row["contact_rate"] = _share(row["answered"], row["attempts"])
    row["right_party_rate"] = _share(row["right_party_contacts"], row["conversations"])
    row["promise_rate"] = _share(row["promises"] + row["plans"], row["right_party_contacts"])
    row["promise_kept_rate"] = _share(row["promises_kept"], row["promises_kept"] + row["promises_broken"])
    row["containment_rate"] = _share(row["contained"], row["conversations"])
    row["handoff_rate"] = _share(row["handoffs"], row["conversations"])
    row["opt_out_rate"] = _share(row["opt_outs"], row["conversations"])
    scores = raw.get("feedback_scores", {})
    row["feedback_scores"] = {str(score): scores.get(str(score), 0) for score in range(1, 6)}
    row["feedback_answer_rate"] = _share(row["feedback_answers"], row["feedback_asked"])
    total = sum(score * count for score, count in enumerate(row["feedback_scores"].values(), start=1))
    row["feedback_mean_score"] = round(total / row["feedback_answers"], 2) if row["feedback_answers"] else None
    return row


def parse_period(start: Optional[str], end: Optional[str], today: dt.date) -> tuple[dt.date, dt.date]:
    """from/to as YYYY-MM-DD (both days included); the last 30 days when missing."""
    try:
        last = dt.date.fromisoformat(end) if end else today
        first = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=29)
    except ValueError:
        raise ResultsError("from and to are dates written YYYY-MM-DD") from None
    if first > last:
        raise ResultsError("from is after to")
    if (last - first).days >= MAX_DAYS:
        raise ResultsError(f"a period is at most {MAX_DAYS} days")
    return first, last


def check_dimension(by: Optional[str]) -> Optional[str]:
    if by in (None, ""):
        return None
    if by not in DIMENSIONS:
        raise ResultsError(f"by is one of {', '.join(DIMENSIONS)}")
    if by == "variant" and variant_column() is None:
        raise ResultsError("no variants recorded: contact attempts carry no template variant")
    return by


def results(session: Session, start: dt.date, end: dt.date, by: Optional[str] = None,
            now: Optional[dt.datetime] = None) -> dict:
    """Totals, one row per borrower's day, and (with `by`) one row per value of a dimension."""
    by = check_dimension(by)
    now = now or dt.datetime.now(dt.timezone.utc)
    today_utc = now.astimezone(dt.timezone.utc)
    dialect = _prepare(session)
    _materialise_conversations(session, dialect, start, end)
    fine = _additive(session, start, end, today_utc)

    def grouped(columns):
        rows = _roll_up(fine, columns)
        for key, figures in _not_additive(session, dialect, columns, start, end).items():
            rows[key].update(figures)
        return rows

    totals = grouped(()).get((), {})
    per_day = grouped(("day",))
    rows = grouped((by,)) if by else {}
    comments = _feedback_comments(session)
    # PostgreSQL drops the table when the transaction ends (committed or rolled back);
    # SQLite keeps it with the connection, so it goes now (or at the next report's start).
    _drop_conversations(session)
    days = []
    day = start
    while day <= end:
        days.append({"day": day.isoformat(), **finish(per_day.get((day.isoformat(),), {}))})
        day += dt.timedelta(days=1)
    report = {
        "from": start.isoformat(), "to": end.isoformat(), "by": by,
        "attribution_days": ATTRIBUTION_DAYS,
        "totals": finish(totals), "days": days, "breakdown": [], "feedback_comments": comments,
    }
    if by:
        report["breakdown"] = [
            {"key": key[0], **finish(values)}
            for key, values in sorted(rows.items(), key=lambda item: (item[0][0] == NONE, str(item[0][0])))
        ]
    return report
