"""Engine and sessions. Nothing connects at import time: call connect() first."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.models import Base

DEFAULT_URL = f"sqlite:///{Path(__file__).resolve().parent.parent / 'var' / 'repay.db'}"

_factory: Optional[sessionmaker] = None


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the gateway and the action server write the same file at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    # hide_parameters: a failing statement's error and log say which statement, never its
    # values (phones, names, message bodies).
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, hide_parameters=True, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, hide_parameters=True, pool_pre_ping=True)


def add_missing_columns(engine: Engine) -> None:
    """Adds the nullable columns a newer release put into an existing table (e.g.
    accounts.jurisdiction), so a store made by an older release keeps working."""
    found = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        have = {column["name"] for column in found.get_columns(table.name)}
        for column in table.columns:
            if column.name in have or not column.nullable:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'
                )


def connect(url: Optional[str] = None) -> Engine:
    """Binds the process to a database, creates missing tables and columns."""
    global _factory
    engine = make_engine(url or database_url())
    Base.metadata.create_all(engine)
    add_missing_columns(engine)
    _factory = sessionmaker(bind=engine, future=True, expire_on_commit=False)
    return engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: committed on success, rolled back on error."""
    if _factory is None:
        connect()
    session = _factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
