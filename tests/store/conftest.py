from __future__ import annotations

import pytest
from sqlalchemy import text

import store.db
from tests.support.app import empty_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, postgres_url):
    """The store on a fresh SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    engine = store.db.make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))  # fails loudly when PostgreSQL is down
    empty_postgres(engine)
    engine.dispose()
    yield postgres_url


@pytest.fixture
def session(store_url):
    store.db.connect(store_url)
    with store.db.session_scope() as session:
        yield session
