"""Outbound SMS: the outbox without credentials, Twilio's API with them (its HTTP
layer replaced here, so no test ever reaches Twilio), and never what the gate refuses.
An agent's text to DEMO-1001 (New York) at 10:00 there."""
import datetime as dt
import json
import logging
from urllib.parse import urlparse

from twilio.http import HttpClient
from twilio.http.response import Response

from server import services
from server.sms.sender import SmsSender, send_sms
from store.db import session_scope
from store.outcomes import set_opt_out
from tests.support.accounts import BORROWER
from tests.support.app import AUTH_TOKEN
from tests.support.store import outbound, outbox

ACCOUNT_SID = "ACtest0000000000000000000000000000"
IN_HOURS = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)  # 10:00 in New York
AGENT_TEXT = {"actor": "agent:test", "path": "agent_text", "kind": "agent", "now": IN_HOURS}


class RecordingHttpClient(HttpClient):
    """twilio-python's documented extension point for its HTTP layer."""

    def __init__(self):
        super().__init__(logger=logging.getLogger("test.twilio"), is_async=False)
        self.requests = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": data, "auth": auth})
        body = {
            "sid": "SMfake00000000000000000000000001", "status": "queued",
            "to": data["To"], "from": data.get("From"), "body": data["Body"],
        }
        return Response(201, json.dumps(body))


def test_without_credentials_sms_go_to_the_outbox(app):
    with app.app_context():
        result = send_sms(BORROWER, "Your reminder", None, **AGENT_TEXT)

    assert result.sent and result.via == "outbox"
    sent = "Your reminder\nReply STOP to opt out."  # every SMS carries the opt-out wording
    assert [(m.to, m.body) for m in outbox()] == [(BORROWER, sent)]
    assert [(m.body, m.provider_sid) for m in outbound()] == [(sent, None)]


def test_an_opted_out_phone_gets_nothing(app):
    with session_scope() as session:
        set_opt_out(session, BORROWER, "sms", True)
    with app.app_context():
        result = send_sms(BORROWER, "Your reminder", None, **AGENT_TEXT)

    assert not result.sent and result.reason == "opted_out"
    assert result.refusal == {"rule": "opted_out", "reason": "the borrower opted out of sms",
                              "retry_at": None, "overridable": False}
    assert outbox() == [] and outbound() == []


def test_nothing_goes_out_at_night_in_the_borrowers_zone(app):
    night = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.timezone.utc)  # 23:00 in New York
    with app.app_context():
        result = send_sms(BORROWER, "Your reminder", None, **{**AGENT_TEXT, "now": night})

    assert not result.sent and result.reason == "contact_hours"
    assert result.refusal["retry_at"] == "2026-11-25T13:00:00+00:00"  # 08:00 in New York
    assert outbox() == [] and outbound() == []
    with session_scope() as session:
        from sqlalchemy import select

        from store.models import AuditEvent
        [event] = session.execute(select(AuditEvent).where(AuditEvent.action == "gate_refused")).scalars()
        assert event.actor == "agent:test" and event.details["rule"] == "contact_hours"


def test_with_credentials_sms_go_through_twilios_api(app):
    settings = services(app).settings.replace(
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+18005550199", public_url="https://sms.lender.example",
    )
    http = RecordingHttpClient()
    result = SmsSender(settings, http_client=http, policy=services(app).policy).send_sms(BORROWER, "Your reminder", None, **AGENT_TEXT)

    (request,) = http.requests
    assert request["method"] == "POST"
    assert urlparse(request["uri"]).path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["auth"] == (ACCOUNT_SID, AUTH_TOKEN)
    assert request["data"]["To"] == BORROWER
    assert request["data"]["From"] == "+18005550199"
    assert request["data"]["Body"] == "Your reminder\nReply STOP to opt out."
    assert request["data"]["StatusCallback"] == "https://sms.lender.example/twilio/status"
    assert result.sent and result.via == "twilio"
    assert result.provider_sid == "SMfake00000000000000000000000001"
    assert outbox() == []
    assert [(m.body, m.provider_sid) for m in outbound()] == [
        (request["data"]["Body"], result.provider_sid)
    ]


def test_messaging_service_is_used_instead_of_a_number(app):
    settings = services(app).settings.replace(
        twilio_account_sid=ACCOUNT_SID, twilio_messaging_service_sid="MGtest",
    )
    http = RecordingHttpClient()
    SmsSender(settings, http_client=http, policy=services(app).policy).send_sms(BORROWER, "Hi", None, **AGENT_TEXT)

    data = http.requests[0]["data"]
    assert data["MessagingServiceSid"] == "MGtest"
    assert "From" not in data
    assert "StatusCallback" not in data  # no PUBLIC_URL to call back


def test_the_development_token_never_counts_as_credentials(app):
    from settings.service import DEV_TWILIO_AUTH_TOKEN

    settings = services(app).settings.replace(
        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=DEV_TWILIO_AUTH_TOKEN,
        twilio_from_number="+18005550199",
    )
    http = RecordingHttpClient()
    assert SmsSender(settings, http_client=http, policy=services(app).policy).send_sms(BORROWER, "Hi", None, **AGENT_TEXT).via == "outbox"
    assert http.requests == []
