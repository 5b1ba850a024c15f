"""Campaigns for tests: a campaign file written for the test, and worker processes
(the gateway's CLI worker or RQ's own) each in its own process group."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

import yaml

from tests.support.paths import ROOT

CAMPAIGN = {
    "name": "Test reminders",
    "channel": "sms",
    "segment": {"balance": {"min": "1.00"}, "tags": {"exclude": ["no_campaigns"]}},
    "stages": {
        "due_soon": {"days_before_due": [3, 1, 0]},
        "overdue": {"days_past_due": {"min": 1, "max": 30}},
    },
    "templates": {
        "due_soon": {"en": "Hi {first_name}, your repayment is due {due_date}. Pay at {link}"},
        "overdue": {"en": "Hi {first_name}, your repayment due {due_date} is {days_past_due} days late. Pay at {link}"},
    },
    "schedule": {"send_window": {"start": "08:00", "end": "21:00"}},
}


def write_campaign(directory: Path, campaign_id: str, change: Optional[Callable[[dict], None]] = None,
                   base: Optional[dict] = None) -> Path:
    data = json.loads(json.dumps(base or CAMPAIGN))
    if change:
        change(data)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{campaign_id}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


VENV_BIN = Path(sys.executable).parent


class Workers:
    """Worker subprocesses, each in its own process group (a SIGKILL takes all of it)."""

    def __init__(self, env: dict, log_dir: Path):
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.procs = {}

    def unique(self, name: str) -> str:
        """RQ keeps a killed worker's name registered for minutes: never reuse one."""
        return f"{name}-{self.env['CAMPAIGN_QUEUE']}"

    def start(self, name: str, command: list) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")
        proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def flask_worker(self, name: str, *args: str) -> subprocess.Popen:
        return self.start(name, [str(VENV_BIN / "flask"), "--app", "server", "campaigns", "worker",
                                 "--name", self.unique(name), *args])

    def rq_worker(self, name: str) -> subprocess.Popen:
        """RQ's own command line, running the jobs in its process."""
        return self.start(name, [str(VENV_BIN / "rq"), "worker", "--url", self.env["REDIS_URL"],
                                 "--worker-class", "rq.worker.SimpleWorker", "--name", self.unique(name),
                                 self.env["CAMPAIGN_QUEUE"]])

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.log_dir.glob("*.log")))
