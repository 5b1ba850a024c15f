"""Console sessions, kept in the store so that they can be ended everywhere at once.

The console's signed cookie holds only a random token (Flask-Login's "alternative
token": server/console/auth.py); this table holds its SHA-256, the agent and when the
session was last used. A request whose token has no row here is signed out, whichever
gateway process answers it. A row goes when its agent signs out, gets a new password
or is disabled, when it has been idle too long, and when it reaches its full lifetime.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Optional

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from store.models import Agent, ConsoleSession

# The page polls every two seconds: last_seen_at is written at most once a minute
# (or a quarter of the idle time, when that is shorter), not on every poll.
TOUCH_EVERY = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(db: Session, agent: Agent, now: dt.datetime) -> str:
    """A new session for the agent; returns the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    db.add(ConsoleSession(token_hash=_digest(token), agent_id=agent.id,
                          created_at=now, last_seen_at=now))
    return token


def resume(
    db: Session, token: str, now: dt.datetime, idle: dt.timedelta, lifetime: dt.timedelta
) -> Optional[Agent]:
    """The agent whose live session this token names, else None (and an expired
    session is ended). Marks the session as used now."""
    row = db.get(ConsoleSession, _digest(token)) if token else None
    if row is None:
        return None
    agent = db.get(Agent, row.agent_id)
    if (agent is None or not agent.active or now - row.last_seen_at > idle
            or now - row.created_at > lifetime):
        db.delete(row)
        return None
    if now - row.last_seen_at >= min(TOUCH_EVERY, idle / 4):
        row.last_seen_at = now
    return agent


def end(db: Session, token: str) -> None:
    db.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


def end_all(db: Session, agent_id: int) -> int:
    """Ends every session of the agent (new password, disabled); returns how many."""
    return db.execute(delete(ConsoleSession).where(ConsoleSession.agent_id == agent_id)).rowcount


def purge_expired(db: Session, now: dt.datetime, idle: dt.timedelta, lifetime: dt.timedelta) -> int:
    """Removes the rows of sessions nobody can resume any more (run at each sign-in)."""
    return db.execute(delete(ConsoleSession).where(or_(
        ConsoleSession.last_seen_at < now - idle, ConsoleSession.created_at < now - lifetime,
    ))).rowcount
