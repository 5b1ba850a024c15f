"""`flask --app server calls place ACCOUNT_ID`: an outbound call from a terminal
(server/voice/calls.py places it)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from server.voice.calls import CallFailed, CallRefused, place_call

calls = AppGroup("calls", help="Outbound voice calls.")


@calls.command("place")
@click.argument("account_id")
def place(account_id: str) -> None:
    """Call an account's phone (through Twilio, or into the outbox without credentials)."""
    try:
        placed = place_call(account_id, placed_by="cli")
    except LookupError:
        raise click.ClickException(f"no account {account_id}") from None
    except CallRefused as exc:
        decision = exc.decision
        retry = f"; allowed again from {decision.retry_at:%Y-%m-%d %H:%M} UTC" if decision.retry_at else ""
        raise click.ClickException(f"not allowed: {decision.rule}: {decision.reason}{retry}") from None
    except CallFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"call {placed.call_id} placed via {placed.via} ({placed.call_sid})")
    if placed.via == "outbox":
        click.echo(f"play it: python -m devtools.chat --call {account_id}")
