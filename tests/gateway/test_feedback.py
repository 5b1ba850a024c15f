"""The borrower's word: after an agreement the gateway asks one question through the SMS
sender, reads a 1-5 answer before the bot would see it, stores it with its words redacted,
and never asks after the paths it must not follow."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from sqlalchemy import select

from server.sms.feedback import QUESTION, THANKS, parse_rating
from store.db import session_scope
from store.models import ContactAttempt, FeedbackRequest, Handoff, OutcomeKind
from store.outcomes import record_outcome, set_opt_out
from store.results import results
from tests.support.accounts import BORROWER
from tests.support.app import AUTH_TOKEN, copy_policy
from tests.support.fake_rasa import agreed
from tests.support.store import outbox
from tests.support.twilio import new_sid, parse_twiml, sign


def around_today():
    """A period holding today in every borrower's time zone (results count their days)."""
    today = dt.datetime.now(dt.timezone.utc).date()
    return today - dt.timedelta(days=1), today + dt.timedelta(days=1)


@pytest.fixture
def policy_file(tmp_path):
    path = copy_policy(tmp_path, rasa_timeout_seconds=8)  # no slow-bot test here: room for a busy machine
    policy = yaml.safe_load(path.read_text())
    policy["feedback"] = {"ask": True, "after": ["promise", "plan", "deferral", "payment_link"],
                          "reply_window_minutes": 30}
    path.write_text(yaml.safe_dump(policy))
    return path


@pytest.fixture
def agreeing_bot(fake_rasa):
    """A bot whose turn records the outcomes the test names, as the action server would."""
    fake_rasa.slots = {}
    plan = {"kinds": [OutcomeKind.PROMISE]}

    def answer(sender, text):
        with session_scope() as session:
            for kind in plan["kinds"]:
                record_outcome(session, kind, account_id="DEMO-1001", conversation_id=sender,
                               details=agreed(kind))
        return ["Thanks, I've noted your promise to pay on Friday."]

    fake_rasa.answer = answer
    return plan


def text(client, body, phone=BORROWER):
    """Posts a signed webhook and lets the response close, as a WSGI server does."""
    form = {"MessageSid": new_sid(), "AccountSid": "ACtest", "From": phone, "To": "+18005550199",
            "Body": body, "NumMedia": "0"}
    response = client.post("/twilio/sms", data=form, buffered=True,
                           headers={"X-Twilio-Signature": sign("http://localhost/twilio/sms", form, AUTH_TOKEN)})
    assert response.status_code == 200
    return parse_twiml(response.data)


def questions():
    return [m.body for m in outbox() if m.body.startswith(QUESTION["en"])]


def stored():
    with session_scope() as session:
        return list(session.execute(select(FeedbackRequest)).scalars())


def test_after_a_promise_the_question_comes_once_and_a_rating_is_stored(client, agreeing_bot, fake_rasa):
    assert text(client, "I can pay on friday")[0].startswith("Thanks, I've noted your promise")
    assert len(questions()) == 1 and "STOP" in questions()[0]  # the sender's opt-out wording
    text(client, "thanks")  # the bot's turn again: no second question (and "thanks" closes it)
    assert len(questions()) == 1
    [row] = stored()
    assert (row.outcome, row.status, row.channel) == ("promise", "passed", "sms")


def test_a_rating_with_words_is_answered_by_the_gateway_and_redacted(client, agreeing_bot, fake_rasa):
    text(client, "I promise to pay friday")
    asked_bot = len(fake_rasa.calls)
    reply = text(client, "4 - quick, thanks. Dana Rivers, call me on 555 010 0001")
    assert reply[0].startswith(THANKS["en"])
    assert len(fake_rasa.calls) == asked_bot  # the rating never reached the bot
    [row] = stored()
    assert (row.status, row.score) == ("answered", 4)
    assert "Dana" not in row.comment and "555" not in row.comment and row.comment.startswith("quick, thanks.")
    with session_scope() as session:
        report = results(session, *around_today())
    totals = report["totals"]
    assert (totals["feedback_asked"], totals["feedback_answers"], totals["feedback_mean_score"]) == (1, 1, 4.0)
    assert totals["feedback_scores"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    [comment] = report["feedback_comments"]
    assert (comment["score"], comment["channel"]) == (4, "sms") and comment["comment"].startswith("quick, thanks.")


@pytest.mark.parametrize("kinds", [
    [OutcomeKind.PROMISE, OutcomeKind.HARDSHIP],
    [OutcomeKind.DISPUTE],
    [OutcomeKind.ALREADY_PAID],
    [OutcomeKind.PLAN, OutcomeKind.LEGAL],
    [OutcomeKind.WRONG_NUMBER],
    [OutcomeKind.PROMISE, OutcomeKind.ESCALATION],
    [OutcomeKind.VERIFIED],  # no agreement yet
])
def test_never_after_the_paths_it_must_not_follow(client, agreeing_bot, kinds):
    agreeing_bot["kinds"] = kinds
    text(client, "something")
    assert questions() == [] and stored() == []


def test_not_after_abuse_the_bot_calmed_nor_after_a_handoff(client, agreeing_bot, fake_rasa):
    fake_rasa.slots = {"abuse_count": 1}
    text(client, "fine, friday, you idiots")
    assert questions() == []
    fake_rasa.slots = {}
    with session_scope() as session:
        from store.models import Conversation
        conversation = session.execute(select(Conversation)).scalar_one()
        session.add(Handoff(conversation_id=conversation.id, channel="sms", reason="request_human", priority=3))
    text(client, "friday then")
    assert questions() == []


def test_when_the_tracker_cannot_say_nothing_is_asked(client, agreeing_bot, fake_rasa):
    fake_rasa.slots = None  # the tracker endpoint fails
    text(client, "friday")
    assert questions() == [] and stored() == []


def test_an_opted_out_phone_gets_no_question_and_the_refusal_is_recorded(client, agreeing_bot):
    text(client, "friday")
    assert len(questions()) == 1
    # The same turn after the phone opted out (between the reply and the question):
    # the sender refuses, and the row says why.
    from server.sms import feedback
    from store.models import FeedbackStatus
    with session_scope() as session:
        row = session.execute(select(FeedbackRequest)).scalar_one()
        conversation_id = row.conversation_id
        session.delete(row)
        set_opt_out(session, BORROWER, "sms", True)
    assert feedback.ask_after_turn(client.application, conversation_id, BORROWER) == "not sent: opted_out"
    assert [r.status for r in stored()] == [FeedbackStatus.NOT_SENT]


def test_the_switch_off_asks_nothing(make_app, agreeing_bot, tmp_path):
    path = copy_policy(tmp_path / "off", rasa_timeout_seconds=1)
    client = make_app(POLICY_FILE=str(path)).test_client()
    text(client, "friday")
    assert questions() == []


def test_a_rating_after_the_window_goes_to_the_bot(client, agreeing_bot, fake_rasa):
    text(client, "friday")
    with session_scope() as session:
        row = session.execute(select(FeedbackRequest)).scalar_one()
        row.asked_at = row.asked_at - dt.timedelta(minutes=31)
    text(client, "5")
    assert fake_rasa.messages()[-1] == "5" and stored()[0].score is None


def test_the_campaign_that_led_here_is_counted(client, agreeing_bot):
    with session_scope() as session:
        now = dt.datetime.now(dt.timezone.utc)
        session.add(ContactAttempt(
            idempotency_key="k1", source="campaign", campaign="reminders", stage="overdue",
            account_id="DEMO-1001", phone=BORROWER, channel="sms", language="en",
            local_date=now.date(), state="sent", not_before=now, sent_at=now - dt.timedelta(hours=2)))
    text(client, "friday")
    text(client, "2")
    with session_scope() as session:
        rows = results(session, *around_today(), by="campaign")["breakdown"]
    assert [(r["key"], r["feedback_answers"], r["feedback_mean_score"]) for r in rows] == [("reminders", 1, 2.0)]


@pytest.mark.parametrize("body, expected", [
    ("5", (5, "")), (" 4/5 ", (4, "")), ("3 stars", (3, "")), ("2 - slow", (2, "slow")),
    ("５分", (5, "")), ("4，还可以", (4, "还可以")), ("1. rude", (1, "rude")),
    ("15", None), ("3rd of May", None), ("0", None), ("6", None), ("yes", None), ("", None),
    ("I can pay 5 dollars", None),
])
def test_what_counts_as_a_rating(body, expected):
    assert parse_rating(body) == expected
