"""Engine and sessions. Nothing connects at import time: call connect() first."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from store import schema

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


def connect(url: Optional[str] = None) -> Engine:
    """Binds the process to a database, its schema migrated to the newest revision."""
    global _factory
    engine = make_engine(url or database_url())
    schema.upgrade(engine)
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
