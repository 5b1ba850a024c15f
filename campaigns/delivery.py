"""Handing a message or a call to Twilio, and telling its failures apart.

    TransientError   Twilio did not take it (429, 5xx, no connection made): retry later
    PermanentError   Twilio refused it for good (invalid number, opted out at the carrier...)
    UnknownOutcome   the request may have reached Twilio (a read timeout, a dropped
                     connection): never retried, the attempt is reported in doubt

Without Twilio credentials there is no provider: the attempt writes the message to the
outbox in the same transaction as its own state change (campaigns/attempts.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse
from urllib3.exceptions import NewConnectionError

from campaigns.templates import VOICE_LANGUAGES, base_language
from settings.service import Settings

# twilio-python logs every request's parameters (the phone, the text) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

STATUS_CALLBACK_PATH = "/twilio/status"
HTTP_TIMEOUT_SECONDS = 15
# Twilio error codes that mean the number will not take messages from us.
CARRIER_OPT_OUT = {21610}  # "Attempt to send to unsubscribed recipient"


class TransientError(Exception):
    pass


class PermanentError(Exception):
    def __init__(self, code: Optional[int], message: str, opted_out: bool = False):
        super().__init__(message)
        self.code = code
        self.opted_out = opted_out


class UnknownOutcome(Exception):
    pass


@dataclass(frozen=True)
class Handed:
    sid: str
    status: str


class TwilioProvider:
    """Twilio's REST API for SMS (Messages) and calls (Calls with inline TwiML)."""

    via = "twilio"

    def __init__(self, settings: Settings, http_client: Optional[HttpClient] = None):
        self.settings = settings
        self._http_client = http_client or TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS)
        self._client: Optional[Client] = None

    def _twilio(self) -> Client:
        if self._client is None:
            self._client = Client(
                self.settings.twilio_account_sid, self.settings.twilio_auth_token,
                http_client=self._http_client, environment={},
            )
        return self._client

    def status_callback(self, attempt_id: Optional[int]) -> Optional[str]:
        """Twilio's callbacks name the attempt, so one whose worker died before writing
        down Twilio's sid is still recognised (and no longer in doubt)."""
        if not self.settings.public_url:
            return None
        url = self.settings.public_url + STATUS_CALLBACK_PATH
        return f"{url}?attempt={attempt_id}" if attempt_id is not None else url

    def send(self, channel: str, to: str, body: str, language: str,
             attempt_id: Optional[int] = None) -> Handed:
        callback = self.status_callback(attempt_id)
        try:
            if channel == "sms":
                return self._sms(to, body, callback)
            return self._call(to, body, language, callback)
        except TwilioRestException as exc:
            raise classify(exc) from None
        except requests.exceptions.ConnectTimeout:
            raise TransientError("Twilio not reachable (connect timeout)") from None
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise TransientError("Twilio not reachable") from None
            raise UnknownOutcome(f"connection to Twilio broke: {type(exc).__name__}") from None
        except requests.exceptions.RequestException as exc:
            raise UnknownOutcome(f"no answer from Twilio: {type(exc).__name__}") from None

    def _sms(self, to: str, body: str, callback: Optional[str]) -> Handed:
        options = {"to": to, "body": body}
        if self.settings.twilio_messaging_service_sid:
            options["messaging_service_sid"] = self.settings.twilio_messaging_service_sid
        else:
            options["from_"] = self.settings.twilio_from_number
        if callback:
            options["status_callback"] = callback
        message = self._twilio().messages.create(**options)
        return Handed(message.sid, message.status or "queued")

    def _call(self, to: str, body: str, language: str, callback: Optional[str]) -> Handed:
        if not self.settings.twilio_from_number:
            raise PermanentError(None, "calls need TWILIO_FROM_NUMBER (a messaging service cannot call)")
        twiml = VoiceResponse()
        twiml.say(body, language=VOICE_LANGUAGES.get(base_language(language), "en-US"))
        # Answering-machine detection: Twilio's callbacks then say whether a person
        # answered (a voicemail is not a conversation with the borrower).
        options = {"to": to, "from_": self.settings.twilio_from_number, "twiml": str(twiml),
                   "machine_detection": "Enable"}
        if callback:
            options["status_callback"] = callback
            options["status_callback_event"] = ["initiated", "ringing", "answered", "completed"]
        call = self._twilio().calls.create(**options)
        return Handed(call.sid, call.status or "queued")


def classify(exc: TwilioRestException) -> Exception:
    if exc.status == 429 or exc.status >= 500:
        return TransientError(f"Twilio answered {exc.status}")
    return PermanentError(exc.code, f"Twilio refused it ({exc.status}, code {exc.code})",
                          opted_out=exc.code in CARRIER_OPT_OUT)


def _never_connected(exc: BaseException) -> bool:
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
