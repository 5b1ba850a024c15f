"""Outbound SMS outside a webhook reply: the bot's late answers, agents' replies, the
hand-back notice, texts during a call.

Every text first asks the compliance gate (campaigns.gate.decide: opt-outs, the account's
state and jurisdiction, contact hours with the profile's reply window, consent for
automated texts), which writes its decision to the audit trail; a refused text is not
sent and the result says why. With Twilio credentials configured, messages go through
Twilio's REST API; without them they are written to the outbox table (`flask --app
server outbox` shows it), so development and tests never send a real SMS
(messaging/twilio_adapter.py). Either way each one is recorded as an outbound Message.
A text Twilio does not take raises the adapter's error (TransientError, PermanentError,
UnknownOutcome) and nothing is recorded as sent.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional

from twilio.http import HttpClient

from campaigns.gate import Override, Verdict, decide, refusal_json
from lending.compliance import REPLY
from lending.policy import Policy
from messaging.sms_text import with_opt_out
from messaging.twilio_adapter import STATUS_CALLBACK_PATH, TwilioAdapter, to_outbox
from server import services
from settings.service import Settings
from store.accounts import find_by_phone
from store.conversations import conversation_language
from store.db import session_scope
from store.messages import record_outbound
from store.models import Conversation

log = logging.getLogger(__name__)

CHANNEL = "sms"


@dataclass(frozen=True)
class SendResult:
    sent: bool
    via: Optional[str] = None  # "twilio" | "outbox"
    reason: Optional[str] = None  # why nothing was sent: the gate's rule, e.g. "opted_out"
    message_id: Optional[int] = None  # the outbound Message row
    provider_sid: Optional[str] = None
    refusal: Optional[dict] = None  # the gate's rule, reason, retry_at and overridable


class SmsSender:
    def __init__(self, settings: Settings, http_client: Optional[HttpClient] = None,
                 policy: Optional[Policy] = None):
        self.settings = settings
        self._policy = policy  # None: the app's
        self.twilio = TwilioAdapter(settings, http_client)  # tests replace Twilio's HTTP layer here

    @property
    def via(self) -> str:
        return self.twilio.via

    def send_sms(
        self, to: str, body: str, conversation_id: Optional[str], *, actor: str, path: str,
        kind: str = REPLY, override: Optional[Override] = None, now: Optional[dt.datetime] = None,
    ) -> SendResult:
        """Sends `body` with the opt-out wording in the language of the conversation's
        account (English without one), if the gate allows it. `kind`: REPLY (an answer in
        the borrower's conversation) unless said otherwise; `path` names the sender in the
        audit trail (bot_answer, agent_reply, hand_back, call_text...)."""
        now = now or dt.datetime.now(dt.timezone.utc)
        with session_scope() as session:
            conversation = session.get(Conversation, conversation_id) if conversation_id else None
            if conversation is not None:
                account_id = conversation.account_id
            else:
                account = find_by_phone(session, to)
                account_id = account.account_id if account is not None else None
            verdict: Verdict = decide(
                session, self._policy or services().policy, now, channel=CHANNEL, kind=kind,
                actor=actor, account_id=account_id, phone=to,
                conversation_id=conversation_id, override=override, path=path,
            )
            if not verdict.allowed:
                log.info("not sending (%s): %s (conversation %s)", path, verdict.decision.rule,
                         conversation_id)
                return SendResult(sent=False, reason=verdict.decision.rule, refusal=refusal_json(verdict))
            language = conversation_language(session, conversation_id) if conversation_id else None
        body = with_opt_out(body, language or "en")
        provider_sid = None
        if self.twilio.configured:
            callback = self.twilio.callback_url(STATUS_CALLBACK_PATH)
            provider_sid = self.twilio.send_sms(to, body, callback).sid
        with session_scope() as session:
            if provider_sid is None:
                to_outbox(session, CHANNEL, to, body)
            message = record_outbound(
                session, phone=to, channel=CHANNEL, body=body,
                conversation_id=conversation_id, provider_sid=provider_sid,
            )
            session.flush()
            message_id = message.id
        log.info("sent SMS via %s (conversation %s, sid %s)", self.via, conversation_id, provider_sid)
        return SendResult(sent=True, via=self.via, message_id=message_id, provider_sid=provider_sid)


def send_sms(to: str, body: str, conversation_id: Optional[str], **options) -> SendResult:
    """Sends with the current app's sender (inside an app context)."""
    return services().sender.send_sms(to, body, conversation_id, **options)
