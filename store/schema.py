"""Brings a database's schema to the newest migration (store/migrations) when the store
connects; a new, empty database is made from the models at once and marked as the newest
revision (Alembic's own advice: far quicker than replaying every migration, and
tests/store/test_schema.py keeps the models and the migrations the same). A new migration:
`alembic revision --autogenerate -m "..."` (docs/architecture.md)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from store.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Held by every process that upgrades a PostgreSQL store (two gateways starting at once):
# the second waits for the first, then finds nothing left to do.
UPGRADE_LOCK = 7_220_561


def config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine):
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrates the store to `revision`, the newest by default."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Changing a table on SQLite copies it and drops the old one: with foreign keys
            # enforced, that drop would delete the rows that reference it.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({UPGRADE_LOCK})")
        connection.commit()
        try:
            if revision == "head" and not inspect(connection).get_table_names():
                # A new, empty store: the models' schema at once, marked as the newest
                # revision (tests/store/test_schema.py keeps the two the same).
                Base.metadata.create_all(connection)
                command.stamp(config(connection), "head")
            else:
                command.upgrade(config(connection), revision)
            connection.commit()
        finally:
            connection.rollback()
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            else:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({UPGRADE_LOCK})")
            connection.commit()
