"""Outbound SMS outside a webhook reply (redelivered answers, later reminders).

With Twilio credentials configured, messages go through Twilio's REST API;
without them they are written to the outbox table (`flask --app server outbox`
shows it), so development and tests never send a real SMS. Either way each one
is recorded as an outbound Message, and an opted-out phone gets nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from twilio.http import HttpClient
from twilio.rest import Client

from server import services
from server.config import Settings
from server.sms_text import with_opt_out
from store.conversations import conversation_language
from store.db import session_scope
from store.messages import record_outbound
from store.models import OutboxMessage
from store.outcomes import is_opted_out

log = logging.getLogger(__name__)

CHANNEL = "sms"
STATUS_CALLBACK_PATH = "/twilio/status"


@dataclass(frozen=True)
class SendResult:
    sent: bool
    via: Optional[str] = None  # "twilio" | "outbox"
    reason: Optional[str] = None  # why nothing was sent, e.g. "opted_out"
    message_id: Optional[int] = None  # the outbound Message row
    provider_sid: Optional[str] = None


class SmsSender:
    def __init__(self, settings: Settings, http_client: Optional[HttpClient] = None):
        self.settings = settings
        self._http_client = http_client  # tests replace Twilio's HTTP layer here
        self._client: Optional[Client] = None

    @property
    def via(self) -> str:
        return "twilio" if self.settings.twilio_rest_configured else "outbox"

    def _twilio(self) -> Client:
        if self._client is None:
            self._client = Client(
                self.settings.twilio_account_sid,
                self.settings.twilio_auth_token,
                http_client=self._http_client,
                environment={},  # credentials come from Settings only
            )
        return self._client

    def send_sms(self, to: str, body: str, conversation_id: Optional[str]) -> SendResult:
        """Sends `body` with the opt-out wording in the language of the conversation's
        account (English without one), unless the phone opted out."""
        with session_scope() as session:
            if is_opted_out(session, to, CHANNEL):
                log.info("not sending to an opted-out phone (conversation %s)", conversation_id)
                return SendResult(sent=False, reason="opted_out")
            language = conversation_language(session, conversation_id) if conversation_id else None
        body = with_opt_out(body, language or "en")
        provider_sid = self._send_with_twilio(to, body) if self.via == "twilio" else None
        with session_scope() as session:
            if provider_sid is None:
                session.add(OutboxMessage(channel=CHANNEL, to=to, body=body))
            message = record_outbound(
                session, phone=to, channel=CHANNEL, body=body,
                conversation_id=conversation_id, provider_sid=provider_sid,
            )
            session.flush()
            message_id = message.id
        log.info("sent SMS via %s (conversation %s, sid %s)", self.via, conversation_id, provider_sid)
        return SendResult(sent=True, via=self.via, message_id=message_id, provider_sid=provider_sid)

    def _send_with_twilio(self, to: str, body: str) -> str:
        settings = self.settings
        options = {"to": to, "body": body}
        if settings.twilio_messaging_service_sid:
            options["messaging_service_sid"] = settings.twilio_messaging_service_sid
        else:
            options["from_"] = settings.twilio_from_number
        if settings.public_url:
            options["status_callback"] = settings.public_url + STATUS_CALLBACK_PATH
        return self._twilio().messages.create(**options).sid


def send_sms(to: str, body: str, conversation_id: Optional[str]) -> SendResult:
    """Sends with the current app's sender (inside an app context)."""
    return services().sender.send_sms(to, body, conversation_id)
