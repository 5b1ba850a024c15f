"""Operators' commands for campaigns and payments:

    flask --app server campaigns list
    flask --app server campaigns preview reminders [--at 2026-11-25T15:00Z] [--samples 2] [--json]
    flask --app server campaigns preview reminders --account DEMO-1003 [--at ...] [--json]
    flask --app server campaigns experiment reminders [--stage S] [--json]   # A/B results
    flask --app server campaigns run reminders [--no-wait]      # schedules, then a progress bar
    flask --app server campaigns status RUN_ID
    flask --app server campaigns worker [--burst]               # one per core, on any machine
    flask --app server campaigns sweep                          # what the workers' sweeper does
    flask --app server campaigns review-arrangements
    flask --app server payments load payments.csv
"""
from __future__ import annotations

import json
import time

import click
from flask.cli import AppGroup
from rq import Worker

from campaigns.attempts import progress, utc_now
from campaigns.config import CampaignError
from campaigns.experiment_results import campaign_results, result_lines
from campaigns.jobs import run_worker, sweep
from campaigns.payments import import_payments_csv
from campaigns.preview import preview, preview_account
from campaigns.scheduling import follow_up_arrangements, schedule
from server import services
from server.api.campaigns import campaign_runtime, campaigns
from server.api.input import BadInput, parse_instant
from server.cli.commands import read_csv_file
from store.db import session_scope
from store.outcomes import audit

group = AppGroup("campaigns", help="Outbound reminder campaigns (lender/campaigns/*.yml).")
payments = AppGroup("payments", help="Payments reported by the lender.")


def _instant(value):
    try:
        return parse_instant(value, now=utc_now())
    except BadInput as exc:
        raise click.BadParameter(exc.message) from None


def _campaign(campaign_id: str):
    found = campaigns().get(campaign_id)
    if found is None:
        raise click.UsageError(f"no campaign {campaign_id!r}; known: {', '.join(sorted(campaigns()))}")
    return found


def _runtime():
    try:
        return campaign_runtime()
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from None


@group.command("list")
def list_campaigns() -> None:
    """The campaigns and their stages."""
    for campaign in campaigns().values():
        stages = ", ".join(f"{name} ({stage.kind})" for name, stage in campaign.stages.items())
        click.echo(f"{campaign.id:<20} {campaign.channel:<6} {campaign.name}\n  stages: {stages}")


@group.command("preview")
@click.argument("campaign_id")
@click.option("--at", "at", default=None, help="Plan as of this instant (ISO; default now).")
@click.option("--samples", default=1, show_default=True, help="Sample messages per stage and language.")
@click.option("--account", "account_id", default=None,
              help="One account: its stage, what would happen and why, its arrangements' standing.")
@click.option("--json", "as_json", is_flag=True, help="The numbers as JSON (as the API returns them).")
def preview_command(campaign_id: str, at, samples: int, account_id, as_json: bool) -> None:
    """How many accounts per stage, how many the rules would block, sample messages."""
    campaign = _campaign(campaign_id)
    with session_scope() as session:
        if account_id is not None:
            report = preview_account(session, campaign, services().policy, _instant(at), account_id)
            if report is None:
                raise click.ClickException(f"no account {account_id!r}")
        else:
            report = preview(session, campaign, services().policy, _instant(at), samples=samples)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(report.lines()))


@group.command("experiment")
@click.argument("name")
@click.option("--stage", default=None, help="Only the experiment in this stage.")
@click.option("--json", "as_json", is_flag=True, help="As the API returns it.")
def experiment_command(name: str, stage, as_json: bool) -> None:
    """A/B test results per variant with the significance test and a verdict. NAME is a
    campaign (all its experiments) or an experiment's name."""
    found = campaigns().get(name)
    if found is None:
        for campaign in campaigns().values():
            for stage_name in campaign.experiments:
                if campaign.experiment_name(stage_name) == name:
                    found, stage = campaign, stage_name
    if found is None:
        raise click.UsageError(f"no campaign or experiment named {name!r}")
    if stage is not None and stage not in found.experiments:
        raise click.UsageError(f"campaign {found.id} has no experiment in stage {stage!r}")
    if not found.experiments:
        raise click.UsageError(f"campaign {found.id} runs no experiment")
    with session_scope() as session:
        results = campaign_results(session, found, utc_now(), stage)
    if as_json:
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join("\n".join(result_lines(result)) for result in results))


@group.command("run")
@click.argument("campaign_id")
@click.option("--at", "at", default=None, help="Plan as of this instant (ISO; default now).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Show a progress bar until the workers have handled what is due now.")
@click.option("--timeout", default=0.0, help="Stop waiting after this many seconds (0: no limit).")
def run_command(campaign_id: str, at, wait: bool, timeout: float) -> None:
    """Schedule today's attempts (once: a second run the same day adds nothing) and queue them."""
    campaign = _campaign(campaign_id)
    rt = _runtime()
    report = schedule(rt, campaign, _instant(at), actor="cli")
    blocked = sum(report.blocked.values())
    click.echo(
        f"run {report.run_id}: {report.scheduled} scheduled ({sum(report.deferred.values())} "
        f"deferred), {blocked} blocked, {sum(report.skipped.values())} skipped, "
        f"{report.already_scheduled} already scheduled; {report.queued} queued"
        + (f" ({report.queued_later} due later, when the borrower's send window opens)"
           if report.queued_later else "")
    )
    for rule, count in sorted(report.blocked.items()):
        click.echo(f"  blocked {rule}: {count}")
    if not wait or report.queued == report.queued_later:
        return
    _wait_for(rt, report.run_id, timeout)


def _wait_for(rt, run_id: str, timeout: float) -> None:
    with session_scope() as session:
        counts = progress(session, run_id=run_id)
    total = counts["waiting"]
    if not total:
        return
    started, warned, done = time.monotonic(), False, 0
    with click.progressbar(length=total, label="sending", show_pos=True) as bar:
        while done < total:
            time.sleep(0.5)
            with session_scope() as session:
                counts = progress(session, run_id=run_id)
            now_done = max(done, total - counts["waiting"])
            bar.update(now_done - done)
            done = now_done
            if not warned and time.monotonic() - started > 10 and not Worker.all(queue=rt.queue):
                click.echo("\nno worker is serving the queue: start `flask --app server campaigns worker`")
                warned = True
            if timeout and time.monotonic() - started > timeout:
                break
    with session_scope() as session:
        counts = progress(session, run_id=run_id)
    click.echo(_summary(counts))


def _summary(counts) -> str:
    names = ("sent", "blocked", "cancelled", "failed", "in_doubt", "sending", "scheduled")
    return ", ".join(f"{name} {counts[name]}" for name in names if counts[name] or name == "sent")


@group.command("status")
@click.argument("run_id")
def status_command(run_id: str) -> None:
    """Attempts of a run per state."""
    with session_scope() as session:
        counts = progress(session, run_id=run_id)
    if not counts["total"]:
        raise click.ClickException(f"no attempts for run {run_id}")
    click.echo(_summary(counts))


@group.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@click.option("--no-scheduler", is_flag=True, help="Leave attempts due later to other workers.")
@click.option("--sweep-interval", default=30.0, show_default=True,
              help="Seconds between sweeps for stranded attempts (0: none).")
def worker_command(burst: bool, name, no_scheduler: bool, sweep_interval: float) -> None:
    """Send queued attempts. Run several, on one machine or many: they share Redis and the store."""
    rt = _runtime()
    click.echo(f"worker on queue {rt.queue.name!r}, sending via {rt.via}, "
               f"{rt.settings.send_rate_per_number} per sending number")
    run_worker(rt, name=name, burst=burst, with_scheduler=not no_scheduler,
               sweep_interval=sweep_interval)


@group.command("sweep")
def sweep_command() -> None:
    """Queue again attempts whose worker died; report attempts in doubt."""
    click.echo(str(sweep(_runtime())))


@group.command("review-arrangements")
def review_command() -> None:
    """Bring promises and plans up to date (completed, broken) and schedule the follow-up of
    broken ones."""
    result = follow_up_arrangements(_runtime(), utc_now(), actor="cli")
    found = result["arrangements"]
    click.echo(f"arrangements: {found['completed']} completed, {found['broken']} broken "
               f"({found['missed']} instalments missed); {len(result['runs'])} follow-up run(s)")


@payments.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_payments(path: str) -> None:
    """Record payments from a CSV file: account_id,amount,paid_on,reference[,currency]."""
    with read_csv_file(path) as stream, session_scope() as session:
        report = import_payments_csv(session, stream, "cli", utc_now(), services().policy)
        audit(session, "cli", "payments_import", details={
            "created": report.created, "duplicates": report.duplicates, "rejected": len(report.errors),
        })
    click.echo(f"created {report.created}, {report.duplicates} duplicates skipped, "
               f"{len(report.errors)} rows rejected; {report.accounts_paid} accounts paid in full, "
               f"{report.instalments_paid} instalments paid, {report.arrangements_completed} "
               f"arrangements completed ({report.promises_kept} promises kept)")
    for error in report.errors:
        click.echo(f"  {error}")
    if report.errors:
        raise SystemExit(1)
