"""An agent's text goes through the same compliance gate as everything else: a disputed
account, an attorney on record, the borrower's night refuse it with the rule and the first
allowed time, nothing reaches the outbox, and the refusal is in the audit trail. A
supervisor may send it anyway where the account's profile allows, with a reason, audited."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from store.consents import latest
from store.db import session_scope
from store.models import Account, AuditEvent, Conversation, Message
from tests.support.accounts import BORROWER, afternoon_zone
from tests.support.fake_rasa import HANDOFF_TEXT
from tests.support.store import outbox_bodies, without_opt_out

ACCOUNT = "DEMO-1001"  # BORROWER, us profile


def ask_for_a_person(sms, fake_rasa, phone=BORROWER) -> int:
    from store.models import Handoff

    fake_rasa.hand_over_on = "person"
    assert without_opt_out(sms("I want to talk to a person", phone=phone).texts) == [HANDOFF_TEXT]
    with session_scope() as session:
        return session.execute(
            select(Handoff.id).join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.phone == phone).order_by(Handoff.id.desc())
        ).scalars().first()


def set_account(**values) -> None:
    with session_scope() as session:
        session.execute(update(Account).where(Account.account_id == ACCOUNT).values(**values))


def borrower_wrote_ago(minutes: int, phone=BORROWER) -> None:
    """The borrower's messages, moved `minutes` into the past (outside the reply window)."""
    with session_scope() as session:
        session.execute(update(Message).where(Message.phone == phone, Message.direction == "in").values(
            created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes)))


def gate_events(action: str):
    with session_scope() as session:
        return session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).scalars().all()


def claimed(browser, handoff_id, who="alice"):
    person = browser(who)
    assert person.claim(handoff_id).status_code == 200
    return person


def test_a_reply_to_a_disputed_account_is_refused_with_the_rule(sms, fake_rasa, browser):
    set_account(timezone=afternoon_zone())
    handoff_id = ask_for_a_person(sms, fake_rasa)
    set_account(status="disputed")
    alice = claimed(browser, handoff_id)
    before = outbox_bodies(BORROWER)

    response = alice.reply(handoff_id, "About your payment...")

    assert response.status_code == 409
    data = response.get_json()
    assert data["gate"] == {"rule": "account_disputed", "overridable": True, "retry_at": None,
                            "reason": "the account is disputed: collection waits for a person"}
    assert "not sent: the account is disputed" in data["error"]
    assert outbox_bodies(BORROWER) == before
    [refused] = gate_events("gate_refused")
    assert refused.actor == "agent:alice" and refused.details["rule"] == "account_disputed"
    assert refused.details["path"] == "agent_reply" and refused.account_id == ACCOUNT


def test_a_reply_to_an_account_with_an_attorney_is_refused_even_for_a_supervisor(sms, fake_rasa, browser):
    set_account(timezone=afternoon_zone())
    handoff_id = ask_for_a_person(sms, fake_rasa)
    set_account(status="legal")
    sue = claimed(browser, handoff_id, "sue")
    before = outbox_bodies(BORROWER)

    plain = sue.reply(handoff_id, "Hello")
    assert plain.status_code == 409 and plain.get_json()["gate"]["rule"] == "account_legal"
    assert plain.get_json()["gate"]["overridable"] is False
    forced = sue.post(f"/console/api/handoffs/{handoff_id}/reply",
                      {"body": "Hello", "override_reason": "the borrower insists"})
    assert forced.status_code == 409 and forced.get_json()["gate"]["rule"] == "account_legal"
    assert outbox_bodies(BORROWER) == before
    assert gate_events("gate_overridden") == []


def test_a_reply_at_23_in_the_borrowers_zone_is_refused_until_8(sms, fake_rasa, browser):
    late = afternoon_zone(hour=23)
    set_account(timezone=late)
    handoff_id = ask_for_a_person(sms, fake_rasa)
    borrower_wrote_ago(60)  # an hour ago: past the us profile's 15-minute reply window
    alice = claimed(browser, handoff_id)
    before = outbox_bodies(BORROWER)

    response = alice.reply(handoff_id, "Hi Dana, a person here.")

    assert response.status_code == 409
    gate = response.get_json()["gate"]
    assert gate["rule"] == "contact_hours" and gate["overridable"] is False
    retry = dt.datetime.fromisoformat(gate["retry_at"]).astimezone(ZoneInfo(late))
    assert (retry.hour, retry.minute) == (8, 0) and retry > dt.datetime.now(dt.timezone.utc)
    assert outbox_bodies(BORROWER) == before


def test_a_fresh_message_at_night_may_be_answered_within_the_us_reply_window(sms, fake_rasa, browser):
    set_account(timezone=afternoon_zone(hour=23))
    handoff_id = ask_for_a_person(sms, fake_rasa)  # the borrower wrote just now
    alice = claimed(browser, handoff_id)
    assert alice.reply(handoff_id, "Hi Dana, a person here.").status_code == 201
    assert outbox_bodies(BORROWER)[-1] == "Hi Dana, a person here."


def test_a_supervisor_overrides_a_dispute_with_a_reason_and_it_is_audited(sms, fake_rasa, browser):
    set_account(timezone=afternoon_zone())
    handoff_id = ask_for_a_person(sms, fake_rasa)
    set_account(status="disputed")
    # An agent cannot override.
    alice = claimed(browser, handoff_id)
    refused = alice.post(f"/console/api/handoffs/{handoff_id}/reply",
                         {"body": "About your dispute", "override_reason": "I think it is fine"})
    assert refused.status_code == 403 and "only a supervisor" in refused.get_json()["error"]
    alice.release(handoff_id)

    sue = claimed(browser, handoff_id, "sue")
    without_reason = sue.reply(handoff_id, "About your dispute")
    assert without_reason.status_code == 409 and without_reason.get_json()["gate"]["overridable"] is True
    response = sue.post(f"/console/api/handoffs/{handoff_id}/reply", {
        "body": "We received your dispute and are looking into it.",
        "override_reason": "confirming the dispute was received",
    })

    assert response.status_code == 201 and response.get_json()["overridden"] is True
    assert outbox_bodies(BORROWER)[-1] == "We received your dispute and are looking into it."
    [event] = gate_events("gate_overridden")
    assert event.actor == "agent:sue" and event.account_id == ACCOUNT
    assert event.details["rule"] == "account_disputed" and event.details["supervisor"] == "sue"
    assert event.details["reason"] == "confirming the dispute was received"


def test_the_hand_back_notice_at_night_is_not_sent_and_the_agent_is_told(sms, fake_rasa, browser):
    set_account(timezone=afternoon_zone(hour=23))
    handoff_id = ask_for_a_person(sms, fake_rasa)
    borrower_wrote_ago(60)
    alice = claimed(browser, handoff_id)
    before = outbox_bodies(BORROWER)

    response = alice.hand_back(handoff_id).get_json()

    assert response["resolution"] == "handed_back" and response["notice_sent"] is False
    assert response["gate"]["rule"] == "contact_hours"
    assert outbox_bodies(BORROWER) == before


def test_an_agent_records_an_opt_out_of_calls_which_revokes_voice_consent(sms, fake_rasa, browser):
    set_account(timezone=afternoon_zone())
    handoff_id = ask_for_a_person(sms, fake_rasa)
    alice = claimed(browser, handoff_id)
    with session_scope() as session:
        assert latest(session, BORROWER, "voice").granted  # from the demo accounts file

    response = alice.outcome(handoff_id, kind="opt_out", channel="voice", note="asked on the phone")

    assert response.status_code == 201
    with session_scope() as session:
        revoked = latest(session, BORROWER, "voice")
        assert not revoked.granted and revoked.source == "agent" and revoked.recorded_by == "agent:alice"
        assert latest(session, BORROWER, "sms").granted  # texts go on
    account = alice.view(handoff_id).get_json()["account"]
    assert account["jurisdiction"] == "us"
    assert account["consent"]["voice"]["granted"] is False and account["consent"]["voice"]["source"] == "agent"
    assert account["consent"]["sms"] == {"granted": True, "at": "2026-06-01T14:00:00Z", "source": "accounts_file"}
    # Texts still reach the borrower; a refused channel is not a refused conversation.
    assert alice.reply(handoff_id, "Noted: no more calls.").status_code == 201
