"""Real gunicorn with gunicorn.conf.py, started as devtools/stack.py starts it (its own
PROMETHEUS_MULTIPROC_DIR), signed webhooks over HTTP, Rasa the fake: a worker killed and
replaced loses none of the counts /metrics reports, and after a promise the borrower gets
its written confirmation and the question once the reply has gone, and a rating answers it."""
from __future__ import annotations

import os
import time

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from messaging.sms_text import with_opt_out
from server.sms.feedback import QUESTION, THANKS
from store.accounts import import_csv
from store.models import FeedbackRequest, OutcomeKind
from store.outcomes import record_outcome
from tests.support.accounts import BORROWER
from tests.support.app import AUTH_TOKEN
from tests.support.fake_rasa import agreed
from tests.support.paths import ROOT
from tests.support.stack import replace_the_gateway_worker
from tests.support.store import outbox

PORT = int(os.environ.get("REPAY_E2E_PORT_BASE", "15000")) + 310
TOKEN = "metrics-token-0123456789"


def start(tmp_path, fake_rasa, policy_file) -> Stack:
    config = StackConfig(
        languages=(), gateway_port=PORT, database_url=f"sqlite:///{tmp_path / 'repay.db'}",
        tracker_db=str(tmp_path / "tracker.db"), log_dir=tmp_path / "log",
        extra_env={**OFFLINE_TWILIO, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "RASA_URL": fake_rasa.url,
                   "RASA_URL_ZH": fake_rasa.url, "REDELIVERY_INTERVAL_SECONDS": "0",
                   "POLICY_FILE": str(policy_file), "METRICS_TOKEN": TOKEN},
    )
    store.db.connect(config.database_url)
    with open(ROOT / "lender" / "demo_accounts.csv", encoding="utf-8", newline="") as stream:
        with store.db.session_scope() as session:
            assert not import_csv(session, stream).errors
    stack = Stack(config)
    stack.start("gateway", timeout=60)
    return stack


def sms_count(url: str) -> float:
    answer = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert answer.status_code == 200
    return sum(  # every status: under load a webhook may answer otherwise, and still counts
        sample.value
        for family in text_string_to_metric_families(answer.text) for sample in family.samples
        if sample.name == "repay_http_request_seconds_count" and sample.labels.get("route") == "/twilio/sms")


def test_counts_survive_a_replaced_worker(tmp_path, fake_rasa, policy_file):
    stack = start(tmp_path, fake_rasa, policy_file)
    try:
        url = stack.config.gateway_url
        assert requests.get(url + "/metrics", timeout=5).status_code == 401
        twilio = SimulatedTwilio(url, AUTH_TOKEN)
        for text in ("hello", "when is it due", "thanks"):
            twilio.sms(BORROWER, text)
        assert sms_count(url) == 3
        metrics_dir = tmp_path / "log" / "metrics" / "gateway"
        assert list(metrics_dir.glob("*.db"))  # the worker wrote its measurements there
        replace_the_gateway_worker(stack)
        stack.wait_healthy(["gateway"], 60)  # the new worker has loaded the app
        twilio.sms(BORROWER, "one more")
        assert sms_count(url) == 4  # the dead worker's three, and the new one's
    finally:
        stack.stop_all()


def test_after_a_promise_the_question_follows_the_reply_and_a_rating_is_thanked(tmp_path, fake_rasa, policy_file):
    policy = yaml.safe_load(policy_file.read_text())
    policy["feedback"] = {"ask": True}
    # The fake bot writes to the store (an fsync) before it answers: on a busy machine that
    # can outlast the suite's 1 s timeout, and the borrower would get the holding reply.
    policy["conversation"]["rasa_timeout_seconds"] = 8
    policy_file.write_text(yaml.safe_dump(policy))
    fake_rasa.slots = {}

    def promise(sender, text):
        with store.db.session_scope() as session:  # what the action server records
            record_outcome(session, OutcomeKind.PROMISE, account_id="DEMO-1001", conversation_id=sender,
                           details=agreed("promise"))
        return ["Noted: you'll pay on Friday."]

    fake_rasa.answer = promise
    stack = start(tmp_path, fake_rasa, policy_file)
    try:
        twilio = SimulatedTwilio(stack.config.gateway_url, AUTH_TOKEN)
        assert twilio.sms(BORROWER, "I'll pay friday") == [with_opt_out("Noted: you'll pay on Friday.")]
        deadline = time.monotonic() + 10
        while len(outbox()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [m.body for m in outbox()] == [
            "Northwind Credit: you promised to pay by Dec 14. Pay at https://pay.northwind.example/a/DEMO-1001. "
            "Reply HELP for help, STOP to opt out.",
            with_opt_out(QUESTION["en"]),
        ]
        fake_rasa.answer = lambda sender, text: ["Bot heard: " + text]
        assert twilio.sms(BORROWER, "5 great") == [with_opt_out(THANKS["en"])]
        with store.db.session_scope() as session:
            row = session.execute(select(FeedbackRequest)).scalar_one()
            assert (row.score, row.comment, row.outcome) == (5, "great", "promise")
        assert len(fake_rasa.calls) == 1  # the rating never reached the bot
    finally:
        stack.stop_all()
