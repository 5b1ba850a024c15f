"""Commands for operators and developers: `flask --app server <command>`."""
from __future__ import annotations

import io
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from server import services
from server.conversation.redelivery import redeliver_once, run_loop
from store.accounts import import_csv
from store.db import session_scope
from store.models import OutboxMessage
from store.outcomes import audit

accounts = AppGroup("accounts", help="Borrowers' accounts.")


def read_csv_file(path: str) -> io.StringIO:
    """The file's text, for csv: UTF-8, with or without a byte-order mark (spreadsheets often
    write one). Anything else stops the command before a row is read, saying where."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise click.ClickException(
            f"{path} is not UTF-8 text (line {line}, byte {exc.start}): save it as "
            "UTF-8 (\"CSV UTF-8\" in a spreadsheet; a byte-order mark is fine) and load it again"
        ) from None
    return io.StringIO(text, newline="")


@accounts.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_accounts(path: str) -> None:
    """Create or update accounts from a CSV file (see lender/demo_accounts.csv)."""
    with read_csv_file(path) as stream, session_scope() as session:
        report = import_csv(session, stream, **services().policy.account_import_options())
        audit(
            session, "cli", "accounts_import",
            details={
                "created": report.created, "updated": report.updated,
                "rejected": len(report.errors),
            },
        )
    click.echo(
        f"created {report.created}, updated {report.updated}, "
        f"{len(report.errors)} rows rejected"
    )
    for error in report.errors:  # row number, account_id and the rule broken: no personal data
        click.echo(f"  {error}")
    if report.errors:
        raise SystemExit(1)


@click.command("redeliver")
@click.option("--loop", is_flag=True, help="Keep running a pass every few seconds until Ctrl-C.")
@with_appcontext
def redeliver(loop: bool) -> None:
    """Answer messages the bot could not answer when they arrived."""
    app: Flask = current_app._get_current_object()
    if loop:
        interval = services().settings.redelivery_interval_seconds or 5.0
        click.echo(f"redelivering every {interval:g} s; Ctrl-C to stop")
        try:
            run_loop(app, interval)
        except KeyboardInterrupt:
            pass
        return
    click.echo(str(redeliver_once(app)))


@click.command("outbox")
@click.option("--to", "phone", default=None, help="Only messages to this phone (E.164).")
@with_appcontext
def outbox(phone: str) -> None:
    """Show SMS written to the outbox (sent when no Twilio account is configured)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if phone:
        query = query.where(OutboxMessage.to == phone)
    with session_scope() as session:
        rows = list(session.execute(query).scalars())
    if not rows:
        click.echo("outbox is empty")
    for row in rows:
        click.echo(f"#{row.id} {row.created_at:%Y-%m-%d %H:%M:%S} to {row.to}\n  {row.body}")


def init_app(app: Flask) -> None:
    """Every command group of the gateway, whichever module holds it."""
    from server.cli import agents, calls, nlu
    from server.cli import campaigns as campaigns_cli

    for command in (
        accounts, redeliver, outbox,
        calls.calls,  # outbound voice calls
        campaigns_cli.group, campaigns_cli.payments,  # campaigns ..., payments load
        agents.agents,  # who may sign in to the console
        nlu.nlu,  # the trainers' inbox from a terminal
    ):
        app.cli.add_command(command)
