"""Placing an outbound call to an account: `POST /api/calls` (bearer API_KEY) and
`flask --app server calls place ACCOUNT_ID` (server/cli/calls.py).

Every call passes the compliance gate first (campaigns.gate.decide over lending/compliance.py:
the account's state and jurisdiction, opt-outs, consent to automated or AI-voice calls in
the consent ledger, the borrower's contact hours, the call caps) and is then
counted as a call attempt (campaigns.outbound.record_call), so the caps see it at once;
Twilio's status callbacks later say whether a person answered (server/voice/webhook.py).

With Twilio credentials the call goes through Twilio's REST API, with answering-machine
detection (DetectMessageEnd: a machine gets its voicemail after the beep) and status
callbacks. Without them the call is written to the outbox and `python -m devtools.chat
--call ACCOUNT_ID` plays it against the local stack, as Twilio would.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Optional

from flask import Blueprint, Flask, jsonify
from twilio.http import HttpClient

from campaigns.attempts import utc_now
from campaigns.gate import decide
from campaigns.outbound import record_call
from lending.compliance import AUTOMATED, Blocked
from messaging.twilio_adapter import TwilioAdapter, TwilioFailure, to_outbox
from server import services
from server.api.auth import json_error, requires_api_key
from server.api.input import request_json
from settings.service import Settings
from store.db import session_scope
from store.models import (
    Account,
    AttemptState,
    CallOutcome,
    ContactAttempt,
    VoiceCall,
    utcnow,
)
from store.outcomes import audit

log = logging.getLogger(__name__)

bp = Blueprint("calls", __name__)

VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/voice/status"
MACHINE_DETECTION = "DetectMessageEnd"
RING_SECONDS = 30
CALL_HELP = 'expected {"account_id": "..."}'


class CallRefused(Exception):
    """The compliance gate said no: `rule`, `reason` and when it would allow the call."""

    def __init__(self, decision: Blocked):
        super().__init__(f"{decision.rule}: {decision.reason}")
        self.decision = decision


class CallFailed(Exception):
    """Twilio would not place the call, or the gateway cannot ask it to."""


@dataclass(frozen=True)
class PlacedCall:
    call_id: int
    call_sid: Optional[str]
    account_id: str
    via: str  # twilio | outbox
    status: str


def place_call(account_id: str, placed_by: str, http_client: Optional[HttpClient] = None,
               now: Optional[dt.datetime] = None) -> PlacedCall:
    """Places a call to the account's phone (inside an app context). Raises LookupError
    for an unknown account, CallRefused when the gate says no, CallFailed when Twilio does."""
    svc = services()
    twilio = TwilioAdapter(svc.settings, http_client)
    via = twilio.via
    if via == "twilio":
        _check_twilio_settings(svc.settings)
    now = now or utc_now()
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise LookupError(f"no account {account_id}")
        # The assistant speaks: an automated call with an artificial voice.
        verdict = decide(session, svc.policy, now, channel="voice", kind=AUTOMATED, actor=placed_by,
                         account_id=account_id, path="call")
        if not verdict.allowed:
            audit(session, placed_by, "call_blocked", account_id=account_id,
                  details={"rule": verdict.decision.rule})
            session.commit()  # kept, though the call is refused
            raise CallRefused(verdict.decision)
        attempt = record_call(session, account_id=account_id, answered=False,
                              placed_by=placed_by, at=now)
        # Unanswered until Twilio says otherwise; its callbacks update the attempt.
        attempt.stage, attempt.delivery = "voice_call", "queued"
        call = VoiceCall(direction="outbound", phone=account.phone, account_id=account_id,
                         attempt_id=attempt.id, via=via, placed_by=placed_by, status="queued")
        session.add(call)
        session.flush()
        if via == "outbox":
            # Waits in the outbox for the simulator, which then plays Twilio's callbacks.
            call.call_sid = attempt.provider_sid = f"CA{uuid.uuid4().hex}"
            to_outbox(session, "voice", account.phone, (
                f"call {call.call_sid} for account {account_id}: "
                f"play it with python -m devtools.chat --call {account_id}"
            ))
        audit(session, placed_by, "call_placed", account_id=account_id,
              details={"call_id": call.id, "attempt_id": attempt.id, "via": via})
        placed = PlacedCall(call.id, call.call_sid, account_id, via, call.status)
        phone, attempt_id = account.phone, attempt.id
    if via == "outbox":
        log.info("call %s: written to the outbox", placed.call_id)
        return placed
    try:
        sid, status = _dial(twilio, phone, placed.call_id)
    except CallFailed as exc:
        _failed(placed.call_id, attempt_id, str(exc))
        raise
    with session_scope() as session:
        call = session.get(VoiceCall, placed.call_id)
        call.call_sid = call.call_sid or sid  # the answer webhook may have written it first
        if call.status == "queued":
            call.status = status
        attempt = session.get(ContactAttempt, attempt_id)
        attempt.provider_sid = sid
    log.info("call %s: handed to Twilio", placed.call_id)
    return PlacedCall(placed.call_id, sid, account_id, via, status)


def _check_twilio_settings(settings: Settings) -> None:
    if not settings.twilio_from_number:
        raise CallFailed("calls need TWILIO_FROM_NUMBER (a messaging service cannot call)")
    if not settings.public_url:
        raise CallFailed("calls need PUBLIC_URL: Twilio fetches the call's TwiML from the gateway")


def _dial(twilio: TwilioAdapter, phone: str, call_id: int):
    """Twilio fetches the call's TwiML from the gateway and reports on it, both naming the call."""
    try:
        handed = twilio.place_call(
            phone, url=twilio.callback_url(VOICE_PATH, call=call_id),
            status_callback=twilio.callback_url(STATUS_PATH, call=call_id),
            machine_detection=MACHINE_DETECTION, ring_seconds=RING_SECONDS,
        )
    except TwilioFailure as exc:
        if exc.status is not None:
            raise CallFailed(f"Twilio refused the call ({exc.status}, code {exc.code})") from None
        raise CallFailed(str(exc)) from None  # no answer from Twilio: not placed, or in doubt
    return handed.sid, handed.status


def _failed(call_id: int, attempt_id: int, reason: str) -> None:
    with session_scope() as session:
        call = session.get(VoiceCall, call_id)
        call.status, call.outcome, call.ended_at = "failed", CallOutcome.FAILED, utcnow()
        attempt = session.get(ContactAttempt, attempt_id)
        attempt.state, attempt.reason = AttemptState.FAILED, reason
        audit(session, "gateway", "call_failed", account_id=call.account_id,
              details={"call_id": call_id, "reason": reason})
    log.warning("call %s: not placed: %s", call_id, reason)


# -- POST /api/calls -------------------------------------------------------------------------

@bp.post("/api/calls")
@requires_api_key
def api_place_call():
    data = request_json(CALL_HELP)
    account_id = data.get("account_id") if isinstance(data, dict) else None
    if not isinstance(account_id, str) or not account_id.strip():
        return json_error(400, CALL_HELP)
    try:
        placed = place_call(account_id.strip(), placed_by="api")
    except LookupError:
        return json_error(404, f"no account {account_id!r}")
    except CallRefused as exc:
        decision = exc.decision
        return json_error(409, "the compliance gate refused the call", rule=decision.rule,
                          reason=decision.reason,
                          retry_at=decision.retry_at.isoformat() if decision.retry_at else None)
    except CallFailed as exc:
        return json_error(502, str(exc))
    response = jsonify(asdict(placed))
    response.status_code = 201
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
