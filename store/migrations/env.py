"""Runs the migrations on the connection store/schema.py hands over, or, from the alembic
command line, on DATABASE_URL."""
from alembic import context
from sqlalchemy.types import TypeDecorator

from store.models import Base
from store.types import UTCDateTime


def render_item(kind, item, autogen_context):
    # A migration names the database type (String, BigInteger...), never the model's
    # TypeDecorator: a later change to the models must not rewrite an old migration.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False


def run(connection) -> None:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_item=render_item,
        render_as_batch=True,  # SQLite changes a table by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from store.db import database_url, make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as own:
        run(own)
    engine.dispose()
