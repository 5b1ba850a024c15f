"""What the campaign tests share: accounts whose local time is early afternoon whenever
the tests run, a campaign file written for the test, Twilio's HTTP layer replaced by a
recording fake, signed status callbacks, and views of what the store holds."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml
from sqlalchemy import select
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from store.accounts import import_records
from store.db import session_scope
from store.models import AuditEvent, ContactAttempt, OutboxMessage
from tests.app_support import afternoon_zone

REPO = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "test-auth-token"
API_KEY = "test-api-key"
ACCOUNT_SID = "ACtest0000000000000000000000000000"
PUBLIC_URL = "https://sms.lender.example"
UTC = dt.timezone.utc


def local_today(zone: str, now: Optional[dt.datetime] = None) -> dt.date:
    from zoneinfo import ZoneInfo

    return (now or dt.datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


_phones = itertools.count(1)
CONSENT_GIVEN = "2026-01-05T10:00:00Z"


def account(account_id: str, *, days_past_due: int = 3, zone: Optional[str] = None, **fields) -> Dict:
    """An account row due `days_past_due` days ago in its own time zone."""
    zone = zone or afternoon_zone()
    due = local_today(zone) - dt.timedelta(days=days_past_due)
    row = {
        "account_id": account_id, "name": "Test Borrower", "phone": f"+1555{next(_phones):07d}",
        "timezone": zone, "language": "en", "currency": "USD", "principal": "400.00",
        "interest": "20.00", "fees": "10.00", "due_date": due.isoformat(),
        "birth_date": "1988-03-14", "id_last4": "4821",
        # The borrower agreed to automated texts and calls when taking the loan.
        "consent_sms": CONSENT_GIVEN, "consent_voice": CONSENT_GIVEN,
    }
    row.update(fields)
    return row


def load_accounts(rows: List[Dict]) -> None:
    with session_scope() as session:
        report = import_records(session, rows)
        assert not report.errors, report.errors


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


def attempts(**where) -> List[ContactAttempt]:
    with session_scope() as session:
        query = select(ContactAttempt).order_by(ContactAttempt.id)
        for name, value in where.items():
            query = query.where(getattr(ContactAttempt, name) == value)
        return list(session.execute(query).scalars())


def outbox(phone: Optional[str] = None) -> List[OutboxMessage]:
    with session_scope() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if phone:
            query = query.where(OutboxMessage.to == phone)
        return list(session.execute(query).scalars())


def audit_trail(action_prefix: str = "") -> List[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action_prefix:
            query = query.where(AuditEvent.action.startswith(action_prefix))
        return list(session.execute(query).scalars())


class FakeTwilio(HttpClient):
    """twilio-python's documented extension point for its HTTP layer: records requests
    and answers like Twilio, or with the errors a test queues in `failures`."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("test.twilio"), is_async=False)
        self.requests: List[dict] = []
        self.failures: List[object] = []  # exceptions to raise, or (status, code) to answer
        self._sids = itertools.count(1)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, BaseException):
                raise failure
            status, code = failure
            return Response(status, json.dumps({"code": code, "message": "refused", "status": status}))
        call = uri.endswith("/Calls.json")
        sid = f"{'CA' if call else 'SM'}{next(self._sids):032d}"
        return Response(201, json.dumps({"sid": sid, "status": "queued", "to": data["To"]}))

    def sent(self) -> List[dict]:
        return [r["data"] for r in self.requests]


def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def post_status(client, form: dict, query: str = "", token: str = AUTH_TOKEN):
    """A status callback signed the way Twilio signs it (the public URL it called)."""
    path = "/twilio/status" + (f"?{query}" if query else "")
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, form, token)})


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
        proc = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
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
