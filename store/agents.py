"""People who sign in to the agent console. Passwords are kept only as salted hashes
(werkzeug.security: scrypt); a wrong username and a wrong password take the same time
and give the same answer."""
from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from store import console_sessions
from store.models import Agent, AgentRole

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_LENGTH = 10
# Checked when the username is unknown, so that case costs a hash like any other.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


class AgentError(ValueError):
    """A username, role or password the console cannot accept; the message says why."""


def validate(username: str, role: str, password: str) -> None:
    if not USERNAME.match(username):
        raise AgentError(
            "username: 2-32 characters, lower-case letters, digits, '.', '_' or '-'"
        )
    if role not in AgentRole.ALL:
        raise AgentError(f"role must be one of {', '.join(AgentRole.ALL)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AgentError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def find_agent(session: Session, username: str) -> Optional[Agent]:
    return session.execute(select(Agent).where(Agent.username == username)).scalars().first()


def save_agent(session: Session, username: str, role: str, password: str) -> tuple[Agent, bool]:
    """Creates the agent, or sets a new role and password for an existing one (which
    ends every console session they have). Returns the agent and whether it was created."""
    validate(username, role, password)
    agent = find_agent(session, username)
    created = agent is None
    if created:
        agent = Agent(username=username, role=role, password_hash="")
        session.add(agent)
    agent.role = role
    agent.active = True
    agent.password_hash = generate_password_hash(password)
    session.flush()
    if not created:
        console_sessions.end_all(session, agent.id)
    return agent, created


def disable_agent(session: Session, username: str) -> Optional[Agent]:
    """Stops the agent from signing in and ends their console sessions at once;
    None when there is no such agent."""
    agent = find_agent(session, username)
    if agent is not None:
        agent.active = False
        console_sessions.end_all(session, agent.id)
    return agent


def authenticate(session: Session, username: str, password: str) -> Optional[Agent]:
    """The active agent with this username and password, else None."""
    agent = find_agent(session, username.strip().lower()) if username else None
    if agent is None or not agent.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return agent if check_password_hash(agent.password_hash, password or "") else None
