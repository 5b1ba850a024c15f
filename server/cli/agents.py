"""`flask --app server agents ...`: who may sign in to the console.

    flask --app server agents add NAME --role agent|supervisor|trainer|analyst
    flask --app server agents list
    flask --app server agents disable NAME

The password is read from the AGENT_PASSWORD environment variable when it is set
(scripts, provisioning), else asked for twice without echo. It is never printed.
"""
from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from store.agents import AgentError, disable_agent, save_agent
from store.db import session_scope
from store.models import Agent, AgentRole
from store.outcomes import audit

PASSWORD_ENV = "AGENT_PASSWORD"

agents = AppGroup("agents", help="People who sign in to the agent console.")


@agents.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(AgentRole.ALL), default=AgentRole.AGENT, show_default=True)
def add(username: str, role: str) -> None:
    """Create an agent, or set an existing one's role and password."""
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        with session_scope() as session:
            agent, created = save_agent(session, username, role, password)
            audit(session, "cli", "agent_saved", details={"username": agent.username, "role": role})
    except AgentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'created' if created else 'updated'} {username} ({role})")


@agents.command("list")
def list_agents() -> None:
    """Usernames, roles and whether each may sign in."""
    with session_scope() as session:
        rows = list(session.execute(select(Agent).order_by(Agent.username)).scalars())
    if not rows:
        click.echo("no agents yet: flask --app server agents add NAME --role agent")
    for agent in rows:
        click.echo(f"{agent.username:<24} {agent.role:<11} {'active' if agent.active else 'disabled'}")


@agents.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Stop an agent from signing in; their open sessions end at once."""
    with session_scope() as session:
        if disable_agent(session, username) is None:
            raise click.ClickException(f"no agent named {username}")
        audit(session, "cli", "agent_disabled", details={"username": username})
    click.echo(f"disabled {username}")
