"""A store from an older release kept promises in `payment_promises`: each open one becomes an
active promise arrangement with its one instalment, every row (open or not) is written to the
audit trail, and the table goes.

Revision ID: 0004
Revises: 0003
"""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEGACY = "payment_promises"
OPEN = ("open", "pending", "active")
# What the older releases called the promised day.
DATE_COLUMNS = ("promised_for", "due_date", "due_on", "promise_date")
AGREED_BY = "migrated:payment_promises"

accounts = sa.table("accounts", sa.column("account_id"), sa.column("currency"), sa.column("timezone"))
arrangements = sa.Table(  # a Table, not a table(): the insert hands back the new id
    "arrangements", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String) for name in ("account_id", "kind", "status", "agreed_by", "currency")),
    sa.Column("agreed_at", sa.DateTime(timezone=True)), sa.Column("starts_on", sa.Date),
    sa.Column("ends_on", sa.Date), sa.Column("total", sa.BigInteger), sa.Column("details", sa.JSON),
    sa.Column("status_changed_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)
instalments = sa.table(
    "arrangement_instalments", sa.column("arrangement_id", sa.Integer), sa.column("number", sa.Integer),
    sa.column("due_on", sa.Date), sa.column("amount", sa.BigInteger), sa.column("paid", sa.BigInteger),
    sa.column("status"),
)
audit_events = sa.table(
    "audit_events", sa.column("at", sa.DateTime(timezone=True)), sa.column("actor"),
    sa.column("action"), sa.column("account_id"), sa.column("details", sa.JSON),
)


def _instant(value) -> dt.datetime:
    """A legacy timestamp (naive ones were UTC; SQLite may hand back text) as aware UTC."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _stored(bind, at: dt.datetime) -> dt.datetime:
    # SQLite keeps the UTC wall time (store/types.py UTCDateTime).
    return at.replace(tzinfo=None) if bind.dialect.name == "sqlite" else at


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    bind = op.get_bind()
    found = sa.inspect(bind)
    if not found.has_table(LEGACY):
        return
    columns = {column["name"] for column in found.get_columns(LEGACY)}
    date_column = next((name for name in DATE_COLUMNS if name in columns), None)
    if date_column is None:
        raise RuntimeError(f"{LEGACY} has none of {', '.join(DATE_COLUMNS)}: cannot tell the promised day")
    legacy = sa.table(LEGACY, *(sa.column(name) for name in ("account_id", "amount", "status", "created_at")),
                      sa.column(date_column))
    known = {row.account_id: row for row in bind.execute(sa.select(accounts))}
    for row in bind.execute(sa.select(legacy)).mappings():
        account = known.get(row["account_id"])
        amount = Decimal(str(row["amount"])).quantize(Decimal("0.01"))
        due, status = _day(row[date_column]), str(row["status"] or "").strip().lower()
        agreed_at = _instant(row["created_at"])
        stored_at = _stored(bind, agreed_at)
        kept = {"date": due.isoformat(), "amount": str(amount), "status": status}
        if account is None or status not in OPEN:
            bind.execute(audit_events.insert().values(
                at=stored_at, actor="migration", action="legacy_promise_closed",
                account_id=row["account_id"], details=kept))
            continue
        cents = int(amount * 100)
        arrangement_id = bind.execute(arrangements.insert().values(
            account_id=account.account_id, kind="promise", status="active", agreed_by=AGREED_BY,
            agreed_at=stored_at, starts_on=agreed_at.astimezone(ZoneInfo(account.timezone)).date(),
            ends_on=due, currency=account.currency, total=cents,
            details={"date": due.isoformat(), "amount": str(amount), "currency": account.currency},
            status_changed_at=stored_at, created_at=stored_at,
        )).inserted_primary_key[0]
        bind.execute(instalments.insert().values(
            arrangement_id=arrangement_id, number=1, due_on=due, amount=cents, paid=0, status="due"))
        bind.execute(audit_events.insert().values(
            at=stored_at, actor="migration", action="legacy_promise_migrated",
            account_id=account.account_id, details={**kept, "arrangement_id": arrangement_id}))
    op.drop_table(LEGACY)


def downgrade() -> None:
    pass  # the legacy table is not brought back: its promises live on as arrangements
