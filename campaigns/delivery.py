"""Handing a campaign's message or call to Twilio (messaging/twilio_adapter.py).

A text goes as it is; a call speaks the message in the account's language (inline TwiML),
with answering-machine detection. Twilio's status callbacks name the attempt, so one whose
worker died before writing down Twilio's sid is still recognised (and no longer in doubt).
What a failure means for the attempt (retry with back-off, failed, in doubt, a carrier
opt-out) is campaigns/attempts.py's policy.

Without Twilio credentials there is no provider: the attempt writes the message to the
outbox in the same transaction as its own state change (campaigns/attempts.py).
"""
from __future__ import annotations

from typing import Optional

from twilio.http import HttpClient
from twilio.twiml.voice_response import VoiceResponse

from campaigns.templates import VOICE_LANGUAGES, base_language
from messaging.twilio_adapter import STATUS_CALLBACK_PATH, Handed, TwilioAdapter
from settings.service import Settings

# Enable: Twilio says at once whether a person or a machine answered (a voicemail is not
# a conversation with the borrower).
MACHINE_DETECTION = "Enable"


class TwilioProvider:
    """Twilio's REST API for SMS (Messages) and calls (Calls with inline TwiML)."""

    via = "twilio"

    def __init__(self, settings: Settings, http_client: Optional[HttpClient] = None):
        self.twilio = TwilioAdapter(settings, http_client)

    def status_callback(self, attempt_id: Optional[int]) -> Optional[str]:
        return self.twilio.callback_url(STATUS_CALLBACK_PATH, attempt=attempt_id)

    def send(self, channel: str, to: str, body: str, language: str,
             attempt_id: Optional[int] = None) -> Handed:
        """Raises messaging.twilio_adapter's TransientError, PermanentError or UnknownOutcome."""
        callback = self.status_callback(attempt_id)
        if channel == "sms":
            return self.twilio.send_sms(to, body, callback)
        twiml = VoiceResponse()
        twiml.say(body, language=VOICE_LANGUAGES.get(base_language(language), "en-US"))
        return self.twilio.place_call(to, twiml=str(twiml), machine_detection=MACHINE_DETECTION,
                                      status_callback=callback)
