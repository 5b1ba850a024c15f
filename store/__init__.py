"""The one store of accounts, conversations, messages, outcomes and the audit trail.

SQLAlchemy over a SQLite file by default, PostgreSQL through DATABASE_URL. The
gateway and the action server share it; Rasa keeps its own tracker store.
"""
from store.db import connect, session_scope  # noqa: F401
