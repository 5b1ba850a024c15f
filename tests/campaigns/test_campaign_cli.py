"""The operator's commands: preview, run with a progress bar while a worker process
sends, status, sweep; tags from the accounts file; and workers that never load Rasa."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import pytest
from rq import Worker
from sqlalchemy import select

from store.accounts import FIELDS, import_csv
from store.db import session_scope
from store.models import AccountTag
from tests.support.accounts import account, load_accounts
from tests.support.campaigns import Workers
from tests.support.paths import ROOT
from tests.support.store import outbox


@pytest.fixture
def cli(make_app):
    app = make_app()
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return invoke


def test_preview_prints_the_numbers_per_segment_and_rule_and_samples(cli):
    load_accounts([account("A-1", name="Dana Rivers"), account("A-2"), account("A-3", days_past_due=-3),
                   account("B-1", tags="no_campaigns")])
    result = cli("campaigns", "preview", "reminders", "--samples", "1")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("campaign reminders (Test reminders, sms) at ")
    assert "  in segment today            3" in lines
    assert "    due_soon                  1" in lines and "    overdue                   2" in lines
    assert "  eligible now                3" in lines
    assert any(line.startswith("    Northwind Credit: Hi Dana, your repayment due ") for line in lines)
    as_json = json.loads(cli("campaigns", "preview", "reminders", "--json").output)
    assert (as_json["in_segment"], as_json["eligible"], as_json["blocked"]) == (3, 3, {})
    assert cli("campaigns", "preview", "nope").exit_code == 2


def test_run_shows_progress_until_the_workers_are_done(cli, env, tmp_path, rt):
    load_accounts([account(f"A-{n}") for n in range(6)])
    workers = Workers(env, tmp_path)
    try:
        workers.flask_worker("cli-worker", "--sweep-interval", "0")
        deadline = time.monotonic() + 60
        while not Worker.all(queue=rt.queue) and time.monotonic() < deadline:
            time.sleep(0.2)
        result = cli("campaigns", "run", "reminders", "--timeout", "60")
    finally:
        workers.stop()
    assert result.exit_code == 0, workers.logs()
    first, *rest = result.output.splitlines()
    assert first.startswith("run r-") and "6 scheduled (0 deferred), 0 blocked" in first
    assert rest[0].startswith("sending"), result.output  # click draws the bar on a terminal only
    assert rest[-1] == "sent 6"
    assert len(outbox(phone=None)) == 6
    run_id = first.split()[1].rstrip(":")
    assert cli("campaigns", "status", run_id).output.strip() == "sent 6"
    again = cli("campaigns", "run", "reminders", "--no-wait").output
    assert "0 scheduled" in again and "6 already scheduled" in again
    assert cli("campaigns", "sweep").output.strip() == "queued again 0, in doubt 0, failed 0"


def test_runs_need_redis(make_app):
    app = make_app(REDIS_URL="")
    result = app.test_cli_runner().invoke(args=["campaigns", "run", "reminders"])
    assert result.exit_code == 1 and "campaign runs and workers need REDIS_URL" in result.output


def test_a_bad_campaign_file_stops_the_app_with_the_reason(make_app, campaigns_dir):
    (campaigns_dir / "broken.yml").write_text("name: x\nchannel: sms\nstages: {}\n")
    from campaigns.config import CampaignError

    with pytest.raises(CampaignError, match="broken.yml: invalid campaign"):
        make_app()


def test_tags_come_from_the_accounts_file(db):
    row = account("T-1", tags="VIP; no_campaigns")
    text = ",".join(FIELDS + ["tags"]) + "\n" + ",".join(str(row[f]) for f in FIELDS) + ",VIP; no_campaigns\n"
    with session_scope() as session:
        assert not import_csv(session, io.StringIO(text)).errors
    with session_scope() as session:
        assert set(session.execute(select(AccountTag.tag)).scalars()) == {"vip", "no_campaigns"}
    without = ",".join(FIELDS) + "\n" + ",".join(str(row[f]) for f in FIELDS) + "\n"
    with session_scope() as session:  # a file without the column keeps the tags
        import_csv(session, io.StringIO(without))
    with session_scope() as session:
        assert len(session.execute(select(AccountTag)).scalars().all()) == 2


def test_workers_never_import_rasa():
    code = (
        "import sys, campaigns.jobs, campaigns.scheduling, campaigns.outbound, server.cli.campaigns\n"
        "loaded = [m for m in sys.modules if m == 'rasa' or m.startswith(('rasa.', 'rasa_sdk'))]\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
