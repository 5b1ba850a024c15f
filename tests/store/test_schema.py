"""The schema comes from the migrations (store/migrations), on SQLite and PostgreSQL alike:
it matches the models, an older store upgrades with its rows kept, the database itself
refuses a status or kind the models do not know, and instants go in and come out in UTC."""
from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint
from sqlalchemy.exc import IntegrityError, StatementError

import store.db
import store.schema
from store.models import Arrangement, Base, Outcome, utcnow

HEAD = "0005"


def _values(condition: str) -> set:
    return set(re.findall(r"'([a-z0-9_]+)'", condition))


def test_a_new_store_is_made_at_the_newest_revision(store_url):
    engine = store.db.connect(store_url)
    assert store.schema.current_revision(engine) == HEAD
    engine.dispose()


def test_the_migrated_schema_is_the_models(store_url):
    """Every migration in turn, from the first: what an upgraded store ends with is what a
    new store is made with at once (the models)."""
    engine = store.db.make_engine(store_url)
    store.schema.upgrade(engine, "0001")
    store.schema.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    # compare_metadata leaves CHECK constraints out: each model's must be in the database
    # with the same values, so a new status without a migration fails here.
    found = sqlalchemy.inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = {c.name: _values(str(c.sqltext)) for c in table.constraints
                    if isinstance(c, CheckConstraint)}
        have = {c["name"]: _values(c["sqltext"]) for c in found.get_check_constraints(table.name)}
        assert have == expected, table.name
    assert store.schema.current_revision(engine) == HEAD
    engine.dispose()


def _first_revision_rows(engine) -> None:
    now = dt.datetime(2026, 11, 2, 9, 0)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(
            "INSERT INTO accounts (account_id, name, phone, timezone, language, currency, principal,"
            " interest, fees, due_date, birth_date, id_last4, status, created_at, updated_at)"
            " VALUES ('A-1', 'Ana', '+15550001', 'UTC', 'en', 'USD', 10000, 0, 0, '2026-11-01',"
            " '1990-01-01', '1234', 'active', :now, :now)"), {"now": now})
        connection.execute(sqlalchemy.text(
            "INSERT INTO arrangements (account_id, kind, status, agreed_by, agreed_at, starts_on,"
            " currency, total, details, created_at) VALUES ('A-1', 'promise', 'active', 'bot', :now,"
            " '2026-11-02', 'USD', 10000, '{}', :now)"), {"now": now})
        connection.execute(sqlalchemy.text(
            "INSERT INTO arrangement_instalments (arrangement_id, number, due_on, amount, paid, status)"
            " SELECT id, 1, '2026-11-09', 10000, 0, 'due' FROM arrangements"))


def test_a_store_at_the_first_revision_upgrades_with_its_rows(store_url):
    engine = store.db.make_engine(store_url)
    store.schema.upgrade(engine, "0001")
    _first_revision_rows(engine)
    with engine.begin() as connection:  # the first revision took any status
        connection.exec_driver_sql(
            "INSERT INTO outcomes (kind, details, created_at) VALUES ('made_up', '{}', '2026-11-02')")
        connection.exec_driver_sql("DELETE FROM outcomes")

    store.schema.upgrade(engine)

    assert store.schema.current_revision(engine) == HEAD
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT account_id, kind, status FROM arrangements").all() == [("A-1", "promise", "active")]
        assert connection.exec_driver_sql(
            "SELECT number, amount, status FROM arrangement_instalments").all() == [(1, 10000, "due")]
        # The first revision's UTC wall times are the same instants after 0003.
        assert connection.execute(sqlalchemy.select(Arrangement.agreed_at)).scalar_one() \
            == dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(IntegrityError, match="ck_arrangements_status|CHECK constraint failed"):
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE arrangements SET status = 'forgotten'")
    engine.dispose()


def test_the_database_refuses_an_unknown_status_or_kind(session):
    from store.accounts import import_records
    from tests.store.test_accounts import RECORD

    import_records(session, [RECORD])
    session.flush()
    session.add(Arrangement(account_id=RECORD["account_id"], kind="promise", status="pending",
                            agreed_by="bot", starts_on=dt.date(2026, 11, 2), currency="USD"))
    with pytest.raises(IntegrityError, match="ck_arrangements_status|CHECK constraint failed"):
        session.flush()
    session.rollback()
    session.add(Outcome(kind="promised", details={}, created_at=utcnow()))
    with pytest.raises(IntegrityError, match="ck_outcomes_kind|CHECK constraint failed"):
        session.flush()
    session.rollback()


def test_instants_are_read_back_in_utc_and_a_naive_one_is_refused(session):
    shanghai = dt.datetime(2026, 11, 2, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    outcome = Outcome(kind="promise", details={}, created_at=shanghai)
    session.add(outcome)
    session.flush()
    session.expire_all()
    stored = session.get(Outcome, outcome.id).created_at
    assert stored == shanghai and stored.tzinfo == dt.timezone.utc and stored.hour == 9
    if session.bind.dialect.name == "postgresql":
        column = next(c for c in sqlalchemy.inspect(session.connection()).get_columns("outcomes")
                      if c["name"] == "created_at")
        assert column["type"].timezone  # timestamp with time zone
    session.add(Outcome(kind="promise", details={}, created_at=dt.datetime(2026, 11, 2, 9, 0)))
    with pytest.raises(StatementError, match="the store takes timezone-aware datetimes"):
        session.flush()
    session.rollback()


def test_two_processes_upgrading_one_postgresql_store_at_once(postgres_url):
    from tests.support.app import empty_postgres

    engines = [store.db.make_engine(postgres_url) for _ in range(2)]
    empty_postgres(engines[0])
    failures = []

    def upgrade(engine):
        try:
            store.schema.upgrade(engine)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=upgrade, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.schema.current_revision(engines[0]) == HEAD
    with engines[0].connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    for engine in engines:
        engine.dispose()


def test_an_older_stores_open_payment_promises_become_promise_arrangements(store_url):
    engine = store.db.make_engine(store_url)
    store.schema.upgrade(engine, "0003")
    _first_revision_rows(engine)  # account A-1 and a promise arrangement, which stays as it is
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE payment_promises (id INTEGER PRIMARY KEY, account_id VARCHAR(64),"
            " amount NUMERIC(12, 2), promised_for DATE, status VARCHAR(12), created_at TIMESTAMP)")
        connection.exec_driver_sql(
            "INSERT INTO payment_promises VALUES (1, 'A-1', 45.50, '2026-11-20', 'open',"
            " '2026-11-10 23:30:00'), (2, 'A-1', 20.00, '2026-10-01', 'kept', '2026-09-25 10:00:00')")
    engine.dispose()

    store.db.connect(store_url)
    with store.db.session_scope() as session:
        from store.models import ArrangementInstalment, AuditEvent

        assert not sqlalchemy.inspect(session.connection()).has_table("payment_promises")
        migrated = session.execute(sqlalchemy.select(Arrangement).where(
            Arrangement.agreed_by == "migrated:payment_promises")).scalar_one()
        assert len(session.execute(sqlalchemy.select(Arrangement)).all()) == 2
        assert (migrated.account_id, migrated.kind, migrated.status, migrated.ends_on, str(migrated.total)) \
            == ("A-1", "promise", "active", dt.date(2026, 11, 20), "45.50")
        assert migrated.agreed_at == dt.datetime(2026, 11, 10, 23, 30, tzinfo=dt.timezone.utc)
        instalment = session.execute(sqlalchemy.select(ArrangementInstalment).where(
            ArrangementInstalment.arrangement_id == migrated.id)).scalar_one()
        assert (instalment.number, instalment.due_on, str(instalment.amount), instalment.status) \
            == (1, dt.date(2026, 11, 20), "45.50", "due")
        audited = session.execute(sqlalchemy.select(AuditEvent.action, AuditEvent.details)
                                  .order_by(AuditEvent.id)).all()
        assert [(action, details["date"], details["status"]) for action, details in audited] == [
            ("legacy_promise_migrated", "2026-11-20", "open"),
            ("legacy_promise_closed", "2026-10-01", "kept"),
        ]
