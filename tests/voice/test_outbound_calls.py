"""Outbound calls: the compliance gate first, the call counted by the caps, Twilio's REST
API with answering-machine detection and status callbacks (its HTTP layer replaced here,
so no test reaches Twilio), or the outbox and a simulated call without credentials."""
import datetime as dt
import json
import logging
import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import select
from twilio.http import HttpClient
from twilio.http.response import Response

import server.voice.calls
from store.db import session_scope
from store.models import (
    Account,
    AttemptState,
    ContactAttempt,
    Conversation,
    OutboxMessage,
    VoiceCall,
)
from store.outcomes import set_opt_out
from tests.support.accounts import BORROWER
from tests.support.app import API_KEY, AUTH_TOKEN, PRODUCTION_SECRETS
from tests.support.store import audit_trail
from tests.support.twilio import simulated_twilio
from tests.support.voice import GREETING, IN_HOURS

ACCOUNT_SID = "ACtest0000000000000000000000000000"
LENDER_NUMBER = "+18005550199"
# What a third party must never hear: the debt, its amount, the collection purpose.
DISCLOSURE = re.compile(r"\$\s?\d|dollars|\bdebt\b|\bcollect|\boverdue\b|\bowe\b|\bbalance\b|"
                        r"\bpayment\b|\bloan\b|credit", re.I)


@pytest.fixture(autouse=True)
def in_contact_hours(monkeypatch):
    monkeypatch.setattr(server.voice.calls, "utc_now", lambda: IN_HOURS)


def place(client, account_id="DEMO-1001", key=API_KEY):
    return client.post("/api/calls", json={"account_id": account_id},
                       headers={"Authorization": f"Bearer {key}"})


def attempts(account_id="DEMO-1001"):
    with session_scope() as session:
        query = select(ContactAttempt).where(ContactAttempt.account_id == account_id)
        return list(session.execute(query.order_by(ContactAttempt.id)).scalars())


def voice_call(call_id):
    with session_scope() as session:
        return session.get(VoiceCall, call_id)


class RecordingHttpClient(HttpClient):
    """twilio-python's documented extension point for its HTTP layer."""

    def __init__(self, status=201):
        super().__init__(logger=logging.getLogger("test.twilio"), is_async=False)
        self.requests = []
        self.status = status

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": data, "auth": auth})
        if self.status != 201:
            return Response(self.status, json.dumps({"code": 21217, "message": "invalid number",
                                                     "status": self.status}))
        return Response(201, json.dumps({"sid": "CAfake0000000000000000000000000001",
                                         "status": "queued", "to": data["To"]}))


def test_without_credentials_the_call_goes_to_the_outbox_and_counts(client):
    response = place(client)
    assert response.status_code == 201
    placed = response.get_json()
    assert placed["via"] == "outbox" and placed["call_sid"].startswith("CA")
    with session_scope() as session:
        [row] = session.execute(select(OutboxMessage).where(OutboxMessage.to == BORROWER)).scalars()
    assert row.channel == "voice" and placed["call_sid"] in row.body
    [attempt] = attempts()
    assert (attempt.channel, attempt.state, attempt.provider_sid) == ("voice", AttemptState.SENT, placed["call_sid"])
    assert attempt.answered is False  # unanswered until Twilio (or the simulator) says otherwise
    call = voice_call(placed["call_id"])
    assert (call.direction, call.phone, call.account_id, call.attempt_id) == (
        "outbound", BORROWER, "DEMO-1001", attempt.id)
    assert [e.details["via"] for e in audit_trail("call_placed")] == ["outbox"]


def test_the_caps_count_calls_placed_here(client):
    for _ in range(7):  # US Reg F: 7 call attempts in 7 days
        assert place(client).status_code == 201
    refused = place(client)
    assert refused.status_code == 409
    assert refused.get_json()["rule"] == "calls_per_7_days"
    assert refused.get_json()["retry_at"] is not None


@pytest.mark.parametrize("setup, rule", [
    (lambda s: setattr(s.get(Account, "DEMO-1001"), "status", "disputed"), "account_disputed"),
    (lambda s: set_opt_out(s, BORROWER, "voice", True), "opted_out"),
])
def test_the_gate_refuses_calls_the_rules_forbid(client, setup, rule):
    with session_scope() as session:
        setup(session)
    refused = place(client)
    assert refused.status_code == 409 and refused.get_json()["rule"] == rule
    assert attempts() == [] and [e.details["rule"] for e in audit_trail("call_blocked")] == [rule]


def test_no_call_outside_the_borrowers_contact_hours(client, monkeypatch):
    monkeypatch.setattr(server.voice.calls, "utc_now", lambda: IN_HOURS.replace(hour=3))  # 22:00 in New York
    refused = place(client)
    assert refused.status_code == 409
    assert refused.get_json()["rule"] == "contact_hours"
    assert refused.get_json()["retry_at"] == "2026-11-24T13:00:00+00:00"  # 08:00 there


def test_the_api_needs_its_key_and_an_account(client):
    assert place(client, key="wrong").status_code == 401
    assert place(client, account_id="NOPE").status_code == 404
    bad = client.post("/api/calls", json=["DEMO-1001"], headers={"Authorization": f"Bearer {API_KEY}"})
    assert bad.status_code == 400


def twilio_app(make_app, **extra):
    return make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_FROM_NUMBER=LENDER_NUMBER,
                    PUBLIC_URL="https://voice.lender.example", **PRODUCTION_SECRETS, **extra)


def test_with_credentials_the_call_goes_through_twilio_with_machine_detection(make_app):
    app = twilio_app(make_app)
    http = RecordingHttpClient()
    with app.app_context():
        placed = server.voice.calls.place_call("DEMO-1001", "test", http_client=http)
    [request] = http.requests
    assert request["method"] == "POST"
    assert urlparse(request["uri"]).path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert request["auth"] == (ACCOUNT_SID, AUTH_TOKEN)
    data = request["data"]
    assert (data["To"], data["From"]) == (BORROWER, LENDER_NUMBER)
    assert data["Url"] == f"https://voice.lender.example/twilio/voice?call={placed.call_id}"
    assert data["StatusCallback"] == f"https://voice.lender.example/twilio/voice/status?call={placed.call_id}"
    assert data["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert data["MachineDetection"] == "DetectMessageEnd"
    assert placed.call_sid == "CAfake0000000000000000000000000001" and placed.via == "twilio"
    assert voice_call(placed.call_id).call_sid == placed.call_sid
    assert attempts()[0].provider_sid == placed.call_sid
    with session_scope() as session:
        assert session.execute(select(OutboxMessage)).scalars().all() == []


def test_a_call_twilio_refuses_is_recorded_as_failed(make_app):
    app = twilio_app(make_app)
    with app.app_context():
        with pytest.raises(server.voice.calls.CallFailed, match="Twilio refused the call"):
            server.voice.calls.place_call("DEMO-1001", "test", http_client=RecordingHttpClient(status=400))
    [attempt] = attempts()
    assert attempt.state == AttemptState.FAILED
    with session_scope() as session:
        [call] = session.execute(select(VoiceCall)).scalars()
    assert call.outcome == "failed"


def test_calls_need_a_public_url_for_twilio_to_fetch_them(make_app):
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_FROM_NUMBER=LENDER_NUMBER, **PRODUCTION_SECRETS)
    assert place(app.test_client()).status_code == 502
    assert attempts() == []


def test_the_cli_places_a_call_or_says_why_not(app):
    runner = app.test_cli_runner()
    placed = runner.invoke(args=["calls", "place", "DEMO-1001"])
    assert placed.exit_code == 0, placed.output
    assert "placed via outbox" in placed.output and "devtools.chat --call DEMO-1001" in placed.output
    with session_scope() as session:
        session.get(Account, "DEMO-1001").status = "legal"
    refused = runner.invoke(args=["calls", "place", "DEMO-1001"])
    assert refused.exit_code == 1 and "account_legal" in refused.output


def play(client, placed):
    twilio = simulated_twilio(client)
    return twilio.placed_call(placed["call_sid"], BORROWER, placed["call_id"])


def test_an_answered_call_is_about_the_account_it_was_placed_for(client, rasa):
    placed = place(client).get_json()
    rasa.script(GREETING)
    call = play(client, placed)
    turn = call.answer(answered_by="human")
    assert turn.gather is not None and "date of birth" in turn.text
    row = voice_call(placed["call_id"])
    with session_scope() as session:
        conversation = session.get(Conversation, row.conversation_id)
    assert (conversation.channel, conversation.account_id) == ("voice", "DEMO-1001")
    assert call.caller == LENDER_NUMBER  # From is the lender: the call, not the caller ID, says whom
    call.status("completed", answered_by="human")
    assert attempts()[0].answered is True and attempts()[0].delivery == "completed"


def test_a_machine_gets_a_voicemail_that_says_nothing_about_a_debt(client, rasa):
    placed = place(client).get_json()
    call = play(client, placed)
    message = call.answer(answered_by="machine_end_beep")
    assert message.said == ["Hello, this is Nora calling from Northwind. Please call us back on "
                            "1, 8 0 0, 5 5 5, 0 1 0 0. Thank you."]
    assert not DISCLOSURE.search(message.text)
    assert message.paused and message.hangup and message.gather is None
    assert rasa.calls == []  # no conversation with a machine
    call.status("completed", answered_by="machine_end_beep")
    [ended] = audit_trail("call_ended")
    assert ended.details["outcome"] == "voicemail"
    assert voice_call(placed["call_id"]).conversation_id is None
    assert attempts()[0].answered is False  # a voicemail is not a conversation


@pytest.mark.parametrize("status, outcome", [
    ("busy", "busy"), ("no-answer", "no_answer"), ("failed", "failed"), ("canceled", "canceled"),
])
def test_calls_nobody_answered_are_recorded_with_how_they_ended(client, status, outcome):
    placed = place(client).get_json()
    call = play(client, placed)
    call.status("ringing")
    assert audit_trail("call_ended") == []
    call.status(status, duration=0)
    [ended] = audit_trail("call_ended")
    assert ended.details["outcome"] == outcome and ended.account_id == "DEMO-1001"
    assert ended.details["hung_up_mid_conversation"] is False
    row = voice_call(placed["call_id"])
    assert row.outcome == outcome and row.ended_at is not None
    assert attempts()[0].delivery == status and attempts()[0].answered is False
    call.status(status, duration=0)  # a repeated callback changes nothing
    assert len(audit_trail("call_ended")) == 1


# -- consent and each account's own jurisdiction ---------------------------------------------

NO_CONSENT_ACCOUNT = {
    "account_id": "C-NEW", "name": "Noel Consent", "phone": "+15550109999",
    "timezone": "America/New_York", "language": "en", "currency": "USD", "principal": "100.00",
    "interest": "0.00", "fees": "0.00", "due_date": "2026-11-01", "birth_date": "1990-01-01",
    "id_last4": "1234",
}


def api(client, path, body):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {API_KEY}"})


def test_an_automated_call_needs_consent_on_record_and_a_revocation_ends_it(client):
    assert api(client, "/api/accounts", [NO_CONSENT_ACCOUNT]).get_json()["created"] == 1
    refused = place(client, "C-NEW")
    assert refused.status_code == 409 and refused.get_json()["rule"] == "no_consent"
    assert refused.get_json()["retry_at"] is None and attempts("C-NEW") == []

    phone = NO_CONSENT_ACCOUNT["phone"]
    granted = api(client, "/api/consents", {"phone": phone, "channel": "voice", "action": "grant",
                                            "at": "2026-11-20T16:00:00Z", "source": "web_form"})
    assert granted.status_code == 200
    [result] = granted.get_json()["results"]
    assert result["result"] == "granted" and result["consent"]["voice"]["source"] == "web_form"
    assert result["consent"]["sms"] is None  # consent to calls is not consent to texts
    assert place(client, "C-NEW").status_code == 201

    assert api(client, "/api/consents", {"phone": phone, "channel": "voice", "action": "revoke",
                                         "how": "plain_language"}).status_code == 200
    assert place(client, "C-NEW").get_json()["rule"] == "no_consent"
    # Loading the same consent again does not undo the later revocation.
    again = api(client, "/api/consents", {"phone": phone, "channel": "voice", "at": "2026-11-20T16:00:00Z"})
    assert again.get_json()["results"][0]["result"] == "refused: a later revocation is on record"
    assert place(client, "C-NEW").get_json()["rule"] == "no_consent"


def test_the_consents_api_says_what_is_wrong(client):
    response = api(client, "/api/consents", [{"phone": "555", "channel": "fax"}, {"phone": "+15550100001",
                                             "channel": "sms", "action": "revoke", "how": "magic"}])
    assert response.status_code == 400
    [first, second] = response.get_json()["errors"]
    assert "phone: must be in E.164 form" in first["errors"][0] and "channel: sms" in first["errors"][0]
    assert "how: one of keyword, plain_language, agent, carrier_21610, api" in second["errors"][0]
    assert client.post("/api/consents", json={}).status_code == 401


def test_a_chinese_account_is_held_to_the_cn_profile_and_a_us_account_to_reg_f(client, monkeypatch):
    """One deployment, two profiles: DEMO-1005 (Shanghai) by the cn rules, DEMO-1001 (New York)
    by Reg F, at the same instants."""
    # 15:00 UTC: 10:00 in New York, 23:00 in Shanghai (cn: nothing 22:00-08:00).
    assert place(client, "DEMO-1001").status_code == 201
    night = place(client, "DEMO-1005")
    assert night.status_code == 409 and night.get_json()["rule"] == "contact_hours"
    assert night.get_json()["retry_at"] == "2026-11-25T00:00:00+00:00"  # 08:00 in Shanghai

    # 02:30 UTC on the 25th: 21:30 in New York (Reg F ends at 21:00), 10:30 in Shanghai.
    morning = dt.datetime(2026, 11, 25, 2, 30, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(server.voice.calls, "utc_now", lambda: morning)
    assert place(client, "DEMO-1001").get_json()["rule"] == "contact_hours"
    for _ in range(3):  # cn: at most 3 connected calls a day per number
        assert place(client, "DEMO-1005").status_code == 201
        with session_scope() as session:
            for attempt in session.execute(select(ContactAttempt).where(
                    ContactAttempt.account_id == "DEMO-1005")).scalars():
                attempt.answered = True  # the borrower picked up
    fourth = place(client, "DEMO-1005")
    assert fourth.status_code == 409 and fourth.get_json()["rule"] == "connected_calls_per_day"
    # A new day at midnight in Shanghai, and contact hours from 08:00 that day.
    assert fourth.get_json()["retry_at"] == "2026-11-26T00:00:00+00:00"
