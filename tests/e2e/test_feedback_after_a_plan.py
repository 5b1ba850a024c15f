"""The borrower's word with the real service: a plan agreed by SMS, its written
confirmation, then the question through the sender, and a rating answered by the gateway.
Its own stack, since the policy switch is on here only."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import select

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from server.sms.feedback import QUESTION, THANKS
from settings.service import DEV_TWILIO_AUTH_TOKEN
from store.models import FeedbackRequest
from tests.support.app import copy_policy
from tests.support.conversation_en import say, verify
from tests.support.stack import E2E_API_KEY, PORT_BASE, load_borrower, outbox_for, outcomes


@pytest.fixture(scope="module")
def feedback_stack(tmp_path_factory):
    var = Path(tmp_path_factory.mktemp("e2e-feedback"))
    policy_file = copy_policy(var)
    policy = yaml.safe_load(policy_file.read_text())
    policy["feedback"] = {"ask": True}
    policy_file.write_text(yaml.safe_dump(policy))
    config = StackConfig(
        rasa_port=PORT_BASE + 405, actions_port=PORT_BASE + 455, gateway_port=PORT_BASE + 400,
        languages=("en",), database_url=f"sqlite:///{var / 'repay.db'}",
        tracker_db=str(var / "tracker.db"), log_dir=var / "log",
        extra_env={"REDELIVERY_INTERVAL_SECONDS": "1", **OFFLINE_TWILIO,
                   "POLICY_FILE": str(policy_file), "API_KEY": E2E_API_KEY},
    )
    store.db.connect(config.database_url)
    with Stack(config) as running:
        yield running


def test_after_a_plan_the_question_comes_and_a_rating_is_thanked(feedback_stack):
    borrower = load_borrower(feedback_stack.config.database_url, "E2E-FB-1", "+15550209001")
    twilio = SimulatedTwilio(feedback_stack.config.gateway_url, DEV_TWILIO_AUTH_TOKEN)
    verify(twilio, borrower)
    say(twilio, borrower, "can i pay it off over 3 months")
    say(twilio, borrower, "yes")
    [plan] = outcomes(borrower["account_id"], "plan")
    deadline = time.monotonic() + 20
    while len(outbox_for(borrower["phone"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    # First the plan in writing (no amounts under the us profile), then the question.
    confirmation, question = [row.body for row in outbox_for(borrower["phone"])]
    days = [dt.date.fromisoformat(i["due"]) for i in plan.details["instalments"]]
    assert confirmation == (
        f"Northwind Credit: your plan is agreed: 3 monthly payments on {days[0]:%b} {days[0].day}, "
        f"{days[1]:%b} {days[1].day} and {days[2]:%b} {days[2].day}. Pay at "
        f"https://pay.northwind.example/a/E2E-FB-1. Reply HELP for help, STOP to opt out.")
    assert question.startswith(QUESTION["en"]) and "STOP" in question
    assert say(twilio, borrower, "5 - clear and quick").startswith(THANKS["en"])
    with store.db.session_scope() as session:
        row = session.execute(select(FeedbackRequest)).scalar_one()
        assert (row.outcome, row.score, row.comment) == ("plan", 5, "clear and quick")

    # The results count it with its conversation, and carry the comment.
    today = dt.datetime.now(dt.timezone.utc).date()  # New York's day is within a day of it
    period = f"from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}"
    response = requests.get(f"{feedback_stack.config.gateway_url}/api/results?{period}",
                            headers={"Authorization": f"Bearer {E2E_API_KEY}"}, timeout=30)
    assert response.status_code == 200, response.text
    report = response.json()
    totals = report["totals"]
    assert (totals["feedback_asked"], totals["feedback_answers"], totals["feedback_mean_score"]) == (1, 1, 5.0)
    assert [(c["score"], c["comment"]) for c in report["feedback_comments"]] == [(5, "clear and quick")]
