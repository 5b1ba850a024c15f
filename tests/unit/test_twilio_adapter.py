"""The one Twilio adapter every sender uses (messaging/twilio_adapter.py): what it asks
Twilio, how it names the status callbacks, how it tells Twilio's failures apart, and the
outbox when there are no credentials. Twilio's HTTP layer is replaced (twilio-python's
documented extension point): no test reaches Twilio."""
from __future__ import annotations

import json
import logging

import pytest
import requests
from sqlalchemy import select
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import NewConnectionError, ProtocolError

import store.db
from messaging.twilio_adapter import (
    HTTP_TIMEOUT_SECONDS,
    PermanentError,
    TransientError,
    TwilioAdapter,
    UnknownOutcome,
    to_outbox,
)
from settings.service import DEV_TWILIO_AUTH_TOKEN, Settings
from store.models import OutboxMessage

ACCOUNT_SID = "ACtest0000000000000000000000000000"
TOKEN = "a-real-looking-auth-token"
CREDENTIALS = dict(twilio_account_sid=ACCOUNT_SID, twilio_auth_token=TOKEN,
                   twilio_from_number="+18005550199")
BORROWER = "+12125550123"


class FakeTwilio(HttpClient):
    def __init__(self, answer=None):
        super().__init__(logger=logging.getLogger("test.twilio"), is_async=False)
        self.requests = []
        self.answer = answer  # an exception to raise, or (status, code) to answer with

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append({"uri": uri, "data": dict(data or {})})
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer is not None:
            status, code = self.answer
            return Response(status, json.dumps({"code": code, "message": "refused", "status": status}))
        prefix = "CA" if uri.endswith("/Calls.json") else "SM"
        return Response(201, json.dumps({"sid": prefix + "0" * 32, "status": "queued"}))


def adapter(answer=None, **settings) -> tuple[TwilioAdapter, FakeTwilio]:
    http = FakeTwilio(answer)
    return TwilioAdapter(Settings(**{**CREDENTIALS, **settings}), http), http


def never_connected() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(reason)


@pytest.mark.parametrize("answer, kind, opted_out, because", [
    ((400, 21211), PermanentError, False, "Twilio refused it (400, code 21211)"),
    ((400, 21610), PermanentError, True, "Twilio refused it (400, code 21610)"),  # carrier STOP
    ((429, 20429), TransientError, None, "Twilio answered 429"),
    ((503, 20500), TransientError, None, "Twilio answered 503"),
    (requests.ConnectTimeout("connect timed out"), TransientError, None,
     "Twilio not reachable (connect timeout)"),
    (never_connected(), TransientError, None, "Twilio not reachable"),
    # The request may have reached Twilio: sending again could send twice.
    (requests.ConnectionError(ProtocolError("Connection aborted.")), UnknownOutcome, None,
     "connection to Twilio broke: ConnectionError"),
    (requests.ReadTimeout("read timed out"), UnknownOutcome, None, "no answer from Twilio: ReadTimeout"),
])
def test_twilios_failures_are_told_apart(answer, kind, opted_out, because):
    twilio, _ = adapter(answer)
    with pytest.raises(kind) as raised:
        twilio.send_sms(BORROWER, "Hi")
    assert str(raised.value) == because
    if opted_out is not None:
        assert raised.value.opted_out is opted_out and raised.value.code == answer[1]
    if isinstance(answer, tuple):
        assert (raised.value.status, raised.value.code) == answer


def test_a_call_without_a_calling_number_is_refused_before_asking_twilio():
    twilio, http = adapter(twilio_from_number=None, twilio_messaging_service_sid="MGtest")
    with pytest.raises(PermanentError, match="calls need TWILIO_FROM_NUMBER"):
        twilio.place_call(BORROWER, twiml="<Response/>", machine_detection="Enable")
    assert http.requests == []


def test_callback_urls_come_from_the_public_url():
    twilio, _ = adapter(public_url="https://gw.lender.example")
    assert twilio.callback_url("/twilio/status") == "https://gw.lender.example/twilio/status"
    assert twilio.callback_url("/twilio/status", attempt=7) == "https://gw.lender.example/twilio/status?attempt=7"
    assert twilio.callback_url("/twilio/status", attempt=None) == "https://gw.lender.example/twilio/status"
    assert twilio.callback_url("/twilio/voice", call=3) == "https://gw.lender.example/twilio/voice?call=3"
    without, _ = adapter()
    assert without.callback_url("/twilio/status", attempt=7) is None  # Twilio could not reach it


def test_an_sms_goes_from_the_number_or_the_messaging_service():
    twilio, http = adapter(public_url="https://gw.lender.example")
    handed = twilio.send_sms(BORROWER, "Hi", twilio.callback_url("/twilio/status"))
    assert (handed.sid, handed.status) == ("SM" + "0" * 32, "queued")
    [request] = http.requests
    assert request["uri"].endswith(f"/Accounts/{ACCOUNT_SID}/Messages.json")
    assert request["data"] == {"To": BORROWER, "Body": "Hi", "From": "+18005550199",
                               "StatusCallback": "https://gw.lender.example/twilio/status"}
    service, http = adapter(twilio_messaging_service_sid="MGtest")
    service.send_sms(BORROWER, "Hi")
    assert http.requests[0]["data"] == {"To": BORROWER, "Body": "Hi", "MessagingServiceSid": "MGtest"}


def test_a_call_plays_the_gateways_answer_or_inline_twiml_with_machine_detection():
    twilio, http = adapter(public_url="https://gw.lender.example")
    twilio.place_call(BORROWER, url=twilio.callback_url("/twilio/voice", call=3),
                      status_callback=twilio.callback_url("/twilio/voice/status", call=3),
                      machine_detection="DetectMessageEnd", ring_seconds=30)
    twilio.place_call(BORROWER, twiml="<Response><Say>Hi</Say></Response>", machine_detection="Enable")
    fetched, inline = (r["data"] for r in http.requests)
    assert fetched["Url"] == "https://gw.lender.example/twilio/voice?call=3" and fetched["Method"] == "POST"
    assert fetched["StatusCallback"] == "https://gw.lender.example/twilio/voice/status?call=3"
    assert fetched["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert (fetched["MachineDetection"], fetched["Timeout"], fetched["From"]) == (
        "DetectMessageEnd", 30, "+18005550199")
    assert inline["Twiml"] == "<Response><Say>Hi</Say></Response>" and "Url" not in inline
    assert inline["MachineDetection"] == "Enable" and "StatusCallback" not in inline


def test_the_client_has_a_timeout_and_only_the_settings_credentials():
    twilio = TwilioAdapter(Settings(**CREDENTIALS))
    client = twilio.client()
    assert client.http_client.timeout == HTTP_TIMEOUT_SECONDS
    assert (client.username, client.password) == (ACCOUNT_SID, TOKEN)


@pytest.mark.parametrize("settings", [
    {},  # no account at all
    dict(CREDENTIALS, twilio_auth_token=DEV_TWILIO_AUTH_TOKEN),  # the development token
    dict(CREDENTIALS, twilio_from_number=None),  # nothing to send from
])
def test_without_credentials_nothing_reaches_twilio_and_the_outbox_keeps_it(settings, tmp_path):
    http = FakeTwilio()
    twilio = TwilioAdapter(Settings(**settings), http)
    assert (twilio.configured, twilio.via) == (False, "outbox")
    with pytest.raises(PermanentError, match="no Twilio credentials"):
        twilio.send_sms(BORROWER, "Hi")
    assert http.requests == []

    store.db.connect(f"sqlite:///{tmp_path / 'store.db'}")
    with store.db.session_scope() as session:
        to_outbox(session, "sms", BORROWER, "Hi\nReply STOP to opt out.")
    with store.db.session_scope() as session:
        kept = session.execute(select(OutboxMessage)).scalars().all()
        assert [(m.channel, m.to, m.body) for m in kept] == [("sms", BORROWER, "Hi\nReply STOP to opt out.")]
