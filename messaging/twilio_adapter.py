"""Twilio, for every sender: the gateway's texts (server/sms/sender.py), its calls
(server/voice/calls.py) and the campaign workers (campaigns/delivery.py).

`TwilioAdapter` builds the REST client from Settings (with an HTTP timeout), names the
status callbacks from PUBLIC_URL, sends an SMS, places a call, and turns Twilio's failures
into one of three errors, which each sender meets with its own policy:

    TransientError   Twilio did not take it (429, 5xx, no connection made): it may be
                     tried again later
    PermanentError   Twilio refused it for good (an invalid number, opted out at the
                     carrier, a call without a calling number): trying again changes nothing
    UnknownOutcome   the request may have reached Twilio (a read timeout, a dropped
                     connection): never tried again, the send is in doubt

Without credentials (settings.twilio_rest_configured) nothing reaches Twilio: the message
is written to the outbox table (`to_outbox`), where `flask --app server outbox` and the
simulator (devtools/chat.py) read it, so development and tests never send anything.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Dict, Optional
from urllib.parse import urlencode

import requests
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from settings.service import Settings
from store.models import OutboxMessage

# twilio-python logs every request's parameters (the phone, the text) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

HTTP_TIMEOUT_SECONDS = 15
STATUS_CALLBACK_PATH = "/twilio/status"  # SMS and campaign calls (server/api/campaigns.py)
CALL_STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
# Twilio error codes that mean the number will not take messages from us.
CARRIER_OPT_OUT = {21610}  # "Attempt to send to unsubscribed recipient"


class TwilioFailure(Exception):
    """Twilio did not take the message or call. `status` and `code`: Twilio's answer, when
    it answered (None when no answer came)."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[int] = None):
        super().__init__(message)
        self.status = status
        self.code = code


class TransientError(TwilioFailure):
    pass


class PermanentError(TwilioFailure):
    def __init__(self, code: Optional[int], message: str, opted_out: bool = False,
                 status: Optional[int] = None):
        super().__init__(message, status=status, code=code)
        self.opted_out = opted_out


class UnknownOutcome(TwilioFailure):
    pass


@dataclass(frozen=True)
class Handed:
    """What Twilio answered: the message's or call's sid and its first status."""

    sid: str
    status: str


class TwilioAdapter:
    """Twilio's REST API (Messages and Calls) with the deployment's credentials."""

    def __init__(self, settings: Settings, http_client: Optional[HttpClient] = None):
        self.settings = settings
        # Tests replace Twilio's HTTP layer here (twilio-python's documented extension point).
        self._http_client = http_client
        self._client: Optional[Client] = None

    @property
    def configured(self) -> bool:
        """True when messages go to Twilio; False: to the outbox."""
        return self.settings.twilio_rest_configured

    @property
    def via(self) -> str:
        return "twilio" if self.configured else "outbox"

    def client(self) -> Client:
        if self._client is None:
            self._client = Client(
                self.settings.twilio_account_sid, self.settings.twilio_auth_token,
                http_client=self._http_client or TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS),
                environment={},  # credentials come from Settings only
            )
        return self._client

    def callback_url(self, path: str, **query: object) -> Optional[str]:
        """PUBLIC_URL + path (+ the query), or None without PUBLIC_URL: Twilio can only
        call back an address it can reach."""
        if not self.settings.public_url:
            return None
        url = self.settings.public_url + path
        given = {name: value for name, value in query.items() if value is not None}
        return f"{url}?{urlencode(given)}" if given else url

    def send_sms(self, to: str, body: str, status_callback: Optional[str] = None) -> Handed:
        """From the messaging service when one is configured, else from TWILIO_FROM_NUMBER."""
        options: Dict[str, object] = {"to": to, "body": body}
        if self.settings.twilio_messaging_service_sid:
            options["messaging_service_sid"] = self.settings.twilio_messaging_service_sid
        else:
            options["from_"] = self.settings.twilio_from_number
        if status_callback:
            options["status_callback"] = status_callback
        message = self._request(lambda: self.client().messages.create(**options))
        return Handed(message.sid, message.status or "queued")

    def place_call(self, to: str, *, machine_detection: str, status_callback: Optional[str] = None,
                   twiml: Optional[str] = None, url: Optional[str] = None,
                   ring_seconds: Optional[int] = None) -> Handed:
        """Calls `to` from TWILIO_FROM_NUMBER, playing `twiml` or what the gateway answers
        at `url`, with answering-machine detection (its callbacks then say whether a person
        answered: a voicemail is not a conversation with the borrower)."""
        if not self.settings.twilio_from_number:
            raise PermanentError(None, "calls need TWILIO_FROM_NUMBER (a messaging service cannot call)")
        options: Dict[str, object] = {"to": to, "from_": self.settings.twilio_from_number,
                                      "machine_detection": machine_detection}
        if url:
            options.update(url=url, method="POST")
        else:
            options["twiml"] = twiml
        if status_callback:
            options.update(status_callback=status_callback, status_callback_method="POST",
                           status_callback_event=CALL_STATUS_EVENTS)
        if ring_seconds:
            options["timeout"] = ring_seconds
        call = self._request(lambda: self.client().calls.create(**options))
        return Handed(call.sid, call.status or "queued")

    def _request(self, make):
        if not self.configured:
            raise PermanentError(None, "no Twilio credentials: the message belongs in the outbox")
        try:
            return make()
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            raise classify(exc) from None


def classify(exc: Exception) -> TwilioFailure:
    """Which kind of failure a Twilio request's exception is, and why."""
    if isinstance(exc, TwilioRestException):
        if exc.status == 429 or exc.status >= 500:  # busy or broken: its answer may change
            return TransientError(f"Twilio answered {exc.status}", status=exc.status, code=exc.code)
        return PermanentError(exc.code, f"Twilio refused it ({exc.status}, code {exc.code})",
                              opted_out=exc.code in CARRIER_OPT_OUT, status=exc.status)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientError("Twilio not reachable (connect timeout)")
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _never_connected(exc):
            return TransientError("Twilio not reachable")
        return UnknownOutcome(f"connection to Twilio broke: {type(exc).__name__}")
    return UnknownOutcome(f"no answer from Twilio: {type(exc).__name__}")


def _never_connected(exc: Optional[BaseException]) -> bool:
    """True when the connection was never made, so Twilio cannot have the request."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, NewConnectionError):
            return True
        for inner in (getattr(exc, "reason", None), *getattr(exc, "args", ())):
            if isinstance(inner, BaseException) and _never_connected(inner):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def to_outbox(session: Session, channel: str, to: str, body: str) -> OutboxMessage:
    """What would have gone to Twilio, kept in the outbox instead (no credentials), in the
    caller's transaction with the rest of what it records."""
    message = OutboxMessage(channel=channel, to=to, body=body)
    session.add(message)
    return message
