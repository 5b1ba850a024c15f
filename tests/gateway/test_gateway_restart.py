"""A gateway whose worker is replaced while messages wait (gunicorn starts a new one), Rasa
back, nobody texting: the waiting messages are answered anyway. Real gunicorn with our
gunicorn.conf.py and webhooks over HTTP; Rasa is the fake here (tests/e2e does the same
with the real one)."""
from __future__ import annotations

import os
import time

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from messaging.sms_text import gateway_reply, with_opt_out
from store.accounts import import_csv
from tests.support.accounts import BORROWER
from tests.support.app import AUTH_TOKEN
from tests.support.paths import ROOT
from tests.support.stack import replace_the_gateway_worker
from tests.support.store import outbox

PORT = int(os.environ.get("REPAY_E2E_PORT_BASE", "15000")) + 300


def test_a_replaced_gateway_worker_answers_what_waits_without_a_request(
        tmp_path, fake_rasa, policy_file):
    config = StackConfig(
        languages=(), gateway_port=PORT, database_url=f"sqlite:///{tmp_path / 'repay.db'}",
        tracker_db=str(tmp_path / "tracker.db"), log_dir=tmp_path / "log",
        extra_env={**OFFLINE_TWILIO, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "RASA_URL": fake_rasa.url,
                   "RASA_URL_ZH": fake_rasa.url, "REDELIVERY_INTERVAL_SECONDS": "0.5",
                   "POLICY_FILE": str(policy_file)},
    )
    store.db.connect(config.database_url)
    with open(ROOT / "lender" / "demo_accounts.csv", encoding="utf-8", newline="") as stream:
        with store.db.session_scope() as session:
            assert not import_csv(session, stream).errors
    stack = Stack(config)
    try:
        stack.start("gateway", timeout=60)
        # gunicorn.conf.py: no control socket shared with other gateways on the machine
        assert "Control socket" not in (tmp_path / "log" / "gateway.log").read_text()
        fake_rasa.down()
        twilio = SimulatedTwilio(config.gateway_url, AUTH_TOKEN)
        assert twilio.sms(BORROWER, "hello") == [with_opt_out(gateway_reply("holding"))]
        replace_the_gateway_worker(stack)
        fake_rasa.up()

        deadline = time.monotonic() + 20
        while not outbox() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [m.body for m in outbox()] == [with_opt_out("Bot heard: hello")]
    finally:
        stack.stop_all()
